"""Minting and checking tokens: RFC 9068 access tokens, ID tokens, opaque refresh tokens."""
