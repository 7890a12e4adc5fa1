"""The device authorization grant at the token endpoint (RFC 8628 §3.4, §3.5): the device
polls with its device code until the person has answered on the verification page.

The answers, in the order they are decided: a code that is unknown or another client's,
already redeemed, or expired; the person's denial; still pending (and, for a poll sooner
than the interval, slow_down with the interval raised by 5 s, remembered per device code);
else tokens, once: the redemption is one conditional UPDATE.

The tokens are the code flow's (protocol/issuance.py), for the person who approved, with
the methods they signed in with. They share no SSO session with the browser the person
approved on (signing out there does not sign the device out), so a refresh token comes
only with offline_access, on its own lifetimes.
"""

from __future__ import annotations

from gatehouse.crypto import sha256_digest
from gatehouse.errors import (
    AuthorizationDeclined,
    AuthorizationPending,
    ExpiredToken,
    InvalidGrant,
    SlowDown,
)
from gatehouse.protocol.device import DEVICE_CODE_GRANT
from gatehouse.protocol.issuance import UserGrant, issue_user_tokens, user_audience
from gatehouse.protocol.liveness import user_cannot_receive_tokens
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import Client, DeviceAuthorization

# RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent
# requests".
SLOW_DOWN_STEP = 5
ALREADY_USED = "the device code was already used; start a new device authorization"


class DeviceCodeGrant:
    grant_type = DEVICE_CODE_GRANT

    def handle(
        self, provider: Provider, client: Client, params: Parameters, *, address: str | None = None
    ) -> TokenResponse:
        request = _request_for_client(provider, client, params.require("device_code"))
        now = provider.clock()
        if request.redeemed_at is not None:
            raise InvalidGrant(ALREADY_USED)
        if request.expires_at <= now:
            raise ExpiredToken(
                "the device code has expired before the user approved it; start a new device "
                "authorization"
            )
        if request.status == "denied":
            raise AuthorizationDeclined("the user denied the device's request")
        if request.status == "pending":
            _count_poll(provider, request, now)
        return _redeem(provider, client, request, params)


def _request_for_client(provider: Provider, client: Client, value: str) -> DeviceAuthorization:
    """RFC 8628 §3.4: the device code must exist and have been issued to this client."""
    request = provider.device_authorizations.by_device_code(sha256_digest(value))
    if request is None:
        raise InvalidGrant("the device code is not valid")
    if request.client_id != client.client_id:
        raise InvalidGrant("the device code was issued to another client")
    return request


def _count_poll(provider: Provider, request: DeviceAuthorization, now: int) -> None:
    """RFC 8628 §3.5: authorization_pending; slow_down, with the interval raised for good,
    when this poll came sooner than the interval after the last one. A poll that races
    another one (the same device code, the same second) is one too many as well."""
    last = request.last_polled_at
    too_soon = last is not None and now - last < request.poll_interval
    interval = request.poll_interval + SLOW_DOWN_STEP if too_soon else request.poll_interval
    recorded = provider.device_authorizations.record_poll(
        request.device_code_hash, last, now, interval
    )
    if too_soon or not recorded:
        raise SlowDown(
            f"polling too fast: wait at least {interval} seconds between requests from now on"
        )
    raise AuthorizationPending(
        f"the user has not answered yet; poll again in {interval} seconds or more"
    )


def _redeem(
    provider: Provider, client: Client, request: DeviceAuthorization, params: Parameters
) -> TokenResponse:
    approval = request.approval
    if approval is None:  # pragma: no cover - approved requests carry their approval
        raise InvalidGrant("the device code is not valid")
    user = provider.users.get(approval.user_id)
    refused = user_cannot_receive_tokens(user, approval.auth_time)
    if refused is not None or user is None:
        raise InvalidGrant(f"this device code can no longer be redeemed: {refused}")
    grant = UserGrant(
        client=client,
        user=user,
        scopes=request.scopes,
        grant_id=approval.grant_id,
        auth_time=approval.auth_time,
        sid=None,
        amr=approval.amr,
        acr=approval.acr,
        resources=request.resources,
    )
    # RFC 8707 §2.2: an unusable resource fails before the code is spent.
    audience = user_audience(provider, grant, grant.scopes, params.all("resource"))
    if not provider.device_authorizations.redeem(request.device_code_hash, provider.clock()):
        raise InvalidGrant(ALREADY_USED)
    return issue_user_tokens(provider, grant, audience=audience)
