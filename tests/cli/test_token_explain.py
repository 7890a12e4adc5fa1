"""`gatehouse token explain`: every check reported in plain words."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gatehouse.admin.explain import explain_token
from gatehouse.cli.main import cli
from gatehouse.protocol.audiences import Audience
from gatehouse.protocol.issuance import mint_for_audience
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from gatehouse.storage.records import Client
from tests.conftest import ISSUER, TEST_SECRET_KEY
from tests.support.factories import make_client, make_user

API = "https://orders.example.com"


def _token(
    runtime: Runtime,
    *,
    scopes: tuple[str, ...] = ("orders.read",),
    roles: list[str] | None = None,
    now: int | None = None,
    jkt: str | None = None,
) -> str:
    return mint_for_audience(
        runtime.provider.bound_to(jkt) if jkt else runtime.provider,
        Audience(API, scopes, None),
        subject="web",  # a client-credentials style token: no user to look up
        client=_web(runtime),
        now=now or runtime.provider.clock(),
        extra_claims={"roles": roles} if roles is not None else None,
    ).value


def _web(runtime: Runtime) -> Client:
    """The client the tokens are minted for (registered on first use)."""
    if runtime.store.clients.get("web") is None:
        make_client(runtime)
    web = runtime.store.clients.get("web")
    assert web is not None
    return web


def _checks(result: dict[str, object]) -> dict[str, bool]:
    return {c["check"]: c["ok"] for c in result["checks"]}  # type: ignore[index,union-attr]


def test_a_good_token_is_accepted(runtime: Runtime) -> None:
    result = explain_token(
        runtime, _token(runtime), issuer=ISSUER, audience=API, scopes=("orders.read",)
    )
    assert result.accepted
    assert result.to_json()["verdict"].startswith("An API with these expectations would accept")


@pytest.mark.parametrize(
    ("kwargs", "failing", "words"),
    [
        ({"audience": "https://other.example.com"}, "audience", "not https://other.example.com"),
        ({"scopes": ("orders.write",)}, "scope orders.write", "lacks the delegated scope"),
        ({"roles": ("Orders.ReadAll",)}, "role Orders.ReadAll", "app-role --client"),
        ({"issuer": "https://elsewhere.example.com"}, "issuer", "expected"),
    ],
    ids=["audience", "scope", "role", "issuer"],
)
def test_each_failed_check_is_named(
    runtime: Runtime, kwargs: dict[str, object], failing: str, words: str
) -> None:
    options: dict[str, object] = {"issuer": ISSUER, "audience": API}
    options.update(kwargs)
    result = explain_token(runtime, _token(runtime), **options)  # type: ignore[arg-type]
    checks = _checks(result.to_json())
    assert checks[failing] is False
    assert words in result.to_json()["verdict"]


def test_a_persons_token_without_the_role_names_the_person_and_their_groups(
    runtime: Runtime,
) -> None:
    alice = make_user(runtime)
    token = mint_for_audience(
        runtime.provider,
        Audience(API, ("orders.read",), None),
        subject=alice["id"],
        client=_web(runtime),
        now=runtime.provider.clock(),
    ).value
    result = explain_token(runtime, token, issuer=ISSUER, audience=API, roles=("Orders.Approve",))
    verdict = result.to_json()["verdict"]
    assert "lacks the app role Orders.Approve" in verdict
    assert "to the person or a group they are in (`gatehouse grant app-role --user`" in verdict
    assert "only client credentials" not in verdict


def test_expired_tampered_and_revoked(runtime: Runtime) -> None:
    old = _token(runtime, now=runtime.provider.clock() - 7200)
    assert _checks(explain_token(runtime, old, issuer=ISSUER).to_json())["expiry"] is False

    header, payload, signature = _token(runtime).split(".")
    tampered = f"{header}.{payload}.{'A' * len(signature)}"
    assert _checks(explain_token(runtime, tampered, issuer=ISSUER).to_json())["signature"] is False

    token = _token(runtime)
    jti = explain_token(runtime, token, issuer=ISSUER).claims["jti"]
    runtime.store.revocations.deny_access_token(jti, runtime.provider.clock() + 3600)
    assert _checks(explain_token(runtime, token, issuer=ISSUER).to_json())["revocation"] is False


def test_id_token_and_opaque_values_are_explained(runtime: Runtime) -> None:
    from gatehouse.tokens.id_token import mint_id_token

    now = runtime.provider.clock()
    id_token = mint_id_token(
        runtime.provider.keys.keyring(),
        alg="RS256",
        issuer=ISSUER,
        subject="u",
        client_id="web",
        now=now,
        lifetime=60,
        auth_time=now,
        nonce="n",
        sid=None,
        amr=(),
        acr=None,
        access_token=None,
        extra_claims={},
    )
    result = explain_token(runtime, id_token, issuer=ISSUER).to_json()
    assert result["kind"] == "ID token" and _checks(result)["type"] is False
    opaque = explain_token(runtime, "not-a-jwt", issuer=ISSUER).to_json()
    assert "not a JWT" in opaque["verdict"]


def test_cli_exit_codes(runtime: Runtime, settings: Settings) -> None:
    env = {
        "GATEHOUSE_DATABASE_URL": settings.resolved_database_url,
        "GATEHOUSE_SECRET_KEY": TEST_SECRET_KEY,
        "GATEHOUSE_ISSUER": ISSUER,
    }
    token = _token(runtime, roles=["Orders.ReadAll"])
    ok = CliRunner().invoke(
        cli, ["token", "explain", token, "--audience", API, "--role", "Orders.ReadAll"], env=env
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["accepted"] is True
    bad = CliRunner().invoke(
        cli, ["token", "explain", token, "--audience", "https://x.example"], env=env
    )
    assert bad.exit_code == 1
    assert json.loads(bad.output)["accepted"] is False


def test_a_disabled_users_token_is_explained(runtime: Runtime) -> None:
    from gatehouse.admin import users as user_admin
    from tests.support.factories import make_user

    user = make_user(runtime)
    token = mint_for_audience(
        runtime.provider,
        Audience(API, ("orders.read",), None),
        subject=user["id"],
        client=_web(runtime),
        now=runtime.provider.clock(),
    ).value
    assert _checks(explain_token(runtime, token, issuer=ISSUER).to_json())["user"] is True
    user_admin.set_disabled(runtime, "alice", True)
    result = explain_token(runtime, token, issuer=ISSUER).to_json()
    assert _checks(result)["user"] is False and "disabled" in result["verdict"]


def _detail(result: dict[str, object], check: str) -> str:
    return next(str(c["detail"]) for c in result["checks"] if c["check"] == check)  # type: ignore[attr-defined,index]


def test_a_bad_signature_says_what_failed(runtime: Runtime) -> None:
    header, payload, signature = _token(runtime).split(".")
    tampered = f"{header}.{payload}.{'A' * len(signature)}"
    detail = _detail(explain_token(runtime, tampered, issuer=ISSUER).to_json(), "signature")
    assert "bad_signature: )" not in detail and "()" not in detail, detail
    assert "the signature does not match the header and payload" in detail, detail


@pytest.mark.parametrize(
    ("scope", "ok"),
    [
        ("orders.read", True),
        (f"{API}/orders.read", True),  # the canonical form clients request
        (f"{API}/orders.write", False),
        ("https://other.example.com/orders.read", False),  # another API's orders.read
        (f"{API}/sub/orders.read", False),
    ],
)
def test_scope_in_bare_or_canonical_form(runtime: Runtime, scope: str, ok: bool) -> None:
    result = explain_token(runtime, _token(runtime), issuer=ISSUER, audience=API, scopes=(scope,))
    checks = result.to_json()
    assert _checks(checks)[f"scope {scope}"] is ok, checks
    assert result.accepted is ok


def test_a_token_just_past_exp_is_said_to_be_expired(runtime: Runtime) -> None:
    token = _token(runtime)
    exp = explain_token(runtime, token, issuer=ISSUER).claims["exp"]
    result = explain_token(runtime, token, issuer=ISSUER, audience=API, now=exp + 10).to_json()
    detail = _detail(result, "expiry")
    # gatehouse.rs, within its leeway, still accepts it: the check passes, but says so.
    assert result["accepted"] is True
    assert "left" not in detail and "-10 s" not in detail, detail
    assert "the token expired at" in detail and "(10 s ago)" in detail, detail
    assert "gatehouse.rs accepts it only within its default 30 s leeway" in detail, detail
    assert "introspection and UserInfo allow no leeway and refuse it" in detail, detail
    assert str(result["verdict"]).startswith("An API with these expectations would accept")
    assert "the token expired at" in str(result["verdict"])
    at_the_leeway = explain_token(runtime, token, issuer=ISSUER, now=exp + 30).to_json()
    assert _checks(at_the_leeway)["expiry"] is False
    assert "get a new one" in str(at_the_leeway["verdict"])


def test_a_valid_token_has_time_left_and_no_caveat(runtime: Runtime) -> None:
    token = _token(runtime)
    exp = explain_token(runtime, token, issuer=ISSUER).claims["exp"]
    result = explain_token(runtime, token, issuer=ISSUER, now=exp - 5).to_json()
    assert "valid until" in _detail(result, "expiry") and "(5 s left)" in _detail(result, "expiry")
    assert result["verdict"] == "An API with these expectations would accept this token."


def test_a_dpop_bound_token_is_accepted_with_the_binding_said(runtime: Runtime) -> None:
    jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    result = explain_token(runtime, _token(runtime, jkt=jkt), issuer=ISSUER).to_json()
    assert result["accepted"] is True
    assert jkt in _detail(result, "sender binding")
    assert "never as a Bearer token" in str(result["verdict"])
    plain = explain_token(runtime, _token(runtime), issuer=ISSUER).to_json()
    assert "sender binding" not in _checks(plain)


def test_without_a_database_the_issuers_keys_are_fetched_within_the_size_limit(
    runtime: Runtime,
) -> None:
    """Issue 11 item 5: `token explain` fetched the issuer's JWK Set with no size limit."""
    from tests.support.jwks_server import jwks_server

    with jwks_server() as server:
        server.mode = "huge"
        issuer = server.url.removesuffix("/jwks.json")
        result = explain_token(None, _token(runtime), issuer=issuer).to_json()
    assert _detail(result, "signature") == (
        "could not fetch the issuer's keys: the answer of the issuer's discovery document is "
        "larger than 64 KiB"
    )
