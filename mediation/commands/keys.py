"""`flask --app wsgi keys …`: the data keys that encrypt ID and phone numbers (docs/security.md)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

keys_cli = AppGroup("keys", help="Data keys: status, generate, rotate.")


@keys_cli.command("status")
def status_command() -> None:
    """Where the keys come from, which one is active, how many stored values each protects."""
    from mediation.disputes.parties import rows_per_key
    from mediation.models import crypto

    ring = crypto.current()
    used = rows_per_key()
    click.echo(f"source: {ring.source}")
    for i, key in enumerate(ring.keys):
        click.echo(f"  {key.key_id}{' (active)' if i == 0 else ''}: {used.pop(key.key_id, 0)} value(s)")
    for key_id, n in used.items():
        click.echo(f"  {key_id}: {n} value(s) under a key NOT in the ring (add it back to DATA_KEYS)")


@keys_cli.command("generate")
def generate_command() -> None:
    """Prints a new random key (id:base64) to put first in DATA_KEYS before `keys rotate`."""
    from mediation.models import crypto

    click.echo(crypto.new_key().spelled())


@keys_cli.command("rotate")
@click.option("--retire", is_flag=True, help="Afterwards drop the keys no stored value needs any more.")
def rotate_command(retire: bool) -> None:
    """Re-encrypts every ID and phone number under a new key and recomputes the blind indexes.

    Without DATA_KEYS a new key is generated into instance/data_keys first; with DATA_KEYS, put a
    new key (`keys generate`) first in it on every host, restart, then run this."""
    from mediation.disputes.parties import reseal_all, rows_per_key
    from mediation.infra import keys
    from mediation.models import crypto

    source = keys.source()
    ring = crypto.current()
    if not source.from_environment:
        ring = crypto.KeyRing([crypto.new_key(), *ring.keys], ring.source)
        source.save(ring)
        click.echo(f"new active key {ring.active.key_id} written to {source.path}")
    else:
        click.echo(f"active key {ring.active.key_id} (DATA_KEYS)")
    done = reseal_all()
    click.echo(f"re-encrypted {done['resealed']} of {done['rows']} part(ies) under {ring.active.key_id}; "
               f"blind indexes recomputed")
    used = rows_per_key()
    unused = [k.key_id for k in ring.keys[1:] if not used.get(k.key_id)]
    still = [k.key_id for k in ring.keys[1:] if used.get(k.key_id)]
    if still:
        click.echo(f"still in use (run rotate again): {', '.join(still)}")
    if not retire or not unused:
        if unused:
            click.echo(f"no longer needed: {', '.join(unused)} (--retire drops them)")
        return
    if source.from_environment:
        click.echo(f"remove from DATA_KEYS on every host: {', '.join(unused)}")
        return
    source.save(crypto.KeyRing([k for k in ring.keys if k.key_id not in unused], ring.source))
    click.echo(f"retired {', '.join(unused)}")


def register(app: Flask) -> None:
    app.cli.add_command(keys_cli)
