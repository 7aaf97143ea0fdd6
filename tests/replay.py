"""Replays a lived demo case file through the real services, one call (one transaction) per step.

This is the slow, obviously right way to make the same dispute: `register_dispute`, then
`fire_trigger` / `record_session` / `record_prevention` with the case file's recorded inputs. The
replay test compares its rows with the bulk ones; bench/seed_demo.py times it as the baseline.
"""
from __future__ import annotations

from typing import Optional

from demo.casefile import CaseFile, Step
from mediation.disputes import cases, triggers
from mediation.extensions import db
from mediation.models import User


def _actor(step: Step) -> Optional[User]:
    return db.session.get(User, step.actor.id) if step.actor is not None else None


def replay(case: CaseFile) -> int:
    """Feeds the case file's steps to the services; returns the new dispute's id."""
    register = case.steps[0]
    dispute = cases.register_dispute(dict(register.data), actor=_actor(register), at=register.at)
    dispute_id, version = dispute.id, dispute.version
    for step in case.steps[1:]:
        if step.kind == "fire":
            version = triggers.fire_trigger(dispute_id, step.trigger, version=version, actor=_actor(step),
                                               occurred_at=step.at, payload=dict(step.data), at=step.at).version
        elif step.kind == "session":
            cases.record_session(dispute_id, dict(step.data), actor=_actor(step), at=step.at)
            version += 1
        else:
            cases.record_prevention(dispute_id, dict(step.data), actor=_actor(step), at=step.at)
            version += 1
    return dispute_id
