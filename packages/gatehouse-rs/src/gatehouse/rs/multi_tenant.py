"""Validating tokens from a configured set of gatehouse tenants: an API that serves a
multi-tenant application's people (docs/multi-tenant-apps.md).

:class:`MultiTenantValidator` holds one :class:`TokenValidator` per tenant issuer. For each
token it reads the (still untrusted) ``iss`` only to pick the validator of that issuer — a
token naming any other issuer is refused before a key is fetched — then that validator
checks the token fully with that issuer's keys (signature, ``iss``, ``aud``, ``exp``), and
finally the ``tid`` claim must name the tenant of that issuer: a tenant's key signs only its
own tenant's tokens, and ``tid`` says which tenant a person belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from gatehouse.rs.errors import InvalidToken
from gatehouse.rs.jws import DEFAULT_ALGORITHMS, parse, pin_algorithms
from gatehouse.rs.token import AccessToken
from gatehouse.rs.validator import TokenValidator

# A gatehouse tenant's issuer is {base}/t/{tenant}; the default tenant's is the bare base.
_TENANT_PATH = "/t/"
DEFAULT_TENANT = "default"


def tenant_of_issuer(issuer: str) -> str:
    """The ``tid`` a gatehouse issuer's tokens carry: the last segment of ``…/t/{tenant}``,
    else ``default``."""
    head, sep, name = issuer.rstrip("/").rpartition(_TENANT_PATH)
    return name if sep and head and "/" not in name else DEFAULT_TENANT


class MultiTenantValidator:
    """Validates access tokens for ``audience`` issued by any of ``issuers``.

    :param issuers: the tenants' issuers, or a mapping of issuer to the ``tid`` its tokens
        carry (by default read from the issuer: ``…/t/acme`` is ``acme``, the bare base
        issuer ``default``).
    :param audience: this API's identifier (or several).
    :param options: passed to each issuer's :class:`TokenValidator` (``algorithms``,
        ``leeway``, ``cache``, ``http``, ``clock``, ``entra``, ...).
    """

    def __init__(
        self,
        issuers: Iterable[str] | Mapping[str, str],
        audience: str | Iterable[str],
        **options: Any,
    ) -> None:
        tenants = (
            dict(issuers)
            if isinstance(issuers, Mapping)
            else {issuer: tenant_of_issuer(issuer) for issuer in issuers}
        )
        if not tenants:
            raise ValueError("issuers must name at least one issuer")
        self.algorithms = pin_algorithms(options.get("algorithms", DEFAULT_ALGORITHMS))
        self._tenants = tenants
        self._validators = {
            issuer: TokenValidator(issuer, audience, **options) for issuer in tenants
        }

    @property
    def issuers(self) -> tuple[str, ...]:
        return tuple(self._validators)

    def validator_for(self, token: str) -> tuple[TokenValidator, str]:
        """The validator of the token's issuer and the tid it must carry; InvalidToken when
        the token names no configured issuer."""
        parsed = parse(token, self.algorithms)
        try:
            claims = json.loads(parsed.signature.payload)
        except (ValueError, UnicodeDecodeError):
            raise InvalidToken("the token's claims are not a JSON object") from None
        issuer = claims.get("iss") if isinstance(claims, dict) else None
        validator = self._validators.get(issuer) if isinstance(issuer, str) else None
        if validator is None or not isinstance(issuer, str):
            shown = repr(issuer)[:200]
            raise InvalidToken(f"the token's issuer {shown} is not one of this API's tenants")
        return validator, self._tenants[issuer]

    def validate(self, token: str) -> AccessToken:
        validator, tenant = self.validator_for(token)
        return _same_tenant(validator.validate(token), tenant)

    async def validate_async(self, token: str) -> AccessToken:
        validator, tenant = self.validator_for(token)
        return _same_tenant(await validator.validate_async(token), tenant)

    def close(self) -> None:
        for validator in self._validators.values():
            validator.close()

    async def aclose(self) -> None:
        for validator in self._validators.values():
            await validator.aclose()


def _same_tenant(token: AccessToken, tenant: str) -> AccessToken:
    tid = token.claims.get("tid")
    if tid != tenant:
        raise InvalidToken(
            f"the token's tid {str(tid)[:64]!r} is not the tenant of its issuer ({tenant!r})"
        )
    return token
