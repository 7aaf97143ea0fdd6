"""`flask --app wsgi calendar …`: the working-day calendar (法定节假日与调休) an administrator maintains.

`calendar load YEAR FILE` stores a year the State Council has newly published, from a JSON file:

    {"holidays": [{"date": "2027-01-01", "name": "元旦"}, …],
     "workdays": ["2027-02-06", …]}

`holidays` are the days off (a plain "YYYY-MM-DD" string is allowed instead of an object),
`workdays` the adjusted weekends worked instead (调休). Every other Monday–Friday is a working
day. Loading a year again replaces it; a loaded year overrides the chinesecalendar package.

`calendar show YEAR` prints what is known of a year and where it comes from.
"""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from mediation.commands.base import fail
from mediation.common.errors import DomainError

calendar_cli = AppGroup("calendar", help="The working-day calendar (holidays and adjusted working weekends).")


@calendar_cli.command("load")
@click.argument("year", type=int)
@click.argument("file", type=click.File("rb"))
def load_command(year: int, file) -> None:
    """Loads YEAR's holidays and adjusted working days from FILE (JSON, see `calendar --help`)."""
    from mediation.disputes.workdays import describe_year, load_year_document

    try:
        document = json.loads(file.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file.name} is not a JSON file: {exc}") from None
    try:
        load_year_document(year, document)
        described = describe_year(year)
    except DomainError as exc:
        fail(exc)
    click.echo(f"loaded {year}: {len(described['holidays'])} holidays, "
               f"{len(described['workdays'])} adjusted working days, {described['working_days']} working days")


@calendar_cli.command("show")
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the year as a JSON document (the load format).")
def show_command(year: int, as_json: bool) -> None:
    """Shows YEAR's holidays and adjusted working days, and where they come from."""
    from mediation.disputes.workdays import describe_year

    try:
        described = describe_year(year)
    except DomainError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(described, ensure_ascii=False, indent=2))
        return
    click.echo(f"{year} ({described['source']}): {described['working_days']} working days")
    for holiday in described["holidays"]:
        click.echo(f"  holiday  {holiday['date']}  {holiday['name'] or ''}".rstrip())
    for workday in described["workdays"]:
        click.echo(f"  workday  {workday}  (调休)")


def register(app: Flask) -> None:
    """Adds the `calendar` command group."""
    app.cli.add_command(calendar_cli)
