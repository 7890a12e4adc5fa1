"""The admin specs that the entries of a `gatehouse apply` file describe (clients and
APIs): each entry's values checked for type, in the file's own terms; the rules of each
kind are the admin services' (admin/client_spec.py, admin/apis.py)."""

from __future__ import annotations

from typing import Any

from gatehouse.admin import apis as api_admin
from gatehouse.admin import clients as client_admin
from gatehouse.admin.errors import AdminError


def _string_list(value: Any, key: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AdminError(f"{key} must be a list of strings")
    return list(value)


def client_spec(entry: dict[str, Any]) -> client_admin.ClientSpec:
    scope = entry.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise AdminError("scope must be a space-separated string")
    lists = {
        key: _string_list(entry.get(key), key)
        for key in (
            "redirect_uris",
            "post_logout_redirect_uris",
            "grant_types",
            "response_types",
            "web_origins",
        )
    }
    return client_admin.ClientSpec(
        client_id=entry["client_id"],
        client_type=entry.get("type"),
        secret=entry.get("secret"),
        name=entry.get("name"),
        redirect_uris=lists["redirect_uris"],
        post_logout_redirect_uris=lists["post_logout_redirect_uris"],
        grant_types=lists["grant_types"],
        response_types=lists["response_types"],
        scopes=scope.split() if scope is not None else None,
        auth_method=entry.get("auth_method"),
        first_party=entry.get("first_party"),
        web_origins=lists["web_origins"],
        id_token_signing_alg=entry.get("id_token_signing_alg"),
        jwks=entry.get("jwks"),
        jwks_uri=entry.get("jwks_uri"),
        refresh_token_rotation=entry.get("refresh_token_rotation"),
        backchannel_logout_uri=_optional_string(entry, "backchannel_logout_uri"),
        backchannel_logout_session_required=_optional_bool(
            entry, "backchannel_logout_session_required"
        ),
        frontchannel_logout_uri=_optional_string(entry, "frontchannel_logout_uri"),
        frontchannel_logout_session_required=_optional_bool(
            entry, "frontchannel_logout_session_required"
        ),
        require_mfa=entry.get("require_mfa"),
        require_pushed_authorization_requests=_optional_bool(
            entry, "require_pushed_authorization_requests"
        ),
        request_object_signing_alg=_optional_string(entry, "request_object_signing_alg"),
        require_dpop=entry.get("require_dpop"),
        groups_claim=_optional_string(entry, "groups_claim"),
        token_profile=entry.get("token_profile"),
        multi_tenant=entry.get("multi_tenant"),
    )


def _optional_string(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise AdminError(f'{key} must be a string ("" removes it)')
    return value


def _optional_bool(entry: dict[str, Any], key: str) -> bool | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, bool):
        raise AdminError(f"{key} must be true or false")
    return value


def _permission_list(value: Any, key: str) -> list[tuple[str, str]] | None:
    """A mapping name → description, or a list of {name, description}."""
    if value is None:
        return None
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        items = [(v.get("name"), v.get("description")) for v in value]
    else:
        raise AdminError(f"{key} must map names to descriptions")
    if not all(isinstance(n, str) and isinstance(d, str) for n, d in items):
        raise AdminError(f"{key}: every entry needs a name and a description")
    return [(str(n), str(d)) for n, d in items]


def api_spec(entry: dict[str, Any], *, with_client: bool) -> api_admin.ApiSpec:
    lifetime = entry.get("access_token_lifetime")
    if lifetime is not None and (not isinstance(lifetime, int) or isinstance(lifetime, bool)):
        raise AdminError("access_token_lifetime must be a number of seconds")
    return api_admin.ApiSpec(
        identifier=entry["identifier"],
        name=entry.get("name"),
        scopes=_permission_list(entry.get("scopes"), "scopes"),
        roles=_permission_list(entry.get("app_roles"), "app_roles"),
        access_token_lifetime=lifetime,
        signing_alg=entry.get("signing_alg"),
        client_id=entry.get("client_id") if with_client else None,
        admin_consent_required=_name_list(entry.get("admin_consent_required")),
        token_profile=entry.get("token_profile"),
    )


def _name_list(value: Any) -> list[str] | None:
    """admin_consent_required: a list of the API's scope names."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AdminError("admin_consent_required must be a list of the API's scope names")
    return list(value)
