"""accounts.passkeys (and accounts.webauthn under it): registering passkeys, verifying their
assertions, listing and removing them, against a software authenticator, on real storage.
Every refusal leaves nothing written but the spent challenge and a passkey.failed event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gatehouse.accounts.passkeys import (
    CHALLENGE_LIFETIME,
    MAX_PASSKEYS,
    AuditContext,
    PasskeyService,
    VerifiedPasskey,
    passkey_name,
)
from gatehouse.accounts.webauthn import PasskeyRejected, RelyingParty
from gatehouse.errors import InvalidRequest
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery, Passkey, User
from tests.support.authenticator import SoftAuthenticator, b64url, from_b64url
from tests.support.factories import make_user

NOW = 1_700_000_000
ORIGIN = "http://testserver"  # tests/conftest.py's issuer
BROWSER = "b" * 64
INTERACTION = "i" * 64
CONTEXT = AuditContext("203.0.113.7", "web")


@pytest.fixture
def service(runtime: Runtime) -> PasskeyService:
    return runtime.provider.passkeys


def _user(runtime: Runtime, username: str) -> User:
    user = runtime.store.users.get(str(make_user(runtime, username)["id"]))
    assert user is not None
    return user


@pytest.fixture
def alice(runtime: Runtime) -> User:
    return _user(runtime, "alice")


@pytest.fixture
def bob(runtime: Runtime) -> User:
    return _user(runtime, "bob")


def register(
    service: PasskeyService,
    user: User,
    authenticator: SoftAuthenticator,
    name: str = "Laptop",
    **lie: Any,
) -> Passkey:
    options = service.registration_options(user, BROWSER, NOW)
    return service.register(user, BROWSER, name, authenticator.create(options, **lie), NOW, CONTEXT)


def sign_in(
    service: PasskeyService, authenticator: SoftAuthenticator, **lie: Any
) -> VerifiedPasskey:
    options = service.authentication_options(BROWSER, NOW, interaction_hash=INTERACTION)
    return service.verify_assertion(
        authenticator.get(options, **lie), BROWSER, NOW, interaction_hash=INTERACTION,
        context=CONTEXT,
    )  # fmt: skip


def events(runtime: Runtime, kind: str) -> list[Any]:
    return runtime.store.audit.list(AuditQuery(types=(kind,)))


def refused(action: Callable[[], object], reason: str) -> PasskeyRejected:
    with pytest.raises(PasskeyRejected) as caught:
        action()
    assert caught.value.reason == reason, caught.value.detail
    return caught.value


# -- the relying party --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "rp_id", "origin"),
    [
        ("https://id.example.com", "id.example.com", "https://id.example.com"),
        ("https://ID.Example.com:443/tenant", "id.example.com", "https://id.example.com"),
        ("https://id.example.com:8443", "id.example.com", "https://id.example.com:8443"),
        ("http://localhost:8000", "localhost", "http://localhost:8000"),
        ("http://testserver", "testserver", "http://testserver"),
    ],
)
def test_the_relying_party_is_the_issuer_host_and_origin(
    issuer: str, rp_id: str, origin: str
) -> None:
    rp = RelyingParty.for_issuer(issuer)
    assert (rp.id, rp.origin) == (rp_id, origin)


# -- registration -------------------------------------------------------------------------


def test_registration_options_ask_for_a_discoverable_user_verifying_passkey(
    service: PasskeyService, alice: User
) -> None:
    options = service.registration_options(alice, BROWSER, NOW)

    assert options["rp"] == {"id": "testserver", "name": "testserver"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -8, -257]
    assert options["user"]["name"] == "alice"
    assert options["excludeCredentials"] == []
    # WebAuthn §14.6.1: the user handle is random, not the id, name or email.
    handle = from_b64url(options["user"]["id"])
    assert len(handle) == 32
    assert all(v.encode() not in handle for v in (alice.id, alice.username, alice.email or ""))


def test_a_registered_passkey_is_stored_with_what_the_authenticator_said(
    runtime: Runtime, service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    passkey = register(service, alice, authenticator, "Work laptop")

    assert service.list(alice.id) == [passkey]
    credential = next(iter(authenticator.credentials.values()))
    assert passkey.credential_id == b64url(credential.credential_id)
    assert passkey.user_handle == b64url(credential.user_handle)
    assert (passkey.name, passkey.sign_count, passkey.transports) == (
        "Work laptop",
        0,
        ("internal",),
    )
    assert passkey.aaguid == "01234567-89ab-cdef-0123-456789abcdef"
    assert (passkey.backup_eligible, passkey.backed_up, passkey.last_used_at) == (
        False,
        False,
        None,
    )
    [event] = events(runtime, "passkey.registered")
    assert (event.user_id, event.ip, event.details) == (
        alice.id, "203.0.113.7", {"passkey": passkey.id, "name": "Work laptop"},
    )  # fmt: skip


def test_a_second_passkey_keeps_the_user_handle_and_excludes_the_first(
    service: PasskeyService, alice: User, bob: User
) -> None:
    first = register(service, alice, SoftAuthenticator(ORIGIN), "Laptop")
    options = service.registration_options(alice, BROWSER, NOW)

    assert options["user"]["id"] == first.user_handle
    assert [c["id"] for c in options["excludeCredentials"]] == [first.credential_id]
    second = service.register(
        alice, BROWSER, "Phone", SoftAuthenticator(ORIGIN, synced=True).create(options), NOW + 1,
        CONTEXT,
    )  # fmt: skip
    assert (second.user_handle, second.backup_eligible) == (first.user_handle, True)
    assert [p.name for p in service.list(alice.id)] == ["Laptop", "Phone"]
    assert service.registration_options(bob, BROWSER, NOW)["user"]["id"] != first.user_handle


def test_an_eddsa_passkey_registers_and_signs_in(service: PasskeyService, alice: User) -> None:
    authenticator = SoftAuthenticator(ORIGIN, eddsa=True)
    register(service, alice, authenticator)
    assert sign_in(service, authenticator).user.id == alice.id


@pytest.mark.parametrize(
    ("lie", "reason"),
    [
        ({"origin": "https://evil.example"}, "verification"),
        ({"rp_id": "evil.example"}, "verification"),
    ],
)
def test_a_registration_for_another_origin_or_rp_is_refused(
    service: PasskeyService, alice: User, lie: dict[str, str], reason: str
) -> None:
    refused(lambda: register(service, alice, SoftAuthenticator(ORIGIN), **lie), reason)
    assert service.list(alice.id) == []


def test_a_registration_without_user_verification_is_refused(
    service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN, verifies_user=False)
    refused(lambda: register(service, alice, authenticator), "verification")
    assert service.list(alice.id) == []


def test_a_registration_answer_counts_once(service: PasskeyService, alice: User) -> None:
    options = service.registration_options(alice, BROWSER, NOW)
    response = SoftAuthenticator(ORIGIN).create(options)
    service.register(alice, BROWSER, "Laptop", response, NOW, CONTEXT)

    refused(lambda: service.register(alice, BROWSER, "Again", response, NOW, CONTEXT), "challenge")
    assert [p.name for p in service.list(alice.id)] == ["Laptop"]


def test_a_registration_challenge_is_for_its_browser_person_and_lifetime(
    service: PasskeyService, alice: User, bob: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)

    def answer(user: User, browser: str, now: int) -> Passkey:
        options = service.registration_options(alice, BROWSER, NOW)
        return service.register(user, browser, "Key", authenticator.create(options), now, CONTEXT)

    refused(lambda: answer(alice, "c" * 64, NOW), "challenge")
    refused(lambda: answer(bob, BROWSER, NOW), "wrong_user")
    refused(lambda: answer(alice, BROWSER, NOW + CHALLENGE_LIFETIME), "challenge")
    assert service.list(alice.id) == service.list(bob.id) == []


def test_a_credential_registered_to_one_account_cannot_join_another(
    service: PasskeyService, alice: User, bob: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    alices = authenticator.create(service.registration_options(alice, BROWSER, NOW))
    service.register(alice, BROWSER, "Key", alices, NOW, CONTEXT)
    # Alice's credential, sent again with client data for a challenge issued to bob ("none"
    # attestation signs nothing, so only the stored credential id can tell).
    for_bob = authenticator.create(service.registration_options(bob, BROWSER, NOW))
    replayed = {**alices, "response": {**alices["response"]}}
    replayed["response"]["clientDataJSON"] = for_bob["response"]["clientDataJSON"]

    rejected = refused(
        lambda: service.register(bob, BROWSER, "Key", replayed, NOW, CONTEXT), "already_registered"
    )
    assert "already registered" in rejected.description
    assert service.list(bob.id) == []


@pytest.mark.parametrize(
    "response",
    [
        {},
        {"id": "x", "rawId": "x", "type": "public-key", "response": "not an object"},
        {"id": "x", "rawId": "x", "type": "public-key",
         "response": {"clientDataJSON": "%%%", "attestationObject": "AA"}},
        {"id": "x", "rawId": "x", "type": "public-key",
         "response": {"clientDataJSON": b64url(b"[1]"), "attestationObject": "AA"}},
    ],
)  # fmt: skip
def test_a_malformed_registration_is_refused_as_such(
    service: PasskeyService, alice: User, response: dict[str, Any]
) -> None:
    service.registration_options(alice, BROWSER, NOW)
    rejected = refused(
        lambda: service.register(alice, BROWSER, "Key", response, NOW, CONTEXT), "malformed"
    )
    assert "malformed" in rejected.description
    assert service.list(alice.id) == []


def test_a_person_has_at_most_so_many_passkeys(
    service: PasskeyService, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gatehouse.accounts.passkeys.MAX_PASSKEYS", 1)
    register(service, alice, SoftAuthenticator(ORIGIN))
    with pytest.raises(InvalidRequest, match="the most one account may have"):
        service.registration_options(alice, BROWSER, NOW)
    assert MAX_PASSKEYS == 20


@pytest.mark.parametrize(
    ("raw", "name"), [("  Work   laptop ", "Work laptop"), ("Téléphone 📱", "Téléphone 📱")]
)
def test_a_passkey_name_is_trimmed(raw: str, name: str) -> None:
    assert passkey_name(raw) == name


@pytest.mark.parametrize("raw", [None, "", "   ", "x" * 65, "bad\u0000name", "rtl\u202ename"])
def test_a_passkey_name_must_be_short_and_printable(raw: str | None) -> None:
    with pytest.raises(InvalidRequest):
        passkey_name(raw)


# -- authentication -----------------------------------------------------------------------


def test_a_passwordless_sign_in_verifies_and_counts_the_use(
    runtime: Runtime, service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    passkey = register(service, alice, authenticator)
    options = service.authentication_options(BROWSER, NOW, interaction_hash=INTERACTION)
    assert options["allowCredentials"] == []  # discoverable: the person picks
    assert (options["rpId"], options["userVerification"]) == ("testserver", "required")

    verified = service.verify_assertion(
        authenticator.get(options), BROWSER, NOW, interaction_hash=INTERACTION, context=CONTEXT
    )

    assert (verified.user.id, verified.passkey.id, verified.user_verified) == (
        alice.id, passkey.id, True,
    )  # fmt: skip
    assert verified.passwordless_amr == ("hwk", "user", "pin", "mfa")
    [stored] = service.list(alice.id)
    assert (stored.sign_count, stored.last_used_at) == (1, NOW)
    [event] = events(runtime, "passkey.used")
    assert (event.user_id, event.client_id, event.details["passkey"]) == (
        alice.id, "web", passkey.id,
    )  # fmt: skip


def test_a_synced_passkey_is_a_software_key_without_a_counter(
    service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN, synced=True, counts=False)
    register(service, alice, authenticator)
    assert sign_in(service, authenticator).passwordless_amr == ("swk", "user", "pin", "mfa")
    assert sign_in(service, authenticator).passkey.sign_count == 0  # no counter: still fine


@pytest.mark.parametrize(
    ("lie", "reason"),
    [
        ({"forge": True}, "verification"),
        ({"origin": "https://evil.example"}, "verification"),
        ({"origin": "http://testserver:8443"}, "verification"),
        ({"rp_id": "evil.example"}, "verification"),
        ({"counter": 0}, "verification"),  # not above the stored 1: a cloned authenticator?
    ],
)
def test_a_bad_assertion_is_refused_and_changes_nothing(
    runtime: Runtime,
    service: PasskeyService,
    alice: User,
    lie: dict[str, Any],
    reason: str,
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    register(service, alice, authenticator)
    sign_in(service, authenticator)

    refused(lambda: sign_in(service, authenticator, **lie), reason)

    [stored] = service.list(alice.id)
    assert stored.sign_count == 1
    [failed] = events(runtime, "passkey.failed")
    assert (failed.user_id, failed.ip, failed.details) == (
        alice.id, "203.0.113.7", {"reason": reason},
    )  # fmt: skip


def test_a_replayed_assertion_finds_its_challenge_spent(
    service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN, counts=False)
    register(service, alice, authenticator)
    options = service.authentication_options(BROWSER, NOW, interaction_hash=INTERACTION)
    response = authenticator.get(options)
    service.verify_assertion(response, BROWSER, NOW, interaction_hash=INTERACTION, context=CONTEXT)

    rejected = refused(
        lambda: service.verify_assertion(
            response, BROWSER, NOW, interaction_hash=INTERACTION, context=CONTEXT
        ),
        "challenge",
    )
    assert "expired or was already used" in rejected.description


def test_a_challenge_is_for_its_browser_sign_in_and_lifetime(
    service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    register(service, alice, authenticator)

    def answer(browser: str, interaction: str, now: int) -> VerifiedPasskey:
        options = service.authentication_options(BROWSER, NOW, interaction_hash=INTERACTION)
        return service.verify_assertion(
            authenticator.get(options), browser, now, interaction_hash=interaction,
            context=CONTEXT,
        )  # fmt: skip

    refused(lambda: answer("c" * 64, INTERACTION, NOW), "challenge")
    refused(lambda: answer(BROWSER, "j" * 64, NOW), "challenge")
    refused(lambda: answer(BROWSER, INTERACTION, NOW + CHALLENGE_LIFETIME), "challenge")
    assert answer(BROWSER, INTERACTION, NOW + CHALLENGE_LIFETIME - 1).user.id == alice.id


def test_an_unknown_or_removed_passkey_is_refused(
    runtime: Runtime, service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    passkey = register(service, alice, authenticator)
    service.remove(alice, passkey.id, NOW, CONTEXT)

    rejected = refused(lambda: sign_in(service, authenticator), "unknown_credential")
    assert "not registered here" in rejected.description
    assert events(runtime, "passkey.failed")[0].user_id is None


def test_a_user_handle_must_be_the_passkeys_owner(
    service: PasskeyService, alice: User, bob: User
) -> None:
    """The user handle is not signed: swapping in another person's must not sign them in,
    and a passwordless answer without one names nobody (WebAuthn §7.2 step 6)."""
    alices = SoftAuthenticator(ORIGIN)
    register(service, alice, alices)
    bob_key = register(service, bob, SoftAuthenticator(ORIGIN))

    for handle in (bob_key.user_handle, None):
        options = service.authentication_options(BROWSER, NOW, interaction_hash=INTERACTION)
        response = alices.get(options)
        response["response"]["userHandle"] = handle
        refused(
            lambda response=response: service.verify_assertion(
                response, BROWSER, NOW, interaction_hash=INTERACTION, context=CONTEXT
            ),
            "wrong_user",
        )


def test_a_disabled_persons_passkey_is_refused(
    runtime: Runtime, service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    register(service, alice, authenticator)
    runtime.store.users.set_disabled(alice.id, True, NOW)
    refused(lambda: sign_in(service, authenticator), "wrong_user")


def test_as_a_second_factor_only_that_persons_passkeys_count(
    service: PasskeyService, alice: User, bob: User
) -> None:
    alice_key = register(service, alice, SoftAuthenticator(ORIGIN))
    bobs = SoftAuthenticator(ORIGIN)
    register(service, bob, bobs)
    options = service.authentication_options(
        BROWSER, NOW, interaction_hash=INTERACTION, user=alice, user_verification="preferred"
    )
    assert [c["id"] for c in options["allowCredentials"]] == [alice_key.credential_id]
    assert options["userVerification"] == "preferred"

    refused(
        lambda: service.verify_assertion(
            bobs.get(options),
            BROWSER,
            NOW,
            interaction_hash=INTERACTION,
            context=CONTEXT,
            user=alice,
            require_user_verification=False,
        ),
        "wrong_user",
    )


def test_a_second_factor_without_user_verification_is_one_factor(
    service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    register(service, alice, authenticator)
    authenticator.verifies_user = False
    options = service.authentication_options(
        BROWSER, NOW, interaction_hash=INTERACTION, user=alice, user_verification="preferred"
    )
    response = authenticator.get(options)

    verified = service.verify_assertion(
        response, BROWSER, NOW, interaction_hash=INTERACTION, context=CONTEXT, user=alice,
        require_user_verification=False,
    )  # fmt: skip
    assert (verified.methods, verified.passwordless_amr) == (("hwk", "user"), ("hwk", "user"))


def test_passwordless_sign_in_requires_user_verification(
    service: PasskeyService, alice: User
) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    register(service, alice, authenticator)
    authenticator.verifies_user = False
    refused(lambda: sign_in(service, authenticator), "verification")


@pytest.mark.parametrize(
    "response",
    [
        {},
        {"id": "x", "rawId": "x", "type": "public-key"},
        {"id": "x", "rawId": "y", "type": "public-key",
         "response": {"clientDataJSON": "e30", "authenticatorData": "", "signature": ""}},
        {"id": "x", "rawId": "x", "type": "other",
         "response": {"clientDataJSON": "e30", "authenticatorData": "", "signature": ""}},
    ],
)  # fmt: skip
def test_a_malformed_assertion_is_refused_as_such(
    service: PasskeyService, response: dict[str, Any]
) -> None:
    refused(
        lambda: service.verify_assertion(
            response, BROWSER, NOW, interaction_hash=INTERACTION, context=CONTEXT
        ),
        "malformed",
    )


def test_a_cross_origin_ceremony_is_refused(service: PasskeyService, alice: User) -> None:
    authenticator = SoftAuthenticator(ORIGIN)
    register(service, alice, authenticator)
    options = service.authentication_options(BROWSER, NOW, interaction_hash=INTERACTION)
    response = authenticator.get(options)
    client_data = from_b64url(response["response"]["clientDataJSON"])
    response["response"]["clientDataJSON"] = b64url(
        client_data.replace(b'"crossOrigin": false', b'"crossOrigin": true')
    )
    refused(
        lambda: service.verify_assertion(
            response, BROWSER, NOW, interaction_hash=INTERACTION, context=CONTEXT
        ),
        "cross_origin",
    )


# -- removal ------------------------------------------------------------------------------


def test_a_person_removes_their_own_passkey_only(
    runtime: Runtime, service: PasskeyService, alice: User, bob: User
) -> None:
    alice_key = register(service, alice, SoftAuthenticator(ORIGIN), "Laptop")
    bob_key = register(service, bob, SoftAuthenticator(ORIGIN), "Bob's key")

    assert service.remove(alice, bob_key.id, NOW, CONTEXT) is None
    assert service.remove(alice, alice_key.id, NOW, CONTEXT) == alice_key
    assert service.remove(alice, alice_key.id, NOW, CONTEXT) is None

    assert (service.list(alice.id), service.list(bob.id)) == ([], [bob_key])
    [event] = events(runtime, "passkey.removed")
    assert (event.user_id, event.details) == (alice.id, {"passkey": alice_key.id, "name": "Laptop"})
