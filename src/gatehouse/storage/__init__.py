"""Persistence: repository contracts (``repositories``) and their SQL implementation (``sql``)."""
