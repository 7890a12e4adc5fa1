"""`gatehouse config`: the settings."""

from __future__ import annotations

import click

from gatehouse.cli.configdocs import configuration_markdown


@click.group()
def config() -> None:
    """Settings."""


@config.command("docs")
def config_docs() -> None:
    """Print docs/configuration.md, generated from the settings model."""
    click.echo(configuration_markdown(), nl=False)
