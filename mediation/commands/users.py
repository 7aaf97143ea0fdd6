"""`flask --app wsgi users …`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from mediation.commands.base import fail
from mediation.common.errors import DomainError

users_cli = AppGroup("users", help="Manage users.")


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
    from mediation.orgs.users import create_user

    try:
        user = create_user(username, password, role, display_name=display_name, email=email, org=org,
                           committee=committee)
    except DomainError as exc:
        fail(exc)
    click.echo(f"created {user.role} {user.username}")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
