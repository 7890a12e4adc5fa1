"""docs/configuration.md, generated from the settings model so the two cannot disagree."""

from __future__ import annotations

import typing
from datetime import timedelta
from typing import Any

from annotated_types import Ge
from pydantic.fields import FieldInfo

from gatehouse.policy import TenantPolicy
from gatehouse.settings import Settings

# Sections of the page, in order. A setting not listed here still appears, under "Other", so
# a new field is documented even before someone files it in a section.
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Where gatehouse keeps its data",
        "",
        ("data_dir", "database_url", "secret_key", "purge_interval"),
    ),
    (
        "Issuer and signing",
        "",
        ("issuer", "access_token_signing_alg", "id_token_signing_alg", "key_rotation_delay"),
    ),
    (
        "Lifetimes",
        "Durations are whole seconds (`900`) or ISO 8601 (`PT15M`).",
        (
            "access_token_lifetime",
            "id_token_lifetime",
            "authorization_code_lifetime",
            "refresh_token_idle_lifetime",
            "refresh_token_absolute_lifetime",
            "refresh_token_retry_window",
            "session_idle_lifetime",
            "session_absolute_lifetime",
            "remember_me_idle_lifetime",
            "remember_me_absolute_lifetime",
            "interaction_lifetime",
        ),
    ),
    ("Passwords", "", ("password_hash_time_cost", "password_hash_memory_kib")),
    (
        "Back-channel logout",
        "How gatehouse delivers logout tokens to applications ([logout.md](logout.md)).",
        ("backchannel_logout_timeout", "backchannel_logout_give_up_after"),
    ),
    (
        "HTTP and logging",
        "",
        (
            "request_header_timeout",
            "request_body_timeout",
            "trusted_proxies",
            "cors_max_age",
            "log_level",
        ),
    ),
    ("Audit log", "docs/audit.md describes the events.", ("audit_retention",)),
    (
        "Set by `gatehouse demo`",
        "You do not set these yourself; `gatehouse demo` does.",
        ("demo", "demo_client_secret"),
    ),
)

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))

INTRO = """\
# Configuration

gatehouse reads its settings from `GATEHOUSE_*` environment variables and, optionally, from
a TOML file named by `GATEHOUSE_CONFIG_FILE`. In the file, a key is the variable's name in
lower case without the prefix (`GATEHOUSE_ISSUER` becomes `issuer`). An environment variable
wins over the same key in the file.

```sh
export GATEHOUSE_ISSUER=https://id.example.com
export GATEHOUSE_DATABASE_URL=postgresql://gatehouse:PASSWORD@db.internal:5432/gatehouse
export GATEHOUSE_SECRET_KEY="$(cat /etc/gatehouse/secret-key)"
gatehouse serve --host 0.0.0.0 --port 8000
```

```toml
# /etc/gatehouse/gatehouse.toml, used with GATEHOUSE_CONFIG_FILE=/etc/gatehouse/gatehouse.toml
issuer = "https://id.example.com"
access_token_lifetime = 900        # seconds
session_absolute_lifetime = "PT8H" # ISO 8601
```

Keep `GATEHOUSE_SECRET_KEY` and database passwords out of files that are shared or checked in.

A misspelled name or a bad value stops gatehouse at start-up with a one-line error that names
the variable, or the file and its key, and the setting you probably meant:

```
$ GATEHOUSE_ISUER=https://id.example.com gatehouse serve
error: unknown setting in the environment: GATEHOUSE_ISUER (did you mean GATEHOUSE_ISSUER?); every GATEHOUSE_* variable must name a setting (`gatehouse config docs` lists them)
```

So every `GATEHOUSE_*` environment variable must be one of the settings below. The only
others gatehouse reads are `GATEHOUSE_CONFIG_FILE` and, in its own test suite, variables
starting `GATEHOUSE_TEST_` (such as `GATEHOUSE_TEST_BACKENDS`).

The listening address and the number of worker processes are options of `gatehouse serve`
(`--host`, default `127.0.0.1`; `--port`, default `8000`; `--workers`, default: one per CPU
core), not settings. Every command that opens the database also takes `--database-url`.

This page is generated from `src/gatehouse/settings.py` by `gatehouse config docs`; edit the
descriptions there, not here.
"""  # noqa: E501 - the example error is one line, as gatehouse prints it


def _default(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        for unit, size in _UNITS:
            if seconds % size == 0:
                count = seconds // size
                return f"`{seconds}` ({count} {unit}{'' if count == 1 else 's'})"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _allowed(field: FieldInfo) -> str:
    """What values the field accepts, when the type says more than the description."""
    annotation: Any = field.annotation
    choices = typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()
    notes = []
    if choices:
        notes.append("One of " + ", ".join(f"`{c}`" for c in choices) + ".")
    for item in field.metadata:
        if isinstance(item, Ge):
            notes.append(f"At least `{item.ge}`.")
    if annotation is bool:
        notes.append("`true` or `false`.")
    return " ".join(notes)


def _row(name: str, field: FieldInfo) -> str:
    description = " ".join(filter(None, [field.description or "", _allowed(field)]))
    description = description.replace("|", "\\|").replace("\n", " ")
    return f"| `{name}` | {_default(field.default)} | {description} |"


POLICY_INTRO = """\
## Tenant policy

Rules an operator sets for an organisation rather than for a server: they are stored in the
database with the tenant (today the one `default` tenant), so every server that shares the
database applies the same ones, and they are changed with `gatehouse policy set KEY=VALUE`
(`--reset KEY` restores a default; `gatehouse policy show` prints them). Durations are whole
seconds or ISO 8601. Every change is recorded in the audit log."""


def configuration_markdown() -> str:
    fields = Settings.model_fields
    listed = {name for _title, _note, names in SECTIONS for name in names}
    sections = [*SECTIONS]
    others = tuple(name for name in fields if name not in listed)
    if others:
        sections.append(("Other", "", others))
    lines = [INTRO.rstrip("\n")]
    for title, note, names in sections:
        present = [name for name in names if name in fields]
        if not present:
            continue
        lines += ["", f"## {title}", ""]
        if note:
            lines += [note, ""]
        lines += ["| variable | default | meaning |", "| --- | --- | --- |"]
        lines += [_row(f"GATEHOUSE_{name.upper()}", fields[name]) for name in present]
    lines += ["", POLICY_INTRO, "", "| key | default | meaning |", "| --- | --- | --- |"]
    lines += [_row(name, field) for name, field in TenantPolicy.model_fields.items()]
    return "\n".join(lines) + "\n"
