"""Known browsers: a long-lived random cookie marks a browser, and each person it has signed
in successfully keeps its hash. While an account is locked for everyone after repeated
failures, a correct password from one of its known browsers still gets in
(accounts/throttle.py): an attacker elsewhere cannot lock the person out."""

from __future__ import annotations

import string

from gatehouse.accounts.throttle import device_source
from gatehouse.crypto import random_token, sha256_digest
from gatehouse.storage.attempts import KnownBrowserRepository
from gatehouse.storage.records import User

KNOWN_BROWSER_LIFETIME = 365 * 86400  # seconds; renewed by every sign-in from the browser
MAX_DEVICE_COOKIE_LENGTH = 128
_COOKIE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_")


def usable_device_cookie(value: str | None) -> str | None:
    """The device cookie if it could be one gatehouse set (random_token's alphabet and
    size); anything else is treated as no cookie, and replaced at the next sign-in."""
    if not value or len(value) > MAX_DEVICE_COOKIE_LENGTH or not set(value) <= _COOKIE_CHARACTERS:
        return None
    return value


def known_device(
    known_browsers: KnownBrowserRepository, user: User | None, device_cookie: str | None, now: int
) -> str | None:
    """The browser's source key (throttle.device_source) when ``user`` signed in from it
    before; else None. Looked up whenever the browser has a cookie, whether or not the login
    named an account, so that the work done does not tell which logins exist."""
    cookie = usable_device_cookie(device_cookie)
    if cookie is None:
        return None
    known = known_browsers.is_known(user.id if user else "", sha256_digest(cookie), now)
    return device_source(cookie) if known and user is not None else None


def remember_browser(
    known_browsers: KnownBrowserRepository, user: User, device_cookie: str | None, now: int
) -> str | None:
    """After a successful sign-in: the browser is known to ``user`` for KNOWN_BROWSER_LIFETIME
    more. Returns a new cookie value to set when the browser had no usable one, else None."""
    cookie = usable_device_cookie(device_cookie)
    new_cookie = None if cookie is not None else random_token()
    known_browsers.remember(
        user.id, sha256_digest(cookie or new_cookie or ""), now, now + KNOWN_BROWSER_LIFETIME
    )
    return new_cookie
