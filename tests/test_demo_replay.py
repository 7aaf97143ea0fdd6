"""The demo's bulk rows are exactly what the services write for the same history.

A small demo is seeded (bulk path), then every seeded history is replayed through the real
services (register_dispute, fire_trigger, record_session, record_prevention) into a fresh dispute,
and the two disputes' rows are compared field by field, ignoring only ids, case numbers and the
moments rows were recorded.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from demo.seed import seed_demo
from demo.stories.showcase import SHOWCASE
from mediation.extensions import db as _db
from mediation.models import (
    Agreement,
    Assignment,
    Deadline,
    Dispute,
    Event,
    FollowUp,
    MediationSession,
    Notification,
    Party,
    PreventionRecord,
)
from mediation.models.enums import OUTCOMES
from tests.replay import replay
from workflows.dispute import STANDARD, STATES

AT = datetime(2026, 10, 16, 9, 30, tzinfo=UTC)  # the demo's "now", fixed so runs repeat
IGNORED = {"id", "dispute_id", "case_number", "case_seq", "created_at", "updated_at", "recorded_at"}
CHILDREN = [(Party, Party.id), (Assignment, Assignment.id), (MediationSession, MediationSession.id),
            (Agreement, Agreement.id), (FollowUp, FollowUp.id), (PreventionRecord, PreventionRecord.id),
            (Deadline, Deadline.id), (Event, Event.id)]


def _values(row, case_number: str) -> dict:
    out = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in IGNORED}
    if isinstance(row, Event) and row.trigger == "register":
        assert row.payload == {"case_number": case_number}
        out["payload"] = "<case number>"
    return out


def dump(dispute_id: int) -> dict:
    """Every row the dispute has, in order, without ids, case numbers and recording times."""
    dispute = _db.session.get(Dispute, dispute_id)
    out = {"dispute": _values(dispute, dispute.case_number)}
    for model, order in CHILDREN:
        rows = _db.session.scalars(select(model).where(model.dispute_id == dispute_id).order_by(order))
        out[model.__tablename__] = [_values(r, dispute.case_number) for r in rows]
    alerts = _db.session.scalars(select(Notification).where(Notification.dispute_id == dispute_id)
                                 .order_by(Notification.recipient_id, Notification.channel))
    out["notification"] = [(n.recipient_id, n.kind, n.channel, n.address, n.deadline_id,
                            n.dedupe_key.replace(f":{dispute_id}:", ":<id>:")) for n in alerts]
    return out


def test_seeded_histories_replay_to_the_same_rows(db):
    result = seed_demo(cases=len(SHOWCASE) + 25, seed=20261016, at=AT, keep=True)
    assert len(result.kept) == len(SHOWCASE) + 25
    # one dispute of each kind of history (its final state and outcome, and which steps it took)
    sample: dict[tuple, tuple] = {}
    for case, seeded_id in zip(result.kept, result.ids, strict=True):
        kind = (case.state, case.outcome, frozenset(step.trigger or step.kind for step in case.steps))
        sample.setdefault(kind, (case, seeded_id))
    assert {state for state, _, _ in sample} == set(STATES)
    assert {outcome for _, outcome, _ in sample} >= set(OUTCOMES)
    assert frozenset().union(*(steps for _, _, steps in sample)) >= set(STANDARD.triggers) | {"session", "prevention"}
    for case, seeded_id in sample.values():
        replayed_id = replay(case)
        assert dump(seeded_id) == dump(replayed_id), (
            f"dispute {seeded_id} ({case.state}) differs from its replay {replayed_id}")


def test_replay_really_compares(db):
    """The comparison sees a difference of one field (so the test above could fail)."""
    result = seed_demo(cases=3, seed=5, at=AT, keep=True)
    case, seeded_id = result.kept[0], result.ids[0]
    replayed_id = replay(case)
    assert dump(seeded_id) == dump(replayed_id)
    deadline = _db.session.scalars(select(Deadline).where(Deadline.dispute_id == replayed_id)).first()
    deadline.due_at = deadline.due_at.replace(second=1)
    _db.session.flush()
    assert dump(seeded_id) != dump(replayed_id)
