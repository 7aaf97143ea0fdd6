"""Command line: `flask --app wsgi …` (API.md, Command line)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from mediation.services.errors import DomainError

users_cli = AppGroup("users", help="Manage users.")


def fail(exc: DomainError) -> None:
    details = getattr(exc, "fields", None) or exc.details
    raise click.ClickException(f"{exc.code}: {exc.message} {details or ''}".strip())


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["mediator", "supervisor", "admin"]), required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--org", default=None, help="Org code (supervisors; an admin without org sees everything).")
@click.option("--committee", default=None, help="Committee code (mediators).")
@click.option("--email", default=None)
@click.option("--display-name", default="")
def create_user_command(username, role, password, org, committee, email, display_name) -> None:
    """Creates a user."""
    from mediation.services.users import create_user

    try:
        user = create_user(username, password, role, display_name=display_name, email=email, org=org,
                           committee=committee)
    except DomainError as exc:
        fail(exc)
    click.echo(f"created {user.role} {user.username}")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
