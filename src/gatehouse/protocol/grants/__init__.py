"""One module per grant type; the token endpoint looks them up in a registry."""
