"""`gatehouse group`: groups of people, nestable (docs/groups-and-roles.md)."""

from __future__ import annotations

import click

from gatehouse.admin import groups as group_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime


@click.group()
def group() -> None:
    """Groups of people: members are users and other groups; app roles assigned to a group
    reach every member (`gatehouse grant app-role --group`)."""


@group.command("create")
@click.option("--name", required=True, help="Unique in the tenant (case-insensitively).")
@click.option("--description")
@database_option
def group_create(runtime: Runtime, name: str, description: str | None) -> None:
    emit(group_admin.create_group(runtime, name, description))


@group.command("list")
@database_option
def group_list(runtime: Runtime) -> None:
    emit(group_admin.list_groups(runtime))


@group.command("show")
@click.argument("group_ref", metavar="GROUP")
@database_option
def group_show(runtime: Runtime, group_ref: str) -> None:
    """A group (by id or name), its direct members and the app roles assigned to it."""
    emit(group_admin.show_group(runtime, group_ref))


@group.command("update")
@click.argument("group_ref", metavar="GROUP")
@click.option("--name", help="A new name.")
@click.option("--description", help='A new description ("" removes it).')
@database_option
def group_update(
    runtime: Runtime, group_ref: str, name: str | None, description: str | None
) -> None:
    emit(group_admin.update_group(runtime, group_ref, name=name, description=description))


@group.command("delete")
@click.argument("group_ref", metavar="GROUP")
@database_option
def group_delete(runtime: Runtime, group_ref: str) -> None:
    """Delete a group: its members leave it, and the app roles assigned to it go."""
    emit(group_admin.delete_group(runtime, group_ref))


def _member_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option("--group", "member_group", help="A group (id or name).")(func)
    return click.option("--user", help="A person (id, username or email).")(func)


@group.command("add-member")
@click.argument("group_ref", metavar="GROUP")
@_member_options
@database_option
def group_add_member(
    runtime: Runtime, group_ref: str, user: str | None, member_group: str | None
) -> None:
    """Add a person (--user) or a group (--group) to GROUP; a group that would end up
    within itself is refused."""
    emit(group_admin.add_member(runtime, group_ref, user=user, group=member_group))


@group.command("remove-member")
@click.argument("group_ref", metavar="GROUP")
@_member_options
@database_option
def group_remove_member(
    runtime: Runtime, group_ref: str, user: str | None, member_group: str | None
) -> None:
    emit(group_admin.remove_member(runtime, group_ref, user=user, group=member_group))
