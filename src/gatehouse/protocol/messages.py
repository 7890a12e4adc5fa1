"""Request parameters: parsing, and the rules every endpoint shares.

RFC 6749 §3.1 and §3.2: parameters sent without a value are treated as omitted, and request
and response parameters must not be included more than once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from gatehouse.errors import InvalidRequest

MAX_PARAMETER_LENGTH = 4096
MAX_PARAMETERS = 64
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Parameters(Mapping[str, str]):
    """Single-valued request parameters, empty values already dropped."""

    # Not named ``values``: that would shadow Mapping.values() and break params.values().
    entries: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def require(self, name: str) -> str:
        value = self.entries.get(name)
        if value is None:
            raise InvalidRequest(f"the {name} parameter is required")
        return value


def parse_parameters(pairs: Iterable[tuple[str, str]]) -> Parameters:
    values: dict[str, str] = {}
    seen: set[str] = set()
    for count, (name, value) in enumerate(pairs, start=1):
        if count > MAX_PARAMETERS:
            raise InvalidRequest(f"too many parameters (more than {MAX_PARAMETERS})")
        if name in seen:
            raise InvalidRequest(f"the {name} parameter was given more than once")
        seen.add(name)
        if len(value) > MAX_PARAMETER_LENGTH or len(name) > 128:
            raise InvalidRequest(f"the {name[:128]} parameter is too long")
        if "\x00" in value:
            raise InvalidRequest(f"the {name} parameter contains a NUL character")
        if value != "":
            values[name] = value
    return Parameters(values)


def parse_query_or_form(raw: str | bytes) -> Parameters:
    """Parse application/x-www-form-urlencoded text (a query string or a form body)."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BODY_BYTES:
            raise InvalidRequest("the request body is too large")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest("the request is not valid UTF-8") from None
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("the request parameters are not valid form encoding") from None
    return parse_parameters(pairs)


def split_scope(raw: str | None) -> tuple[str, ...]:
    """RFC 6749 §3.3: space-delimited, case-sensitive; order kept, duplicates dropped."""
    if raw is None:
        return ()
    seen: dict[str, None] = {}
    for item in raw.split(" "):
        if item:
            if not all(0x21 <= ord(ch) <= 0x7E and ch not in '"\\' for ch in item):
                raise InvalidRequest(f"the scope value {item[:64]!r} contains invalid characters")
            seen.setdefault(item, None)
    return tuple(seen)
