"""The framework-free protocol core: typed requests in, typed responses or OAuthError out."""
