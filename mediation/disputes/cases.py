"""Intake (登记) and the records kept on a dispute outside the workflow's triggers."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased, selectinload

from mediation.common import access
from mediation.common.clock import LOCAL
from mediation.common.clock import now as clock_now
from mediation.common.errors import Conflict, NotFound, ValidationError, VersionConflict
from mediation.common.paging import paginate
from mediation.common.validation import collect, load
from mediation.disputes import effects, trail
from mediation.disputes.policy import effective_policy
from mediation.disputes.schemas import DisputeIn, DisputePatch, PreventionIn, PreventionWithdrawal, SessionIn
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
# What a dispute's page shows (api.dispute_schemas.DisputeOut), one SELECT per collection for any
# number of disputes: a page of the list costs the same nine statements for 1 row or 200.
SHOWN = (selectinload(Dispute.parties), selectinload(Dispute.assignments), selectinload(Dispute.deadlines),
         selectinload(Dispute.agreements), selectinload(Dispute.follow_ups), selectinload(Dispute.sessions),
         selectinload(Dispute.preventions))


def load_dispute(dispute_id: int, actor: Optional[User] = None, for_update: bool = False) -> Dispute:
    """The dispute with its records, or NotFound (also outside `actor`'s scope).

    The scope is part of the one query, so an absent id and one outside the scope cost the same
    statements and answer alike (nothing about the other's dispute is loaded to be refused)."""
    if not isinstance(dispute_id, int) or isinstance(dispute_id, bool):
        raise NotFound("no such dispute")
    query = select(Dispute).where(Dispute.id == dispute_id, access.disputes_clause(actor))
    if for_update:
        query = query.with_for_update(of=Dispute)
    query = query.options(*SHOWN)
    dispute = db.session.scalars(query.execution_options(populate_existing=for_update)).unique().first()
    return access.ensure_dispute_visible(actor, dispute)


def visible_dispute(dispute_id: int, actor: Optional[User] = None) -> Dispute:
    """The dispute row alone (its committee and org joined), or NotFound: for responses that show
    something else of it (its events), so they do not load its records."""
    if not isinstance(dispute_id, int) or isinstance(dispute_id, bool):
        raise NotFound("no such dispute")
    dispute = db.session.scalars(select(Dispute).where(Dispute.id == dispute_id, access.disputes_clause(actor))).first()
    return access.ensure_dispute_visible(actor, dispute)  # the scope in the one query, as load_dispute does


def _like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_clause(q: str):
    """`q` in the case number, the summary or a party's name (substring).

    On PostgreSQL a `q` of two characters or more goes through the bigram GIN indexes of migration
    0011 (`text_bigrams(x) @> text_bigrams(q)`: every two-character piece of `q` occurs in `x`,
    which a Chinese name of two characters is), then LIKE checks the candidates. pg_trgm cannot
    serve a two-character pattern; SQLite and one-character queries use LIKE alone.
    """
    pattern = _like_pattern(q)
    name_like = Party.name.like(pattern, escape="\\")
    text_like = or_(Dispute.case_number.like(pattern, escape="\\"), Dispute.summary.like(pattern, escape="\\"))
    if db.session.get_bind().dialect.name != "postgresql" or len(q) < 2:
        return or_(text_like, Dispute.id.in_(select(Party.dispute_id).where(name_like)))
    wanted = func.text_bigrams(q)
    by_name = select(Party.dispute_id).where(func.text_bigrams(Party.name).bool_op("@>")(wanted), name_like)
    matched = aliased(Dispute)
    by_text = select(matched.id).where(
        func.text_bigrams(matched.case_number + " " + matched.summary).bool_op("@>")(wanted),
        or_(matched.case_number.like(pattern, escape="\\"), matched.summary.like(pattern, escape="\\")))
    return Dispute.id.in_(by_name.union(by_text))


def list_disputes(actor: Optional[User], state: Optional[str] = None, dispute_type: Optional[str] = None,
                  committee: Optional[str] = None, org: Optional[str] = None, overdue: bool = False,
                  q: Optional[str] = None, page: int = 1, per_page: int = 50,
                  at: Optional[datetime] = None) -> dict[str, Any]:
    """Disputes in scope, newest first, filtered and paginated in the database (the order and the
    filters have their indexes: migration 0011)."""
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
        query = query.where(search_clause(q))
    query = query.options(*SHOWN)
    return paginate(query.order_by(Dispute.received_at.desc(), Dispute.id.desc()), page, per_page)


def list_events(dispute_id: int, actor: Optional[User] = None) -> list[Event]:
    """The audit trail, oldest first (ties in recording order)."""
    visible_dispute(dispute_id, actor)
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


def _plain(value: Any) -> Any:
    return str(value) if value is not None else None


def update_dispute(dispute_id: int, data: dict[str, Any], actor: Optional[User] = None,
                   at: Optional[datetime] = None) -> Dispute:
    """PATCH: summary, amount, risk level, under the optimistic lock; an `update` record keeps the
    values before and after. Raising to red alerts at once."""
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
            t = at or clock_now()
            trail.add_record(session, dispute, actor, "update", max(t, dispute.last_event_at), t,
                             {"before": {k: _plain(before[k]) for k in changed},
                              "after": {k: _plain(v) for k, v in changed.items()}})
            for key, value in changed.items():
                setattr(dispute, key, value)
            if changed.get("risk_level") == "red":
                _alert(dispute.id)
    return dispute


def ensure_may_act(actor: Optional[User], dispute: Dispute) -> None:
    """Mediators of the handling committee or assigned to the case, supervisors whose scope holds it."""
    if not access.can_see_dispute(actor, dispute):
        raise NotFound("no such dispute")


def committee_at(dispute: Dispute, moment: datetime) -> Committee:
    """The committee that handled the dispute at `moment`: the committee of its first transition or
    record dated after it (an escalation's event carries the committee it left), else the current one."""
    committee_id = db.session.scalar(
        select(Event.committee_id).where(Event.dispute_id == dispute.id, Event.occurred_at > moment,
                                         trail.counted(Event.trigger))
        .order_by(Event.occurred_at, Event.id).limit(1))
    if committee_id is None or committee_id == dispute.committee_id:
        return dispute.committee
    return db.session.get(Committee, committee_id)


def _mediation_began(dispute: Dispute) -> datetime:
    """When the dispute last entered mediation (start_mediation or reopen)."""
    began = db.session.scalar(select(func.max(Event.occurred_at)).where(
        Event.dispute_id == dispute.id, Event.to_state == "in_mediation", Event.from_state != "in_mediation"))
    return began or dispute.mediation_started_at or dispute.received_at


def _dated(clean: dict[str, Any], field: str, now: datetime, fields: dict) -> Optional[datetime]:
    """The time an entry is dated (default now): never in the future (a clock slightly ahead is now)."""
    if field in fields:
        return None
    when = clean.get(field) or now
    if when > now + CLOCK_SKEW:
        fields.setdefault(field, []).append("cannot lie in the future")
        return None
    return min(when, now)


def record_session(dispute_id: int, data: dict[str, Any], actor: Optional[User] = None,
                   at: Optional[datetime] = None) -> MediationSession:
    """调解记录: only while in mediation, held since it entered mediation and not in the future; a
    `record_session` record dated when it was held (flagged when beyond `max_backdate_days`)."""
    from mediation.common.errors import InvalidTransition

    now = at or clock_now()
    clean, fields = collect(SessionIn(), data)
    held_at = _dated(clean, "held_at", now, fields)
    mode, location, notes = clean.get("mode"), clean.get("location", ""), clean.get("notes", "")
    kind = clean.get("kind") or "mediation"
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor, for_update=True)
        ensure_may_act(actor, dispute)
        if dispute.state != "in_mediation":
            raise InvalidTransition("sessions can only be recorded while in mediation", state=dispute.state)
        began = _mediation_began(dispute)
        if held_at is not None and held_at < began:
            fields["held_at"] = [f"cannot lie before the mediation began ({began.isoformat()})"]
        reason = None
        if held_at is not None and "held_at" not in fields and "backdate_reason" not in fields:
            reason = trail.backdating(held_at, now, effective_policy(dispute.committee.org),
                                      clean.get("backdate_reason"), fields)
        if fields:
            raise ValidationError(fields)
        row = MediationSession(dispute_id=dispute.id, held_at=held_at, mode=mode, kind=kind, location=location,
                               notes=notes, recorded_by_id=actor.id if actor else None, recorded_at=now)
        session.add(row)
        session.flush()
        trail.add_record(session, dispute, actor, "record_session", held_at, now, {"mode": mode}, backdate=reason,
                         committee=committee_at(dispute, held_at))
        session.flush()
    return row


def record_prevention(dispute_id: int, data: dict[str, Any], actor: Optional[User] = None,
                      at: Optional[datetime] = None) -> PreventionRecord:
    """What the mediation prevented (防止民转刑 …), counted in cases and people.

    Kept from the acceptance up to the conclusion (docs/events.md): dated (`occurred_at`, default
    now) not before the acceptance and, once the mediation is concluded, not after the
    conclusion; `people` at most the policy's `max_prevention_people`. A `record_prevention`
    record (result = kind, people) is what the figures count.
    """
    from mediation.common.errors import InvalidTransition

    now = at or clock_now()
    clean, fields = collect(PreventionIn(), data)
    kind, people = clean.get("kind"), clean.get("people")
    when = _dated(clean, "occurred_at", now, fields)
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor, for_update=True)
        ensure_may_act(actor, dispute)
        if dispute.accepted_at is None:
            raise InvalidTransition("prevention records are kept from the acceptance up to the conclusion; "
                                    "this dispute was never accepted", state=dispute.state)
        policy = effective_policy(dispute.committee.org)
        if people is not None and people > policy["max_prevention_people"]:
            fields["people"] = [f"must be at most {policy['max_prevention_people']} (max_prevention_people)"]
        if when is not None and when < dispute.accepted_at:
            fields["occurred_at"] = [f"cannot lie before the acceptance ({dispute.accepted_at.isoformat()})"]
        elif when is not None and dispute.concluded_at is not None and when > dispute.concluded_at:
            fields["occurred_at"] = ["the mediation was concluded "
                                     f"({dispute.concluded_at.isoformat()}): a prevention record must be "
                                     "dated at or before the conclusion"]
        reason = None
        if when is not None and "occurred_at" not in fields and "backdate_reason" not in fields:
            reason = trail.backdating(when, now, policy, clean.get("backdate_reason"), fields)
        if fields:
            raise ValidationError(fields)
        committee = committee_at(dispute, when)
        row = PreventionRecord(dispute_id=dispute.id, kind=kind, people=people, org_id=committee.org_id,
                               occurred_at=when, recorded_at=now, recorded_by_id=actor.id if actor else None)
        session.add(row)
        session.flush()
        trail.add_record(session, dispute, actor, "record_prevention", when, now, {"kind": kind, "people": people},
                         backdate=reason, committee=committee, result=kind, people=people)
        session.flush()
    return row


def withdraw_prevention(dispute_id: int, prevention_id: int, data: dict[str, Any], actor: Optional[User] = None,
                        at: Optional[datetime] = None) -> PreventionRecord:
    """Withdraws a mistaken prevention record (the correction path; nothing is edited or deleted).

    A `withdraw_prevention` record with the reason, dated at the record it corrects and counting
    minus its people for the same org, so every figure of that period nets the record out; its
    `recorded_at` says when, and a recomputation of a stored week shows it as a late entry.
    """
    reason = load(PreventionWithdrawal(), data)["reason"]
    now = at or clock_now()
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor, for_update=True)
        ensure_may_act(actor, dispute)
        row = session.get(PreventionRecord, prevention_id) if isinstance(prevention_id, int) else None
        if row is None or row.dispute_id != dispute.id:
            raise NotFound("no such prevention record")
        if row.withdrawn_at is not None:
            raise Conflict("this prevention record was withdrawn already", field="prevention")
        row.withdrawn_at, row.withdrawn_by_id, row.withdrawal_reason = now, actor.id if actor else None, reason
        trail.add_record(session, dispute, actor, "withdraw_prevention", row.occurred_at, now,
                         {"prevention_id": row.id, "kind": row.kind, "people": row.people, "reason": reason},
                         committee=committee_at(dispute, row.occurred_at), org_id=row.org_id, result=row.kind,
                         people=-row.people)
        session.flush()
    return row
