"""`flask --app wsgi users …`: create, deactivate, reactivate, password.

Passwords are never taken from the command line unless given with --password (which lands in the
shell history: for scripts only); otherwise they are prompted for, hidden, and asked twice.
Commands act as the system (no actor): the audit of administration records them with no actor.
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from mediation.commands.base import fail
from mediation.common.errors import DomainError

users_cli = AppGroup("users", help="Manage users.")
PASSWORD_HELP = ("At least 10 characters, not the username, not a common password. Left out, it is prompted for "
                 "(hidden, twice), so it never lands in the shell history.")


def _password_option(func):
    return click.option("--password", prompt="Password", hide_input=True, confirmation_prompt=True,
                        help=PASSWORD_HELP)(func)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["mediator", "supervisor", "admin"]), required=True)
@_password_option
@click.option("--org", default=None, help="Org code (supervisors; an admin without org sees everything).")
@click.option("--committee", default=None, help="Committee code (mediators).")
@click.option("--email", default=None)
@click.option("--display-name", default="")
def create_user_command(username, role, password, org, committee, email, display_name) -> None:
    """Creates a user."""
    from mediation.orgs.users import create_user

    try:
        user = create_user(username, password, role, display_name=display_name, email=email, org=org,
                           committee=committee)
    except DomainError as exc:
        fail(exc)
    click.echo(f"created {user.role} {user.username}")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_command(username: str) -> None:
    """Deactivates a user: no sign-in; their web sessions and API tokens end at once."""
    from mediation.orgs.users import deactivate_user

    try:
        user = deactivate_user(username, None)
    except DomainError as exc:
        fail(exc)
    click.echo(f"deactivated {user.username} (sessions and tokens revoked)")


@users_cli.command("reactivate")
@click.argument("username")
def reactivate_command(username: str) -> None:
    """Lets a deactivated user sign in again."""
    from mediation.orgs.users import reactivate_user

    try:
        user = reactivate_user(username, None)
    except DomainError as exc:
        fail(exc)
    click.echo(f"reactivated {user.username}")


@users_cli.command("password")
@click.argument("username")
@_password_option
def password_command(username: str, password: str) -> None:
    """Resets a user's password: their sessions and tokens end, and they must change it at next sign-in."""
    from mediation.orgs.users import set_password

    try:
        user = set_password(username, password, None)
    except DomainError as exc:
        fail(exc)
    click.echo(f"password of {user.username} reset: they must change it at next sign-in")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
