"""`flask --app wsgi seed-demo [--cases N] [--if-empty] [--seed S]`: the demo jurisdiction and N disputes.

The one place the application reaches the demo generator (the top-level `demo/` package, which is
a tool beside the product, not part of it): docs/architecture.md.
"""
from __future__ import annotations

import sys
import time

import click
from flask import Flask
from tqdm import tqdm

from mediation.commands.base import fail
from mediation.common.errors import DomainError


@click.command("seed-demo")
@click.option("--cases", default=400, show_default=True, type=click.IntRange(0, 1_000_000),
              help="How many disputes to add.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds orgs or disputes.")
@click.option("--seed", default=None, type=int, help="Random seed, for a repeatable demo.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Processes that live the disputes (default: the CPUs, for 5000 disputes or more).")
def seed_demo_command(cases: int, if_empty: bool, seed: int | None, workers: int | None) -> None:
    """Seeds a demo city: org tree, committees, users and N disputes across every state (演示数据)."""
    from demo.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo

    started = time.perf_counter()
    with tqdm(total=cases, unit="case", desc="seed-demo", file=sys.stderr, dynamic_ncols=True,
              disable=not cases, mininterval=0.5) as bar:
        try:
            result = seed_demo(cases=cases, seed=seed, if_empty=if_empty, progress=bar.update, workers=workers)
        except DomainError as exc:
            fail(exc)
    if result.skipped:
        click.echo(f"seed-demo: nothing to do ({result.reason})")
        return
    states = ", ".join(f"{state} {n}" for state, n in sorted(result.states.items(), key=lambda kv: -kv[1]))
    click.echo(f"seed-demo: {result.cases} disputes in {time.perf_counter() - started:.1f}s "
               f"({result.workers} worker{'s' if result.workers > 1 else ''}; {states})")
    click.echo("  " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.phases.items()) + "; rows: "
               + ", ".join(f"{table} {n}" for table, n in result.rows.items()))
    click.echo(f"demo logins (password {DEMO_PASSWORD}): " + ", ".join(u for u, _ in DEMO_LOGINS if u[0] != "("))


def demo_logins() -> tuple[str, list[tuple[str, str]]]:
    """The demo password and (username, who) of the named demo accounts, for `make run`'s banner."""
    from demo.seed import DEMO_LOGINS, DEMO_PASSWORD

    return DEMO_PASSWORD, list(DEMO_LOGINS)


def register(app: Flask) -> None:
    """Adds this area's commands."""
    app.cli.add_command(seed_demo_command)
