"""What every `gatehouse` command prints: its result as JSON on stdout and exit status 0, or
one ``error:`` line on stderr and exit status 1 (tests/cli/conftest.py checks the contract).
A result may come with ``warning:`` lines on stderr, each also in the JSON."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click


def emit(value: Any) -> None:
    """Print a command's result as indented JSON on stdout."""
    click.echo(json.dumps(value, indent=2, sort_keys=False))


def warn(message: str) -> None:
    """Print ``warning: message`` on stderr (the result on stdout says it too)."""
    click.echo(f"warning: {message}", err=True)


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with status 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)
