"""Reading a `gatehouse apply` file: the YAML, its sections and their entries checked for
shape and ``${NAME}`` expanded (the admin specs the entries describe: apply_specs.py).

Every error names the file, the line, and the entry in the file's own terms
(``gatehouse.yaml, line 12: clients[1] (client_id 'shop-spa'): ...``). The rules of each kind
are checked later by the admin services, which know nothing of files: ``reported_at`` puts
the entry's place in front of what they say.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gatehouse.admin import federation as federation_admin
from gatehouse.admin import issuers as issuer_admin
from gatehouse.admin import users as user_admin
from gatehouse.admin.errors import AdminError
from gatehouse.tenancy import TenantNameError, check_tenant_name

MAX_FILE_BYTES = 5 * 1024 * 1024
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

CLIENT_KEYS = frozenset(
    {
        "client_id",
        "type",
        "secret",
        "name",
        "redirect_uris",
        "post_logout_redirect_uris",
        "grant_types",
        "response_types",
        "scope",
        "auth_method",
        "first_party",
        "web_origins",
        "id_token_signing_alg",
        "jwks",
        "jwks_uri",
        "refresh_token_rotation",
        "backchannel_logout_uri",
        "backchannel_logout_session_required",
        "frontchannel_logout_uri",
        "frontchannel_logout_session_required",
        "require_mfa",
        "require_pushed_authorization_requests",
        "request_object_signing_alg",
        "require_dpop",
        "groups_claim",
        "token_profile",
        "multi_tenant",
    }
)
API_KEYS = frozenset(
    {
        "identifier",
        "name",
        "scopes",
        "app_roles",
        "access_token_lifetime",
        "signing_alg",
        "client_id",
        "admin_consent_required",
        "token_profile",
    }
)
GRANT_KEYS = frozenset({"client_id", "api", "role"})
EXCHANGE_KEYS = frozenset({"client_id", "api", "impersonation"})
# home_tenant: the client is another tenant's multi-tenant application (docs/multi-tenant-apps.md).
ADMIN_CONSENT_KEYS = frozenset({"client_id", "scopes", "home_tenant"})
USER_KEYS = frozenset({"username", "password", "disabled", *user_admin.PROFILE_FIELDS})
SCOPE_KEYS = frozenset({"name", "description"})
# Groups (admin/apply_groups.py): members are added, never removed, as apply never deletes.
GROUP_KEYS = frozenset({"name", "description", "users", "groups"})
ASSIGNMENT_KEYS = frozenset({"api", "role", "user", "group"})
# Each section, in the order it is applied: the key that names an entry, the keys an entry
# may have, and whether two entries may share a name (a client may have several grants).
SECTIONS: dict[str, tuple[str, frozenset[str], bool]] = {
    "scopes": ("name", SCOPE_KEYS, True),
    "apis": ("identifier", API_KEYS, True),
    "clients": ("client_id", CLIENT_KEYS, True),
    "app_role_grants": ("client_id", GRANT_KEYS, False),
    "token_exchange_grants": ("client_id", EXCHANGE_KEYS, False),
    "admin_consents": ("client_id", ADMIN_CONSENT_KEYS, True),
    "trusted_issuers": ("issuer", issuer_admin.ENTRY_KEYS, True),
    "upstream_providers": ("alias", federation_admin.ENTRY_KEYS, True),
    "users": ("username", USER_KEYS, True),
    "groups": ("name", GROUP_KEYS, True),
    "app_role_assignments": ("api", ASSIGNMENT_KEYS, False),
}


@dataclass(frozen=True)
class Entry:
    """One entry of a section, with ``${NAME}`` expanded, and its place for error messages."""

    values: dict[str, Any]
    where: str


@dataclass(frozen=True)
class ApplyFile:
    scopes: list[Entry]
    apis: list[Entry]
    clients: list[Entry]
    app_role_grants: list[Entry]
    token_exchange_grants: list[Entry]
    admin_consents: list[Entry]
    trusted_issuers: list[Entry]
    upstream_providers: list[Entry]
    users: list[Entry]
    groups: list[Entry]
    app_role_assignments: list[Entry]
    # `tenant: NAME`: the tenant the whole file is for (docs/tenants.md); None: the tenant
    # the command names, else the default one.
    tenant: str | None = None


@contextmanager
def reported_at(where: str) -> Iterator[None]:
    """An ``AdminError`` raised inside says first which entry of the file it is about."""
    try:
        yield
    except AdminError as exc:
        raise AdminError(f"{where}: {exc}") from None


def read_apply_file(path: str) -> ApplyFile:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise AdminError(f"{path} is larger than 5 MiB")
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise AdminError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise AdminError(f"{path} is not UTF-8 text") from exc
    return parse_apply_file(text, path)


def parse_apply_file(text: str, path: str) -> ApplyFile:
    """Check the shape of the whole file; ``path`` only names it in errors."""
    root, document = _load_yaml(text, path)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise AdminError(f"{path}: the file must be a mapping with {', '.join(SECTIONS)}")
    _refuse_duplicate_keys(root, path, "")
    unknown = sorted(str(k) for k in document if k not in SECTIONS and k != TENANT_KEY)
    if unknown:
        raise AdminError(
            f"{_place(path, _key_node(root, unknown[0]))}: unknown top-level key "
            f"{unknown[0]!r} (expected {TENANT_KEY}, {', '.join(SECTIONS)})"
        )
    entries = {
        section: _entries(path, section, document.get(section), _value_node(root, section))
        for section in SECTIONS
    }
    return ApplyFile(**entries, tenant=_tenant(path, root, document.get(TENANT_KEY)))


TENANT_KEY = "tenant"


def _tenant(path: str, root: yaml.Node | None, value: Any) -> str | None:
    if value is None:
        return None
    where = _place(path, _key_node(root, TENANT_KEY))
    if not isinstance(value, str):
        raise AdminError(f"{where}: tenant must be a tenant's name")
    try:
        return check_tenant_name(value)
    except TenantNameError as exc:
        raise AdminError(f"{where}: tenant: {exc}") from None


def _load_yaml(text: str, path: str) -> tuple[yaml.Node | None, Any]:
    """The document and its node tree, whose marks give the line of each entry."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        raise AdminError(_yaml_problem(path, exc)) from None
    except yaml.YAMLError as exc:
        raise AdminError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    finally:
        loader.dispose()


def _yaml_problem(path: str, exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's own words, in its order ("while parsing a block collection at line 2,
    expected <block end>, but found ..."), after the line and column where it stopped. Its
    marks count from 0."""
    mark, start = exc.problem_mark, exc.context_mark
    where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else path
    context = exc.context or ""
    if context and start is not None and (mark is None or start.line != mark.line):
        context += f" at line {start.line + 1}"
    problem = ", ".join(part for part in (context, exc.problem) if part) or "unreadable"
    return f"{where}: not valid YAML: {problem}"


def _place(path: str, node: yaml.Node | None) -> str:
    return f"{path}, line {node.start_mark.line + 1}" if node is not None else path


def _key_node(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(mapping, yaml.MappingNode):
        for key_node, _value in mapping.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return key_node
    return None


def _value_node(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(mapping, yaml.MappingNode):
        for key_node, value in mapping.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value if isinstance(value, yaml.Node) else None
    return None


def _refuse_duplicate_keys(mapping: yaml.Node | None, path: str, where: str) -> None:
    """YAML keeps the last of two equal keys without a word; a second ``clients:`` section
    would silently drop the first."""
    if not isinstance(mapping, yaml.MappingNode):
        return
    seen: dict[str, yaml.Node] = {}
    for key_node, _value in mapping.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        first = seen.setdefault(key_node.value, key_node)
        if first is not key_node:
            prefix = where or _place(path, key_node)
            raise AdminError(
                f"{prefix}: key {key_node.value!r} appears twice (lines "
                f"{first.start_mark.line + 1} and {key_node.start_mark.line + 1})"
            )


def _entries(path: str, section: str, items: Any, node: yaml.Node | None) -> list[Entry]:
    key, allowed, unique = SECTIONS[section]
    if not items:
        return []
    if not isinstance(items, list):
        raise AdminError(f"{_place(path, node)}: {section} must be a list")
    item_nodes = node.value if isinstance(node, yaml.SequenceNode) else []
    result: list[Entry] = []
    # Two entries for one thing are a mistake; usernames and group names are compared
    # case-insensitively.
    fold = str.casefold if section in ("users", "groups") else str
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        item_node = item_nodes[index] if index < len(item_nodes) else None
        place = f"{_place(path, item_node)}: {section}[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get(key), str):
            raise AdminError(f"{place} must be a mapping with a {key}")
        label = f"{section}[{index}] ({key} {item[key]!r})"
        where = f"{_place(path, item_node)}: {label}"
        _refuse_duplicate_keys(item_node, path, where)
        unknown = sorted(str(k) for k in item if k not in allowed)
        if unknown:
            key_node = _key_node(item_node, unknown[0]) or item_node
            raise AdminError(f"{_place(path, key_node)}: {label}: unknown key {unknown[0]!r}")
        values = _expand(item, where)
        name = fold(values[key])
        if unique and name in seen:
            raise AdminError(
                f"{where}: {values[key]!r} appears more than once (also {section}[{seen[name]}])"
            )
        seen.setdefault(name, index)
        result.append(Entry(values, where))
    return result


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise AdminError(f"{where}: environment variable {name} is not set")
            return os.environ[name]

        return _ENV.sub(replace, value)
    if isinstance(value, list):
        return [_expand(v, where) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, where) for k, v in value.items()}
    return value
