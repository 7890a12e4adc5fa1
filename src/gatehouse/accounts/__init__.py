"""People: passwords, sign-in, SSO sessions."""
