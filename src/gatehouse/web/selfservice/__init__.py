"""The self-service pages: registration, email verification, password reset
(accounts/selfservice/ holds the rules). Each parses the form, calls the core in a request
thread, and renders what comes back."""
