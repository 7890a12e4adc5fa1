"""Request parameters: parsing, and the rules every endpoint shares.

RFC 6749 §3.1 and §3.2: parameters sent without a value are treated as omitted, and request
and response parameters must not be included more than once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, overload
from urllib.parse import unquote_to_bytes

from gatehouse.errors import InvalidRequest, InvalidScope

MAX_PARAMETER_LENGTH = 4096
MAX_PARAMETERS = 64
MAX_BODY_BYTES = 64 * 1024
# RFC 8707 §2: the resource parameter may be repeated; no other parameter may.
MULTI_VALUED = frozenset({"resource"})
MAX_RESOURCES = 8
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")

T = TypeVar("T")


@dataclass(frozen=True)
class Parameters(Mapping[str, str]):
    """Single-valued request parameters, empty values already dropped."""

    # Not named ``values``: that would shadow Mapping.values() and break params.values().
    entries: Mapping[str, str]
    # Every value of a MULTI_VALUED parameter, in order; ``entries`` holds the first.
    repeated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    # Mapping's own get and ``in`` go through __getitem__ and catch KeyError: every absent
    # parameter an endpoint asks about raised and caught an exception.
    def __contains__(self, key: object) -> bool:
        return key in self.entries

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    @overload
    def get(self, key: str, default: T, /) -> str | T: ...
    def get(self, key: str, default: object = None, /) -> object:
        return self.entries.get(key, default)

    def all(self, name: str) -> tuple[str, ...]:
        """Every value of a parameter that may repeat (RFC 8707 resource)."""
        if name in self.repeated:
            return self.repeated[name]
        value = self.entries.get(name)
        return (value,) if value is not None else ()

    def require(self, name: str) -> str:
        value = self.entries.get(name)
        if value is None:
            raise InvalidRequest(f"the {name} parameter is required")
        return value


class MalformedParameters(InvalidRequest):
    """A rule every endpoint shares was broken. ``usable`` keeps the well-formed parameters
    and ``rejected`` names the others, so that the authorization endpoint can still establish
    the client and redirect URI and send the error there (RFC 6749 §4.1.2.1)."""

    def __init__(self, description: str, usable: Parameters, rejected: frozenset[str]) -> None:
        super().__init__(description)
        self.usable = usable
        self.rejected = rejected


def parse_parameters(pairs: Iterable[tuple[str, str | None]]) -> Parameters:
    """Single-valued parameters (MULTI_VALUED ones may repeat); a value of None stands for
    one that was not valid UTF-8. Raises MalformedParameters naming the first problem."""
    values: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    seen: set[str] = set()
    rejected: set[str] = set()
    problem: str | None = None
    for count, (name, value) in enumerate(pairs, start=1):
        if count > MAX_PARAMETERS:
            problem = problem or f"too many parameters (more than {MAX_PARAMETERS})"
            break
        issue = None
        shown = name[:128].replace("\x00", "\\0")
        if name in seen and name not in MULTI_VALUED:
            issue = f"the {shown} parameter was given more than once"
        elif value is None:
            issue = f"the {shown} parameter is not valid UTF-8"
        elif len(value) > MAX_PARAMETER_LENGTH or len(name) > 128:
            issue = f"the {shown} parameter is too long"
        elif "\x00" in value or "\x00" in name:
            issue = f"the {shown} parameter contains a NUL character"
        elif name in MULTI_VALUED and len(repeated.get(name, ())) >= MAX_RESOURCES:
            issue = f"the {shown} parameter was given more than {MAX_RESOURCES} times"
        seen.add(name)
        if issue is not None:
            problem = problem or issue
            rejected.add(name)
        elif value:
            values.setdefault(name, value)
            if name in MULTI_VALUED:
                repeated.setdefault(name, []).append(value)
    usable = {k: v for k, v in values.items() if k not in rejected}
    usable_repeated = {k: tuple(v) for k, v in repeated.items() if k not in rejected}
    if problem is not None:
        raise MalformedParameters(problem, Parameters(usable, usable_repeated), frozenset(rejected))
    return Parameters(usable, usable_repeated)


def _decoded(raw: bytes) -> str | None:
    """One percent-decoded name or value ('+' is a space); None when it is not UTF-8."""
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _form_pairs(raw: bytes) -> Iterator[tuple[str, str | None]]:
    """Split application/x-www-form-urlencoded bytes into (name, value) pairs, decoding each
    on its own so that one bad value does not hide the others."""
    for item in raw.split(b"&"):
        if not item:
            continue
        name_raw, _, value_raw = item.partition(b"=")
        name = _decoded(name_raw)
        if name is None:
            yield unquote_to_bytes(name_raw).decode("utf-8", "replace"), None
        else:
            yield name, _decoded(value_raw)


def parse_query_or_form(raw: str | bytes) -> Parameters:
    """Parse application/x-www-form-urlencoded text (a query string or a form body)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidRequest("the request body is too large")
    return parse_parameters(_form_pairs(raw))


def split_scope(raw: str | None) -> tuple[str, ...]:
    """RFC 6749 §3.3: space-delimited, case-sensitive; order kept, duplicates dropped."""
    if raw is None:
        return ()
    seen: dict[str, None] = {}
    for item in raw.split(" "):
        if item:
            if _SCOPE_TOKEN.fullmatch(item) is None:
                # RFC 6749 §4.1.2.1, §5.2: a malformed scope is invalid_scope.
                raise InvalidScope(f"the scope value {item[:64]!r} contains invalid characters")
            seen.setdefault(item, None)
    return tuple(seen)


# OIDC Core §3.1.2.1 (and RP-Initiated Logout 1.0 §2): a few preferences are plenty, and
# RFC 5646 §4.4.1 bounds the tags worth keeping at 35 characters.
MAX_UI_LOCALES = 8
MAX_LANGUAGE_TAG_LENGTH = 35


def split_ui_locales(raw: str | None) -> tuple[str, ...]:
    """ui_locales: space-separated BCP 47 language tags, most preferred first. A tag the
    pages cannot use is no error (they fall back to another language), so nothing here is
    refused: the first few tags of a plausible length are kept."""
    tags = (raw or "").split(" ", MAX_UI_LOCALES)[:MAX_UI_LOCALES]
    return tuple(t for t in tags if 0 < len(t) <= MAX_LANGUAGE_TAG_LENGTH)
