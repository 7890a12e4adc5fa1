"""Logging with redaction, and audit events."""
