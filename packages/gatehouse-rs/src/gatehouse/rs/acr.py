"""The authentication context classes gatehouse issues (its docs/step-up.md), for APIs
that require one with :func:`~gatehouse.rs.token.require_authentication`, a
:class:`~gatehouse.rs.asgi.PathRule` or :class:`~gatehouse.rs.starlette.RequireToken`.

A resource names every class it accepts: ``acr_values=MFA_OR_STRONGER`` lets in a sign-in
with two factors or a passkey, and tells a refused client to ask for the first of them.
"""

from __future__ import annotations

from typing import Final

ACR_PASSWORD: Final = "urn:gatehouse:acr:password"
ACR_MFA: Final = "urn:gatehouse:acr:mfa"
#: OpenID EAP ACR Values 1.0: phishing-resistant, and phishing-resistant hardware-protected.
ACR_PHR: Final = "phr"
ACR_PHRH: Final = "phrh"

MFA_OR_STRONGER: Final = (ACR_MFA, ACR_PHR, ACR_PHRH)
PHISHING_RESISTANT: Final = (ACR_PHR, ACR_PHRH)
