"""Self-service accounts: registration, email verification and password reset by emailed
single-use links (docs/self-service.md). The pages (web/selfservice/) parse and render; the
rules, the links and the queue of outgoing mail are here."""
