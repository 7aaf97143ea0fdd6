"""A dispute lived in memory by the service layer's own rules, so the demo can be written in bulk.

`CaseFile` stands in for a loaded `Dispute`. Registration and each step store what
`cases.register_dispute`, `triggers.fire_trigger`, `cases.record_session` and
`cases.record_prevention` store, through the very same code: payload validation
(`validate_payload`) and the step itself, `mediation/disputes/effects.py` (facts, guards, the
machine, every effect, the deadlines), run on plain records instead of ORM objects. `Lookup` is
the effects' store here: it answers the look-ups from the world read once and makes plain child
rows (that is what makes 100,000 disputes fast). `steps` keeps the inputs, so
tests/test_demo_replay.py replays sampled histories through the real services and compares the
rows field by field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from mediation.common.clock import LOCAL
from mediation.common.errors import InvalidTransition, ValidationError
from mediation.common.personal import normalise_id_number, normalise_phone
from mediation.common.validation import Money
from mediation.disputes import deadlines, effects
from mediation.disputes.triggers import validate_payload
from mediation.models.enums import PREVENTION_KINDS, SESSION_MODES


@dataclass(slots=True)
class Step:
    """One input to the services, in order: what a replay feeds them."""

    kind: str  # "register", "fire", "session", "prevention"
    actor: Optional[Any]
    at: datetime  # when it happened (= occurred_at / held_at / recorded_at), also the injected "now"
    trigger: Optional[str] = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class PlannedEvent:
    """An Event row before it has an id (the attributes the effects set are the model's)."""

    trigger: str
    from_state: Optional[str]
    to_state: str
    actor_id: Optional[int]
    committee_id: int
    org_id: int
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]
    amount: Optional[Decimal] = None
    due_at: Optional[datetime] = None
    result: Optional[str] = None
    people: Optional[int] = None
    backdated: bool = False


@dataclass(slots=True)
class PlannedDeadline:
    kind: str
    due_at: datetime
    status: str = "open"
    met_at: Optional[datetime] = None
    cancelled_at: Optional[datetime] = None
    created_at: Optional[datetime] = None


@dataclass(slots=True)
class PlannedParty:
    role: str
    kind: str
    name: str
    id_number: Optional[str]
    phone: Optional[str]
    address: Optional[str]


@dataclass(slots=True)
class PlannedAssignment:
    mediator_id: int
    lead: bool
    assigned_at: datetime
    ended_at: Optional[datetime] = None


@dataclass(slots=True)
class PlannedAgreement:
    form: str
    terms: str
    amount: Decimal
    performance_due: Any
    agreed_at: datetime
    confirmation: str = "none"
    confirmation_court: Optional[str] = None
    confirmation_requested_at: Optional[datetime] = None
    confirmation_decided_at: Optional[datetime] = None


@dataclass(slots=True)
class PlannedFollowUp:
    performance: str
    method: str
    notes: str
    visited_at: datetime
    recorded_by_id: Optional[int]


@dataclass(slots=True)
class PlannedSession:
    held_at: datetime
    mode: str
    location: str
    notes: str
    recorded_by_id: Optional[int]
    recorded_at: datetime


@dataclass(slots=True)
class PlannedPrevention:
    kind: str
    people: int
    org_id: int
    occurred_at: datetime
    recorded_at: datetime
    recorded_by_id: Optional[int]


_AMOUNT = Money(allow_none=True)


class Lookup:
    """What the case files need to know of the world: mediators by name, committees, policies.

    Its committees and users are plain records with the attributes the services read (see
    demo/city/world.py), so living a case touches no database. It is also the effects' store.
    """

    def __init__(self, users: dict[str, Any], committees: dict[str, Any], policies: dict[int, dict[str, Any]]) -> None:
        self._users = users
        self.committees = committees
        self.policies = policies  # effective policy per committee id, read once (policy.effective_policy)

    def policy(self, committee: Any) -> dict[str, Any]:
        return self.policies[committee.id]

    # -- the effects' Store (mediation/disputes/effects.py) --------------------------------------
    def users(self, usernames: list[str]) -> dict[str, Any]:
        return {n: self._users[n] for n in usernames if n in self._users}

    def committee(self, code: str) -> Optional[Any]:
        return self.committees.get(code)

    policy_of = policy

    def add_deadline(self, record: CaseFile, kind: str, due_at: datetime, at: datetime) -> PlannedDeadline:
        deadline = PlannedDeadline(kind, due_at, created_at=at)
        record.deadlines.append(deadline)
        return deadline

    def add_assignment(self, record: CaseFile, mediator: Any, lead: bool, at: datetime) -> PlannedAssignment:
        assignment = PlannedAssignment(mediator.id, lead, at)
        record.assignments.append(assignment)
        return assignment

    def add_agreement(self, record: CaseFile, form: str, terms: str, amount: Any, performance_due: Optional[date],
                      at: datetime) -> PlannedAgreement:
        agreement = PlannedAgreement(form, terms, amount, performance_due, at)
        record.agreements.append(agreement)
        return agreement

    def add_follow_up(self, record: CaseFile, performance: str, method: str, notes: str, at: datetime,
                      actor: Optional[Any]) -> PlannedFollowUp:
        follow_up = PlannedFollowUp(performance, method, notes, at, actor.id if actor else None)
        record.follow_ups.append(follow_up)
        return follow_up


class CaseFile:
    """A dispute in memory: the attributes of `Dispute` the services read and write, and its rows."""

    workflow = "standard"

    def __init__(self, lookup: Lookup, data: dict[str, Any], actor: Optional[Any], at: datetime) -> None:
        """Registers (登记) as `register_dispute` does; the case number is given when written.

        `data` is what a client would post, already valid (the replay test posts it for real).
        """
        self.lookup = lookup
        committee = lookup.committees[data["committee"]]
        self.committee, self.committee_id, self.intake_committee = committee, committee.id, committee
        self.intake_org_id = committee.org_id
        self.dispute_type, self.source = data["dispute_type"], data["source"]
        self.summary = data["summary"].strip()
        self.amount = _AMOUNT.deserialize(data.get("amount"))
        self.risk_level = data.get("risk_level") or "none"
        self.received_at = min(data["received_at"], at)
        self.parties = [_party(p) for p in data["parties"]]
        self.case_year = self.received_at.astimezone(LOCAL).year
        self.state, self.outcome, self.version, self.extensions_used = "registered", None, 1, 0
        self.accepted_at = self.mediation_started_at = self.concluded_at = self.closed_at = None
        self.last_event_at = self.received_at
        self.created_by_id = actor.id if actor else None
        self.assignments: list[PlannedAssignment] = []
        self.deadlines: list[PlannedDeadline] = []
        self.agreements: list[PlannedAgreement] = []
        self.follow_ups: list[PlannedFollowUp] = []
        self.sessions: list[PlannedSession] = []
        self.preventions: list[PlannedPrevention] = []
        policy = lookup.policy(committee)
        effects.open_acceptance(self, lookup, self.received_at, policy, at)
        self.events: list[PlannedEvent] = [PlannedEvent(
            "register", None, "registered", self.created_by_id, committee.id, committee.org_id, self.received_at,
            at, {})]  # its payload is the case number, known when the case is numbered
        self.steps: list[Step] = [Step("register", actor, at, data=data)]

    # -- what the services read off a Dispute --------------------------------------------------
    @property
    def agreement(self) -> Optional[PlannedAgreement]:
        return self.agreements[-1] if self.agreements else None

    @property
    def active_assignments(self) -> list[PlannedAssignment]:
        return [a for a in self.assignments if a.ended_at is None]

    @property
    def policy(self) -> dict[str, Any]:
        return self.lookup.policy(self.committee)

    def open_deadline(self, kind: str):
        """The open deadline of `kind`, or None."""
        found = deadlines.open_deadlines(self, kind)
        return found[0] if found else None

    # -- the use cases -----------------------------------------------------------------------
    def fire(self, trigger: str, actor: Optional[Any], when: datetime, raw: dict[str, Any]) -> None:
        """Applies a trigger as `fire_trigger(…, occurred_at=when, at=when)` would, or raises."""
        clean = validate_payload(trigger, raw)

        def make_event(from_state: str, to_state: str) -> PlannedEvent:
            return PlannedEvent(trigger, from_state, to_state, actor.id if actor else None, self.committee_id,
                                self.committee.org_id, when, when, effects.event_payload(clean))

        self.events.append(effects.take_step(self, self.lookup, trigger, clean, when, actor, make_event))
        self.steps.append(Step("fire", actor, when, trigger, raw))

    def _record(self, trigger: str, actor: Optional[Any], at: datetime, payload: dict[str, Any],
                **facts: Any) -> None:
        """A record in the trail, as `trail.add_record` writes it (entered when it happened, so never
        back-dated; the handling committee is the current one: nothing is dated after it yet)."""
        self.events.append(PlannedEvent(trigger, self.state, self.state, actor.id if actor else None,
                                        self.committee_id, self.committee.org_id, at, at, payload, **facts))
        self.version += 1
        self.last_event_at = max(self.last_event_at, at)

    def record_session(self, actor: Optional[Any], held_at: datetime, mode: str, location: str, notes: str) -> None:
        """调解记录, as `record_session(…, at=held_at)` stores it: only while in mediation, with its
        `record_session` record dated when it was held."""
        if self.state != "in_mediation":
            raise InvalidTransition("sessions can only be recorded while in mediation", state=self.state)
        if mode not in SESSION_MODES:
            raise ValidationError({"mode": ["unknown"]})
        self.sessions.append(PlannedSession(held_at, mode, location, notes, actor.id if actor else None, held_at))
        self._record("record_session", actor, held_at, {"mode": mode})
        self.steps.append(Step("session", actor, held_at,
                               data={"held_at": held_at, "mode": mode, "location": location, "notes": notes}))

    def record_prevention(self, actor: Optional[Any], at: datetime, kind: str, people: int) -> None:
        """防止民转刑 …, as `record_prevention(…, at=at)` stores it (the handling org at that moment),
        with the `record_prevention` record the figures count: from the acceptance up to the conclusion,
        at most the policy's `max_prevention_people`."""
        if self.accepted_at is None or (self.concluded_at is not None and at > self.concluded_at):
            raise InvalidTransition("prevention records are kept from the acceptance up to the conclusion",
                                    state=self.state)
        if kind not in PREVENTION_KINDS or not 1 <= people <= self.lookup.policy_of(self.committee)[
                "max_prevention_people"]:
            raise ValidationError({"people": ["out of bounds"]})
        self.preventions.append(PlannedPrevention(kind, people, self.committee.org_id, at, at,
                                                  actor.id if actor else None))
        self._record("record_prevention", actor, at, {"kind": kind, "people": people}, result=kind, people=people)
        self.steps.append(Step("prevention", actor, at, data={"kind": kind, "people": people}))


def _party(raw: dict[str, Any]) -> PlannedParty:
    """A party as intake stores one (names and addresses trimmed, ID and phone normalised)."""
    kind = raw.get("kind", "person")
    id_number = raw.get("id_number") or None
    if id_number is not None:
        id_number = normalise_id_number(id_number) if kind == "person" else id_number.strip()
    phone = normalise_phone(raw["phone"]) if raw.get("phone") else None
    return PlannedParty(raw["role"], kind, raw["name"].strip(), id_number, phone,
                        (raw.get("address") or "").strip() or None)
