"""gatehouse: an OAuth 2.0 and OpenID Connect provider you run yourself."""
