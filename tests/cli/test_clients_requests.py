"""`gatehouse client create|update --require-par --request-object-alg ALG`, the same fields
in `gatehouse apply` and `client show` (RFC 9126 §6, RFC 9101 §10.5): the rules that keep
an impossible client from existing, each a one-line error."""

from __future__ import annotations

import json
from pathlib import Path

from joserfc.jwk import RSAKey

from gatehouse.runtime import Runtime
from tests.cli.conftest import Gatehouse
from tests.support.request_objects import public_jwks

CB = "https://app.example.com/callback"


def jwks_file(tmp_path: Path) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(public_jwks(RSAKey.generate_key(2048, private=True))))
    return str(path)


def test_a_client_that_pushes_and_signs_its_requests(gh: Gatehouse, tmp_path: Path) -> None:
    created = gh.ok(
        "client", "create", "--client-id", "web", "--redirect-uri", CB,
        "--require-par", "--request-object-alg", "RS256", "--jwks", jwks_file(tmp_path),
    )  # fmt: skip
    assert created["auth_method"] == "client_secret_basic"
    assert created["require_pushed_authorization_requests"] is True
    assert created["request_object_signing_alg"] == "RS256"
    assert created["jwks"]["keys"]
    shown = gh.ok("client", "show", "web")
    assert shown["require_pushed_authorization_requests"] is True
    updated = gh.ok("client", "update", "web", "--no-require-par", "--request-object-alg", "")
    assert updated["require_pushed_authorization_requests"] is False
    assert updated["request_object_signing_alg"] is None
    assert updated["jwks"] is None  # kept only while something verifies with them


def test_hs256_for_a_client_secret_jwt_client(gh: Gatehouse) -> None:
    created = gh.ok(
        "client", "create", "--client-id", "web", "--redirect-uri", CB,
        "--auth-method", "client_secret_jwt", "--request-object-alg", "HS256",
    )  # fmt: skip
    assert created["request_object_signing_alg"] == "HS256"


def test_impossible_request_settings_are_one_line_errors(gh: Gatehouse, tmp_path: Path) -> None:
    base = ("client", "create", "--client-id", "web", "--redirect-uri", CB)
    assert "keyed with the client secret" in gh.fails(*base, "--request-object-alg", "HS256")
    assert "jwks" in gh.fails(*base, "--request-object-alg", "RS256")
    assert "must be one of RS256, ES256, HS256" in gh.fails(*base, "--request-object-alg", "none")
    assert "authorization code" in gh.fails(
        "client", "create", "--client-id", "daemon", "--grant-type", "client_credentials",
        "--require-par",
    )  # fmt: skip
    assert "only for auth_method private_key_jwt or signed request objects" in gh.fails(
        *base, "--jwks", jwks_file(tmp_path)
    )


def test_apply_sets_the_same_fields(gh: Gatehouse, runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(
        "clients:\n"
        "  - client_id: web\n"
        f"    redirect_uris: [{CB}]\n"
        "    auth_method: client_secret_jwt\n"
        "    require_pushed_authorization_requests: true\n"
        "    request_object_signing_alg: HS256\n"
    )
    gh.ok("apply", str(path))
    client = runtime.store.clients.get("web")
    assert client is not None
    assert client.require_pushed_authorization_requests is True
    assert client.request_object_signing_alg == "HS256"
    path.write_text(
        "clients:\n  - client_id: web\n    require_pushed_authorization_requests: maybe\n"
    )
    assert "require_pushed_authorization_requests must be true or false" in gh.fails(
        "apply", str(path)
    )
