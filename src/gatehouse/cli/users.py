"""`gatehouse user`: user accounts."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gatehouse.accounts.profile import ADDRESS_PARTS
from gatehouse.admin import groups as group_admin
from gatehouse.admin import lockout
from gatehouse.admin import second_factors as second_factor_admin
from gatehouse.admin import sessions as session_admin
from gatehouse.admin import users as user_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit, fail
from gatehouse.runtime import Runtime

F = TypeVar("F", bound=Callable[..., object])


@click.group()
def user() -> None:
    """User accounts."""


def _profile_options(func: F) -> F:
    options = [
        click.option("--email"),
        click.option("--email-verified/--email-unverified", default=None),
        click.option("--name"),
        click.option("--given-name"),
        click.option("--family-name"),
        click.option("--phone", "phone_number"),
        *(
            click.option(
                "--" + part.replace("_", "-"),
                part,
                help="A part of the postal address (the address claim); '' clears it.",
            )
            for part in ADDRESS_PARTS
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _with_address(profile: dict[str, Any]) -> dict[str, Any]:
    """The address options as the one address claim: the parts given change, the others
    stay."""
    parts = {part: profile.pop(part) for part in ADDRESS_PARTS}
    given = {part: value for part, value in parts.items() if value is not None}
    return {**profile, "address": given or None}


def _read_password(password: str | None, password_stdin: bool) -> str:
    if password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            fail("no password on standard input")
        return value
    if password is None:
        fail("give the password with --password-stdin (or --password)")
    return password


@user.command("create")
@click.option("--username", required=True)
@click.option(
    "--password", help="Prefer --password-stdin: arguments are visible to other processes."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_profile_options
@database_option
def user_create(
    runtime: Runtime, username: str, password: str | None, password_stdin: bool, **profile: Any
) -> None:
    emit(
        user_admin.create_user(
            runtime, username, _read_password(password, password_stdin), **_with_address(profile)
        )
    )


@user.command("update")
@click.argument("user")
@_profile_options
@database_option
def user_update(runtime: Runtime, user: str, **profile: Any) -> None:
    """Change profile fields of USER (id, username or email)."""
    emit(user_admin.update_user(runtime, user, **_with_address(profile)))


@user.command("set-password")
@click.argument("user")
@click.option("--password")
@click.option("--password-stdin", is_flag=True)
@database_option
def user_set_password(
    runtime: Runtime, user: str, password: str | None, password_stdin: bool
) -> None:
    """Set a new password; ends the user's sessions and refresh tokens."""
    emit(user_admin.set_password(runtime, user, _read_password(password, password_stdin)))


@user.command("disable")
@click.argument("user")
@database_option
def user_disable(runtime: Runtime, user: str) -> None:
    """Block sign-in; ends the user's sessions and refresh tokens."""
    emit(user_admin.set_disabled(runtime, user, True))


@user.command("enable")
@click.argument("user")
@database_option
def user_enable(runtime: Runtime, user: str) -> None:
    emit(user_admin.set_disabled(runtime, user, False))


@user.command("sign-out")
@click.argument("user")
@database_option
def user_sign_out(runtime: Runtime, user: str) -> None:
    """End every SSO session of USER and the refresh tokens bound to them; each application
    that took part is sent a back-channel logout (by the running server)."""
    emit(user_admin.sign_out_user(runtime, user))


@user.command("list")
@database_option
def user_list(runtime: Runtime) -> None:
    emit(user_admin.list_users(runtime))


@user.command("show")
@click.argument("user")
@database_option
def user_show(runtime: Runtime, user: str) -> None:
    found = user_admin.find_user(runtime, user)
    groups = group_admin.groups_of_user(runtime, found.id)
    emit({**user_admin.user_to_json(found), "groups": groups})


@user.command("delete")
@click.argument("user")
@database_option
def user_delete(runtime: Runtime, user: str) -> None:
    emit(user_admin.delete_user(runtime, user))


@user.command("sessions")
@click.argument("user")
@database_option
def user_sessions(runtime: Runtime, user: str) -> None:
    """List USER's live sign-in sessions: device, first and last seen, expiry, remember-me."""
    emit(session_admin.list_sessions(runtime, user))


@user.command("lockouts")
@click.argument("user")
@database_option
def user_lockouts(runtime: Runtime, user: str) -> None:
    """Show the failed sign-ins and locks of USER (id, username or email)."""
    emit(lockout.lockouts(runtime, user))


@user.command("unlock")
@click.argument("user")
@database_option
def user_unlock(runtime: Runtime, user: str) -> None:
    """Clear every lock and failed sign-in count of USER (docs/lockout.md)."""
    emit(lockout.unlock(runtime, user))


@user.command("second-factors")
@click.argument("user")
@database_option
def user_second_factors(runtime: Runtime, user: str) -> None:
    """Show USER's authenticator app, recovery codes left and passkeys (docs/mfa.md)."""
    emit(second_factor_admin.second_factors(runtime, user))


@user.command("reset-second-factors")
@click.argument("user")
@click.option(
    "--passkeys", is_flag=True, help="Remove the user's passkeys too (they sign in with them)."
)
@database_option
def user_reset_second_factors(runtime: Runtime, user: str, passkeys: bool) -> None:
    """Remove USER's authenticator app and recovery codes, for someone who lost both; their
    sessions go on (`user sign-out` ends them). A policy that requires a second factor has
    them set one up at their next sign-in."""
    emit(second_factor_admin.reset_second_factors(runtime, user, passkeys))
