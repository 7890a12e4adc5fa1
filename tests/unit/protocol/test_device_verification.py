"""protocol.device_verification: the device page's rules (RFC 8628 §3.3, §5.1, §5.4): the
code under brute-force protection, who answers, and the answer recorded once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gatehouse.protocol.authorization import BrowserState
from gatehouse.protocol.device import (
    DEVICE_CODE_GRANT,
    device_authorization,
    grouped,
    new_user_code,
)
from gatehouse.protocol.device_verification import (
    Answered,
    CodeRefused,
    Confirmation,
    DeviceRequest,
    SignInNeeded,
    answer,
    confirmation,
    find_request,
)
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery, SsoSession, User
from tests.unit.protocol.conftest import Registered, params, register

ADDRESS = "198.51.100.7"


@pytest.fixture
def tv(runtime: Runtime) -> Registered:
    return register(
        runtime,
        "tv",
        client_type="public",
        grant_types=[DEVICE_CODE_GRANT],
        redirect_uris=[],
        scopes=["openid", "profile"],
    )


def start(provider: Provider, client_id: str = "tv") -> str:
    """A device request; its user code as the device shows it."""
    response = device_authorization(
        provider, params(client_id=client_id, scope="openid profile"), None, address=None
    )
    return response.user_code


def signed_in(provider: Provider, user: User, amr: tuple[str, ...] = ("pwd",)) -> BrowserState:
    now = provider.clock()
    session = SsoSession(
        sid="sid-1",
        user_id=user.id,
        auth_time=now,
        amr=amr,
        acr=None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + 3600,
    )
    return BrowserState(session=session, user=user)


def test_a_right_code_finds_its_request_and_a_wrong_one_counts(
    provider: Provider, tv: Registered
) -> None:
    code = start(provider)
    found = find_request(provider, code.lower(), ADDRESS)
    assert isinstance(found, DeviceRequest) and found.shown_code == code
    assert found.client.client_id == "tv"
    assert find_request(provider, grouped(new_user_code()), ADDRESS) == CodeRefused()
    (failed,) = provider.audit.list(AuditQuery(types=("signin.failed",)))
    assert failed.ip == ADDRESS and failed.details["factor"] == "user_code"


def test_a_right_code_does_not_clear_the_count(provider: Provider, tv: Registered) -> None:
    """Anyone can start device requests and so hold right codes at will."""
    code = start(provider)
    wrong = grouped(new_user_code())
    for _ in range(2):
        find_request(provider, wrong, ADDRESS)
    assert isinstance(find_request(provider, code, ADDRESS), DeviceRequest)
    third = find_request(provider, wrong, ADDRESS)
    assert isinstance(third, CodeRefused) and third.refusal is not None
    refused = find_request(provider, code, ADDRESS)
    assert isinstance(refused, CodeRefused) and not refused.checked
    # Another address is not held up.
    assert isinstance(find_request(provider, code, "203.0.113.9"), DeviceRequest)


@pytest.mark.parametrize(
    ("amr", "require_mfa", "expected"),
    [
        ((), False, SignInNeeded),
        (("pwd",), False, Confirmation),
        (("pwd",), True, SignInNeeded),
        (("pwd", "otp", "mfa"), True, Confirmation),
    ],
)
def test_who_answers(
    runtime: Runtime,
    provider: Provider,
    alice: User,
    amr: tuple[str, ...],
    require_mfa: bool,
    expected: type,
) -> None:
    register(
        runtime,
        "tv",
        client_type="public",
        grant_types=[DEVICE_CODE_GRANT],
        redirect_uris=[],
        require_mfa=require_mfa,
    )
    found = find_request(provider, start(provider), ADDRESS)
    assert isinstance(found, DeviceRequest)
    browser = signed_in(provider, alice, amr) if amr else BrowserState(None, None)
    shown = confirmation(provider, found, browser)
    assert isinstance(shown, expected)
    if isinstance(shown, SignInNeeded):
        assert shown.acr_values == (("urn:gatehouse:acr:mfa",) if amr else ())


def test_an_approval_is_recorded_once_with_the_consent(
    provider: Provider, tv: Registered, alice: User
) -> None:
    code = start(provider)
    browser = signed_in(provider, alice)
    assert answer(provider, code, browser, alice.id, True, ADDRESS) == Answered(True, tv.client)
    consent = provider.consents.get(alice.id, "tv")
    assert consent is not None and consent.scopes == frozenset({"openid", "profile"})
    assert answer(provider, code, browser, alice.id, False, ADDRESS) == CodeRefused()
    events = provider.audit.list(AuditQuery(types=("device.approved", "device.denied")))
    assert [(e.type, e.user_id, e.ip) for e in events] == [("device.approved", alice.id, ADDRESS)]


def test_an_answer_given_for_someone_else_asks_again(
    provider: Provider, tv: Registered, alice: User
) -> None:
    code = start(provider)
    browser = signed_in(provider, alice)
    shown = answer(provider, code, browser, "someone-else", True, ADDRESS)
    assert isinstance(shown, Confirmation) and shown.user == alice
    signed_out = replace(browser, session=None, user=None)
    assert isinstance(answer(provider, code, signed_out, alice.id, True, ADDRESS), SignInNeeded)
    assert provider.consents.get(alice.id, "tv") is None
