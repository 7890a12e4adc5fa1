"""`gatehouse serve` and `gatehouse demo`: start the HTTP server (cli/server.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import click

from gatehouse.cli.options import load_settings

F = TypeVar("F", bound=Callable[..., object])


def serve_options(func: F) -> F:
    func = click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=None,
        help="Worker processes (default: number of cores).",
    )(func)
    func = click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)(
        func
    )
    func = click.option("--host", default="127.0.0.1", show_default=True)(func)
    return click.option("--database-url", envvar="GATEHOUSE_DATABASE_URL", default=None)(func)


@click.command()
@serve_options
def serve(host: str, port: int, workers: int | None, database_url: str | None) -> None:
    """Migrate the database, create signing keys on first start, and serve."""
    # Imported here: the server's modules are only needed by the two commands that serve.
    from gatehouse.cli.server import run_server

    settings = load_settings(database_url=database_url)
    run_server(settings, host, port, workers or os.cpu_count() or 1)


@click.command()
@serve_options
def demo(host: str, port: int, workers: int | None, database_url: str | None) -> None:
    """Serve with a demo user, a demo client and the demo app at /demo."""
    from gatehouse.cli.demo import prepare_demo
    from gatehouse.cli.server import run_server

    settings = load_settings(database_url=database_url)
    settings = prepare_demo(settings, host, port)
    run_server(settings, host, port, workers or os.cpu_count() or 1)
