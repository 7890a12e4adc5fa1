"""The default tenant's cookie names (web/cookies.py), as the tests of its pages use them."""

from __future__ import annotations

from gatehouse.web.cookies import CookieNames

_DEFAULT = CookieNames()
SESSION_COOKIE = _DEFAULT.session
DEVICE_COOKIE = _DEFAULT.device
USER_CODE_COOKIE = _DEFAULT.user_code
CSRF_COOKIE = _DEFAULT.csrf
