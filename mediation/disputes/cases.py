"""Intake (登记) and the records kept on a dispute outside the workflow's triggers."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from mediation.common import access
from mediation.common.clock import LOCAL
from mediation.common.clock import now as clock_now
from mediation.common.errors import NotFound, ValidationError, VersionConflict
from mediation.common.paging import paginate
from mediation.common.validation import collect, load
from mediation.disputes import effects
from mediation.disputes.policy import effective_policy
from mediation.disputes.schemas import DisputeIn, DisputePatch, PreventionIn, SessionIn
from mediation.disputes.store import STORE
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import (
    CaseCounter,
    Committee,
    Dispute,
    Event,
    MediationSession,
    Party,
    PreventionRecord,
    User,
)

CLOCK_SKEW = timedelta(minutes=2)  # a client clock slightly ahead is not "the future"


# -- reading ---------------------------------------------------------------------------------
def load_dispute(dispute_id: int, actor: Optional[User] = None, for_update: bool = False) -> Dispute:
    """The dispute with its records, or NotFound (also outside `actor`'s scope)."""
    if not isinstance(dispute_id, int) or isinstance(dispute_id, bool):
        raise NotFound("no such dispute")
    query = select(Dispute).where(Dispute.id == dispute_id)
    if for_update:
        query = query.with_for_update(of=Dispute)
    query = query.options(selectinload(Dispute.parties), selectinload(Dispute.assignments),
                          selectinload(Dispute.deadlines), selectinload(Dispute.agreements),
                          selectinload(Dispute.follow_ups), selectinload(Dispute.sessions))
    dispute = db.session.scalars(query.execution_options(populate_existing=for_update)).unique().first()
    return access.ensure_dispute_visible(actor, dispute)


def list_disputes(actor: Optional[User], state: Optional[str] = None, dispute_type: Optional[str] = None,
                  committee: Optional[str] = None, org: Optional[str] = None, overdue: bool = False,
                  q: Optional[str] = None, page: int = 1, per_page: int = 50,
                  at: Optional[datetime] = None) -> dict[str, Any]:
    """Disputes in scope, newest first, filtered and paginated in the database."""
    from mediation.models import Deadline
    from mediation.orgs.tree import get_committee, get_org

    query = select(Dispute).where(access.disputes_clause(actor))
    if state:
        query = query.where(Dispute.state == state)
    if dispute_type:
        query = query.where(Dispute.dispute_type == dispute_type)
    if committee:
        query = query.where(Dispute.committee_id == get_committee(committee, actor).id)
    if org:
        query = query.where(Dispute.committee_id.in_(access.committees_in(get_org(org, actor))))
    if overdue:
        late = select(Deadline.dispute_id).where(Deadline.status == "open", Deadline.kind != "confirmation",
                                                 Deadline.due_at <= (at or clock_now()))
        query = query.where(Dispute.id.in_(late))
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        named = select(Party.dispute_id).where(Party.name.like(pattern, escape="\\"))
        query = query.where(or_(Dispute.case_number.like(pattern, escape="\\"),
                                Dispute.summary.like(pattern, escape="\\"), Dispute.id.in_(named)))
    query = query.options(selectinload(Dispute.parties), selectinload(Dispute.assignments),
                          selectinload(Dispute.deadlines), selectinload(Dispute.agreements),
                          selectinload(Dispute.follow_ups), selectinload(Dispute.sessions))
    return paginate(query.order_by(Dispute.received_at.desc(), Dispute.id.desc()), page, per_page)


def list_events(dispute_id: int, actor: Optional[User] = None) -> list[Event]:
    """The audit trail, oldest first (ties in recording order)."""
    load_dispute(dispute_id, actor)
    return list(db.session.scalars(select(Event).where(Event.dispute_id == dispute_id)
                                   .order_by(Event.occurred_at, Event.id)))


# -- writing ---------------------------------------------------------------------------------
def _next_case_seq(session, committee_id: int, year: int) -> int:
    """Takes the next number of the committee's year under a row lock: gap-free under concurrency."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(CaseCounter).values(committee_id=committee_id, year=year, last_seq=0)
                    .on_conflict_do_nothing())
    return session.execute(update(CaseCounter).where(CaseCounter.committee_id == committee_id,
                                                     CaseCounter.year == year)
                           .values(last_seq=CaseCounter.last_seq + 1).returning(CaseCounter.last_seq)).scalar_one()


def case_number(year: int, committee_code: str, seq: int) -> str:
    return f"（{year}）{committee_code}调字第{seq:05d}号"


def may_register_into(actor: Optional[User], committee: Committee) -> bool:
    if access.is_global(actor):
        return True
    if actor.role == "mediator":
        return actor.committee_id == committee.id
    return access.org_in_scope(actor, committee.org)


def register_dispute(data: dict[str, Any], actor: Optional[User] = None, at: Optional[datetime] = None) -> Dispute:
    """Registers a dispute: case number, parties, the `register` event and the acceptance deadline."""
    now = at or clock_now()
    clean, fields = collect(DisputeIn(), data)
    committee = None
    if isinstance(clean.get("committee"), str):
        committee = db.session.scalar(select(Committee).where(Committee.code == clean["committee"]))
    if committee is None or not committee.active or not may_register_into(actor, committee):
        fields["committee"] = ["not a committee you may register disputes into"]
    received_at = clean.get("received_at") or now
    if received_at > now + CLOCK_SKEW:
        fields["received_at"] = ["cannot lie in the future"]
    received_at = min(received_at, now)  # a client clock slightly ahead records "now"
    if fields:
        raise ValidationError(fields)
    dispute_type, source, summary = clean["dispute_type"], clean["source"], clean["summary"]
    amount, risk = clean.get("amount"), clean["risk_level"]
    parties = [Party(**p) for p in clean["parties"]]
    with unit_of_work() as session:
        year = received_at.astimezone(LOCAL).year
        seq = _next_case_seq(session, committee.id, year)
        dispute = Dispute(case_number=case_number(year, committee.code, seq), case_year=year, case_seq=seq,
                          committee_id=committee.id, intake_org_id=committee.org_id, dispute_type=dispute_type,
                          source=source, summary=summary, amount=amount, risk_level=risk, state="registered",
                          received_at=received_at, last_event_at=received_at,
                          created_by_id=actor.id if actor else None, version=1)
        dispute.parties.extend(parties)
        session.add(dispute)
        policy = effective_policy(committee.org)
        effects.open_acceptance(dispute, STORE, received_at, policy, now)
        session.add(Event(trigger="register", from_state=None, to_state="registered", actor=actor,
                          committee_id=committee.id, org_id=committee.org_id, occurred_at=received_at,
                          recorded_at=now, payload={"case_number": dispute.case_number}, dispute=dispute))
        session.flush()
        if risk == "red":
            _alert(dispute.id)
    return dispute


def _alert(dispute_id: int) -> None:
    from mediation.notifications import notify
    notify.raise_risk_alert(dispute_id)


def update_dispute(dispute_id: int, data: dict[str, Any], actor: Optional[User] = None,
                   at: Optional[datetime] = None) -> Dispute:
    """PATCH: summary, amount, risk level, under the optimistic lock. Raising to red alerts at once."""
    clean = load(DisputePatch(), data)
    version = clean.pop("version")
    changes: dict[str, Any] = clean
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor, for_update=True)
        ensure_may_act(actor, dispute)
        if dispute.version != version:
            raise VersionConflict("the dispute was changed by someone else; reload it", current=dispute.version)
        before = {k: getattr(dispute, k) for k in changes}
        changed = {k: v for k, v in changes.items() if before[k] != v}
        if changed:
            for key, value in changed.items():
                setattr(dispute, key, value)
            dispute.version += 1
            t = at or clock_now()
            session.add(Event(dispute=dispute, trigger="update", from_state=dispute.state, to_state=dispute.state,
                              actor=actor, committee_id=dispute.committee_id, org_id=dispute.committee.org_id,
                              occurred_at=max(t, dispute.last_event_at), recorded_at=t,
                              payload={k: (str(v) if v is not None else None) for k, v in changed.items()}))
            dispute.last_event_at = max(t, dispute.last_event_at)
            if changed.get("risk_level") == "red":
                _alert(dispute.id)
    return dispute


def ensure_may_act(actor: Optional[User], dispute: Dispute) -> None:
    """Mediators of the handling committee or assigned to the case, supervisors whose scope holds it."""
    if not access.can_see_dispute(actor, dispute):
        raise NotFound("no such dispute")


def record_session(dispute_id: int, data: dict[str, Any], actor: Optional[User] = None,
                   at: Optional[datetime] = None) -> MediationSession:
    """调解记录: only while in mediation."""
    from mediation.common.errors import InvalidTransition

    now = at or clock_now()
    clean, fields = collect(SessionIn(), data)
    held_at = clean.get("held_at") or now
    if held_at > now + CLOCK_SKEW:
        fields["held_at"] = ["cannot lie in the future"]
    mode, location, notes = clean.get("mode"), clean.get("location", ""), clean.get("notes", "")
    kind = clean.get("kind") or "mediation"
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor, for_update=True)
        ensure_may_act(actor, dispute)
        if dispute.state != "in_mediation":
            raise InvalidTransition("sessions can only be recorded while in mediation", state=dispute.state)
        if fields:
            raise ValidationError(fields)
        row = MediationSession(dispute_id=dispute.id, held_at=held_at, mode=mode, kind=kind, location=location,
                               notes=notes, recorded_by_id=actor.id if actor else None, recorded_at=now)
        session.add(row)
        dispute.version += 1
        session.flush()
    return row


def record_prevention(dispute_id: int, data: dict[str, Any], actor: Optional[User] = None,
                      at: Optional[datetime] = None) -> PreventionRecord:
    """What the mediation prevented (防止民转刑 …), counted in cases and people."""
    clean = load(PreventionIn(), data)
    kind, people = clean["kind"], clean["people"]
    when = at or clock_now()
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor, for_update=True)
        ensure_may_act(actor, dispute)
        row = PreventionRecord(dispute_id=dispute.id, kind=kind, people=people, org_id=dispute.committee.org_id,
                               recorded_at=when, recorded_by_id=actor.id if actor else None)
        session.add(row)
        dispute.version += 1
        session.flush()
    return row

