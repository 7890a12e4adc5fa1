"""The token profile an operator gives an API or a client: which claims its tokens carry
besides the standard ones (tokens/entra.py, docs/microsoft-compatibility.md)."""

from __future__ import annotations

from gatehouse.admin.errors import AdminError


def checked_profile(value: object, allowed: tuple[str, ...]) -> str:
    """``value`` when it is one of ``allowed`` (whose first is the default)."""
    if not isinstance(value, str) or value not in allowed:
        raise AdminError(f"token_profile must be {' or '.join(allowed)}, not {value!r}")
    return value
