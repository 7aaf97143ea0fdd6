"""`flask --app wsgi users create|deactivate|reactivate|password` (API.md, Command line)."""
from __future__ import annotations

from sqlalchemy import select

from mediation.models import AuditEntry, User
from mediation.orgs import users
from tests.factories import PASSWORD, uniq

NEW = "Quiet-river-stone-7"


def test_create_prompts_for_the_password_hidden_and_twice(runner, db, world):
    name = uniq("cli")
    done = runner.invoke(args=["users", "create", name, "--role", "mediator", "--committee", world.cv1.code],
                         input=f"{NEW}\n{NEW}\n")
    assert done.exit_code == 0, done.output
    assert "Password:" in done.output and "Repeat for confirmation:" in done.output
    assert NEW not in done.output  # hidden: never echoed
    assert users.authenticate(name, NEW).username == name


def test_create_refuses_a_mismatched_confirmation_and_a_weak_password(runner, db, world):
    name = uniq("cli")
    done = runner.invoke(args=["users", "create", name, "--role", "admin"], input=f"{NEW}\nsomething-else-1\n")
    assert done.exit_code != 0 and "do not match" in done.output
    done = runner.invoke(args=["users", "create", name, "--role", "admin", "--password", "password1"])
    assert done.exit_code == 1 and "most common passwords" in done.output
    assert db.session.scalar(select(User).where(User.username == name)) is None


def test_deactivate_reactivate_and_reset(runner, db, world):
    name = world.m1.username
    done = runner.invoke(args=["users", "deactivate", name.upper()])
    assert done.exit_code == 0 and "deactivated" in done.output
    db.session.expire_all()
    assert db.session.get(User, world.m1.id).active is False
    assert runner.invoke(args=["users", "reactivate", name]).exit_code == 0
    done = runner.invoke(args=["users", "password", name], input=f"{NEW}\n{NEW}\n")
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    user = db.session.get(User, world.m1.id)
    assert user.active is True and user.must_change_password is True
    assert users.authenticate(name, NEW).id == user.id
    kinds = [e.kind for e in db.session.scalars(select(AuditEntry).where(AuditEntry.target == name)
                                                .order_by(AuditEntry.id))]
    assert kinds == ["user.create", "user.deactivate", "user.reactivate", "user.password_reset"]
    assert all(e.actor_id is None for e in db.session.scalars(select(AuditEntry).where(AuditEntry.target == name,
                                                                                         AuditEntry.kind != "user.create")))


def test_unknown_user_is_a_clean_error(runner, db):
    done = runner.invoke(args=["users", "deactivate", "nobody-at-all"])
    assert done.exit_code == 1 and "not_found" in done.output
    assert PASSWORD not in done.output
