"""Where a setting comes from, and saying which one is wrong: the ``GATEHOUSE_*`` variables,
the TOML file named by ``GATEHOUSE_CONFIG_FILE``, and the one-line errors that name the
variable, or the file and its key, to fix (settings.py uses them)."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence

from pydantic_core import ErrorDetails

ENV_PREFIX = "GATEHOUSE_"
CONFIG_FILE_VARIABLE = "GATEHOUSE_CONFIG_FILE"
# Not a setting of the server: the tenant a `gatehouse` command works on (cli/main.py).
TENANT_VARIABLE = "GATEHOUSE_TENANT"
# Variables of gatehouse's test suite (GATEHOUSE_TEST_BACKENDS, GATEHOUSE_TEST_CHROMIUM): they
# share the server's environment when the tests start it, and are not settings.
TEST_VARIABLE_PREFIX = "GATEHOUSE_TEST_"


def named_config_file() -> str | None:
    return os.environ.get(CONFIG_FILE_VARIABLE) or None


def _variable(name: str) -> str:
    return f"{ENV_PREFIX}{name.upper()}"


def _closest(name: str, candidates: list[str], prefix: str = "") -> str:
    """' (did you mean X?)' for the candidate most like ``name``, or nothing. A common prefix
    is left out of the comparison, where it would make every pair look alike."""
    match = difflib.get_close_matches(
        name.removeprefix(prefix), [c.removeprefix(prefix) for c in candidates], n=1
    )
    return f" (did you mean {prefix}{match[0]}?)" if match else ""


def unknown_variables(environ: Mapping[str, str], fields: Mapping[str, object]) -> str | None:
    """Why the environment is refused, or None: a ``GATEHOUSE_*`` variable that names no
    setting is a typo, and a typo must not start the server with the default instead.
    Names are compared in upper case, as pydantic-settings reads them case-insensitively."""
    known = [_variable(name) for name in fields] + [CONFIG_FILE_VARIABLE, TENANT_VARIABLE]
    unknown = sorted(
        name
        for name in (variable.upper() for variable in environ)
        if name.startswith(ENV_PREFIX)
        and not name.startswith(TEST_VARIABLE_PREFIX)
        and name not in known
    )
    if not unknown:
        return None
    listed = ", ".join(f"{name}{_closest(name, known, ENV_PREFIX)}" for name in unknown)
    return (
        f"unknown setting in the environment: {listed}; every {ENV_PREFIX}* variable must name "
        "a setting (`gatehouse config docs` lists them)"
    )


def describe_error(error: ErrorDetails, known_fields: Sequence[str]) -> str:
    """One line for a validation error, naming where the value came from: the environment
    variable when it is set (it wins over the file), else the key of the TOML file."""
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:
        return f"invalid settings: {message}"
    field = str(error["loc"][0])
    variable = _variable(field)
    config_file = named_config_file()
    in_environment = any(name.upper() == variable for name in os.environ)
    if error["type"] == "extra_forbidden" and config_file is not None:
        # Only the file can hold an unknown key: the environment's typos are refused above.
        return f"{config_file}: unknown setting {field}{_closest(field, list(known_fields))}"
    if config_file is not None and not in_environment and _in_file(config_file, field):
        return f"{config_file}: invalid setting {field}: {message}"
    return f"invalid setting {variable}: {message}"


def _in_file(config_file: str, key: str) -> bool:
    try:
        with open(config_file, "rb") as file:
            return key in tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError):
        return False
