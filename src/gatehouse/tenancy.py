"""Tenants: what a tenant's name may be, where it is served, and its profile (the overrides of
the server's token and session lifetimes, and the branding of its pages).

A tenant's name is its key (``tenants.id``, every row's ``tenant_id``, the ``tid`` claim) and
the last segment of its issuer, ``{base issuer}/t/{name}``; the ``default`` tenant keeps the
bare base issuer. A name is one path segment of lowercase ASCII (docs/tenants.md): nothing a
browser or a proxy could normalise into another name, another path or a look-alike.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gatehouse.settings import Duration

DEFAULT_TENANT = "default"
# Every tenant but the default one lives below this path of the server: /t/{name}/...
TENANT_PATH = "/t/"
MAX_NAME_LENGTH = 63  # one DNS label, should a tenant ever get a host of its own

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
# Names the server's own URLs or the Microsoft-style authorities use (the common endpoint,
# issue 14 part 2), and every top-level route: a tenant called "token" or "static" would be
# an accident waiting for a URL layout without the /t/ prefix. tests/http/test_tenant_routing.py
# checks that every top-level route of the app is here.
RESERVED_NAMES = frozenset(
    {
        "common",
        "organizations",
        "consumers",
        "default",
        "t",
        "static",
        "admin",
        "api",
        "oauth2",
        "v2",
        "token",
        "healthz",
        "jwks",
        "authorize",
        "par",
        "introspect",
        "device",
        "revoke",
        "userinfo",
        "login",
        "mfa",
        "consent",
        "interaction",
        "passkeys",
        "logout",
        "account",
        "register",
        "verify-email",
        "password",
        "demo",
        "metrics",
    }
)


class TenantNameError(ValueError):
    """A name that cannot be a tenant's; the message says which rule and, for a character,
    which one."""


def _character(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"{ch!r} (U+{ord(ch):04X}{' ' + name if name else ''})"


def check_tenant_name(name: str, *, new: bool = False) -> str:
    """``name`` if it can name a tenant, else ``TenantNameError``. ``new``: a name being
    created, which must also not be reserved (the default tenant exists already)."""
    if not name:
        raise TenantNameError("a tenant name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise TenantNameError(f"a tenant name has at most {MAX_NAME_LENGTH} characters")
    for ch in name:
        if not ch.isascii():
            # NFKC and confusables (Unicode TS #39) are answered by not taking them at all:
            # a Cyrillic a (U+0430) looks like a Latin one and would name another tenant.
            raise TenantNameError(
                f"tenant names are ASCII only: {_character(ch)} is not; use a-z, 0-9 and '-'"
            )
        if ch in "/\\.%?#":
            raise TenantNameError(
                f"a tenant name is one path segment: {ch!r} is not allowed (a-z, 0-9 and '-')"
            )
        if ch.isupper():
            raise TenantNameError(f"tenant names are lowercase: {ch!r} is not (use {ch.lower()!r})")
    if not _NAME.fullmatch(name):
        bad = next((ch for ch in name if not (ch.isalnum() or ch == "-")), None)
        what = f"{_character(bad)} is not allowed" if bad else "it must start with a-z or 0-9"
        raise TenantNameError(
            f"a tenant name is lowercase letters, digits and '-', starting with a letter or "
            f"digit: {what}"
        )
    if name.startswith("xn--"):
        raise TenantNameError("a tenant name cannot start with 'xn--' (an encoded Unicode name)")
    if new and name in RESERVED_NAMES:
        raise TenantNameError(f"{name!r} is reserved (a route or authority of the server)")
    return name


def tenant_path(name: str) -> str:
    """The path below the server's root where ``name`` is served ("" for the default)."""
    return "" if name == DEFAULT_TENANT else f"{TENANT_PATH}{name}"


def tenant_issuer(base_issuer: str, name: str) -> str:
    return f"{base_issuer.rstrip('/')}{tenant_path(name)}"


# -- The multi-tenant authorities (docs/multi-tenant-apps.md) ------------------------------------

COMMON = "common"  # every tenant, the default one included
ORGANIZATIONS = "organizations"  # every tenant but the default one
AUTHORITIES = (COMMON, ORGANIZATIONS)
# What separates the routing prefix of a code or refresh token from its random part: a
# character neither a tenant name nor base64url has.
_ROUTE = "."


def spans(authority: str, tenant: str) -> bool:
    """Whether the multi-tenant ``authority`` serves the people of ``tenant``."""
    return authority == COMMON or (authority == ORGANIZATIONS and tenant != DEFAULT_TENANT)


def routed(tenant: str, value: str) -> str:
    """A code or refresh token ``value`` of ``tenant`` as handed out: the token endpoint of
    a multi-tenant authority reads its tenant from the prefix (not secret: the tenant is in
    the issuer anyway). The default tenant's stay as they always were, without one."""
    return value if tenant == DEFAULT_TENANT else f"{tenant}{_ROUTE}{value}"


def route_of(value: str) -> str | None:
    """The tenant a code or refresh token ``value`` was issued in (``routed``), or None when
    the prefix is not a tenant's name. Whether that tenant exists, and whether the value is
    one of its codes, is for the caller and that tenant's token endpoint to find out."""
    if not value:
        return None
    tenant, sep, _ = value.partition(_ROUTE)
    if not sep:
        return DEFAULT_TENANT
    if tenant == DEFAULT_TENANT or tenant in AUTHORITIES:
        return None  # never a prefix: the default tenant's values have none
    try:
        return check_tenant_name(tenant)
    except TenantNameError:
        return None


# -- The profile --------------------------------------------------------------------------------

_COLOUR = re.compile(r"#[0-9a-f]{6}")
# What a logo URL's host may hold: it lands in the Content-Security-Policy's img-src.
_HOST = re.compile(r"[a-z0-9.-]+(:[0-9]{1,5})?")
# A path on this server: "//host" would be another origin (a network-path reference).
_PATH = re.compile(r"/(?!/)[A-Za-z0-9._~/-]*")
LIFETIME_KEYS = (
    "access_token_lifetime",
    "id_token_lifetime",
    "refresh_token_idle_lifetime",
    "refresh_token_absolute_lifetime",
    "session_idle_lifetime",
    "session_absolute_lifetime",
    "remember_me_idle_lifetime",
    "remember_me_absolute_lifetime",
)


def _lifetime(description: str) -> Any:
    return Field(None, description=f"{description} (default: the server's setting).")


class TenantProfile(BaseModel):
    """What a tenant sets for itself besides its policy: the lifetimes that override the
    server's settings (GATEHOUSE_*) for this tenant, and its branding. `gatehouse tenant
    update NAME --set KEY=VALUE`; the tenant's runtime is rebuilt with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: str | None = Field(
        None,
        max_length=80,
        description="The organisation's name, shown at the top of the tenant's pages.",
    )
    logo_url: str | None = Field(
        None,
        max_length=512,
        description="A logo shown beside the name: an https URL, or a path on this server.",
    )
    accent_colour: str | None = Field(
        None, description="Buttons, links and the focus ring, as #rrggbb."
    )
    background_colour: str | None = Field(None, description="The page background, as #rrggbb.")
    access_token_lifetime: Duration | None = _lifetime("Lifetime of access tokens")
    id_token_lifetime: Duration | None = _lifetime("Lifetime of ID tokens")
    refresh_token_idle_lifetime: Duration | None = _lifetime("Refresh token idle lifetime")
    refresh_token_absolute_lifetime: Duration | None = _lifetime("Refresh token absolute lifetime")
    session_idle_lifetime: Duration | None = _lifetime("SSO session idle lifetime")
    session_absolute_lifetime: Duration | None = _lifetime("SSO session absolute lifetime")
    remember_me_idle_lifetime: Duration | None = _lifetime('"Remember me" idle lifetime')
    remember_me_absolute_lifetime: Duration | None = _lifetime('"Remember me" absolute lifetime')
    domains: tuple[str, ...] | None = Field(
        None,
        description="The email and username domains of the tenant's people, comma-separated "
        "(acme.example,acme-corp.example): the common and organizations authorities send a "
        "person who types alice@acme.example to this tenant. Unique across tenants.",
    )

    @field_validator("domains", mode="before")
    @classmethod
    def _domains(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [d.strip() for d in value.split(",") if d.strip()]
        if value is None or not value:
            return None
        if len(value) > MAX_DOMAINS:
            raise ValueError(f"at most {MAX_DOMAINS} domains")
        return tuple(dict.fromkeys(check_domain(str(d)) for d in value))

    @field_validator("display_name")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or not value.isprintable()):
            raise ValueError("must be printable text (no control characters), not blank")
        return value.strip() if value is not None else None

    @field_validator("accent_colour", "background_colour")
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is not None and not _COLOUR.fullmatch(value.lower()):
            raise ValueError(f"{value!r} is not a colour: give #rrggbb, such as #2753d7")
        return value.lower() if value is not None else None

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        if value is not None and logo_origin(value) is None and not _PATH.fullmatch(value):
            raise ValueError(
                "give an https URL (https://cdn.example.com/logo.svg) or a path on this server "
                "(/static/logo.svg), without quotes, spaces, a query or user information"
            )
        return value

    @field_validator(*LIFETIME_KEYS)
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and not timedelta(seconds=1) <= value <= timedelta(days=3650):
            raise ValueError("must be between 1 second and 10 years")
        return value

    def lifetime_overrides(self) -> dict[str, timedelta]:
        """The settings this tenant overrides: ``Settings.with_overrides(**these)``."""
        return {k: getattr(self, k) for k in LIFETIME_KEYS if getattr(self, k) is not None}

    @property
    def branded(self) -> bool:
        return any(
            v is not None
            for v in (self.display_name, self.logo_url, self.accent_colour, self.background_colour)
        )

    def as_stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> TenantProfile:
        known = {k: v for k, v in (stored or {}).items() if k in cls.model_fields}
        return cls.model_validate(known)

    def with_changes(self, changes: dict[str, str], reset: tuple[str, ...] = ()) -> TenantProfile:
        """A copy with ``changes`` (key -> text) and the ``reset`` keys back to the server's;
        ``TenantNameError``'s sibling ``ProfileError`` names the first bad key."""
        unknown = sorted((set(changes) | set(reset)) - set(type(self).model_fields))
        if unknown:
            known = ", ".join(type(self).model_fields)
            raise ProfileError(f"unknown tenant setting {unknown[0]!r}; known: {known}")
        values: dict[str, Any] = {**self.model_dump(), **changes}
        for key in reset:
            values[key] = None
        try:
            return type(self).model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = f"{error['loc'][0]}: " if error["loc"] else ""
            raise ProfileError(f"{where}{error['msg'].removeprefix('Value error, ')}") from None


class ProfileError(ValueError):
    """A tenant setting that cannot be used; the message names the key and the rule."""


MAX_DOMAINS = 50
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def check_domain(domain: str) -> str:
    """``domain`` lowercased if it is a DNS name of two labels or more (ASCII: an IDN in its
    xn-- form), else ValueError naming the rule. One final dot (the DNS root) is dropped."""
    # ASCII before lowercasing: str.lower() makes some non-ASCII letters ASCII (the Kelvin
    # sign U+212A becomes "k"), so a look-alike would pass as another name.
    if not domain.isascii():
        raise ValueError(f"{domain!r} is not ASCII: give an international domain in its xn-- form")
    name = domain.lower().removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        raise ValueError(
            f"{domain!r} is not a domain name (labels of a-z, 0-9 and '-', such as acme.example)"
        )
    return name


def domain_of(login: str) -> str | None:
    """The domain of what a person typed to sign in (``alice@acme.example``), or None."""
    _, at, domain = login.strip().rpartition("@")
    if not at:
        return None
    try:
        return check_domain(domain)
    except ValueError:
        return None


def logo_origin(url: str) -> str | None:
    """``https://host[:port]`` of an https logo URL whose every part is plain, else None: the
    origin goes into the tenant's Content-Security-Policy (img-src), so nothing in it may end
    the directive or add a source."""
    if not url.startswith("https://") or any(c in url for c in " \"'<>;,\\`?#@"):
        return None
    parts = urlsplit(url)
    if not _HOST.fullmatch(parts.netloc) or not _PATH.fullmatch(parts.path or "/"):
        return None
    return f"https://{parts.netloc}"
