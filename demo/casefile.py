"""A dispute lived in memory by the service layer's own rules, so the demo can be written in bulk.

`CaseFile` stands in for a loaded `Dispute`. Registration and each step store what
`disputes.register_dispute`, `transitions.fire_trigger`, `disputes.record_session` and
`disputes.record_prevention` store, using the same code wherever it touches no database: payload
validation (`validate_payload`), the facts the guards read (`gather_facts`), the workflow
definition's own `fire` with its guards, `deadlines.meet` / `cancel` / `open_deadlines`, the
policy's day arithmetic (`calendar.add_days`) and the event payload encoding. `_effects` follows
`transitions.apply_effects` tag by tag, and `_open*` the deadline openers of `deadlines`, with plain
records instead of ORM objects and the policies read once (that is what makes 100,000 disputes
fast). `steps` keeps the inputs, so tests/test_demo_replay.py replays sampled histories through the
real services and compares the rows field by field: if the services change, that test says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Optional

import workflows
from mediation.common.clock import LOCAL, local_date, local_midnight
from mediation.common.errors import InvalidTransition, ValidationError
from mediation.common.personal import normalise_id_number, normalise_phone
from mediation.disputes import deadlines
from mediation.disputes.cases import parse_amount
from mediation.disputes.policy import CONFIRMATION_DAYS
from mediation.disputes.triggers import _event_payload, gather_facts, validate_payload
from mediation.disputes.workdays import WorkingCalendar, add_days
from mediation.models.enums import PREVENTION_KINDS, SESSION_MODES

# Triggers whose facts `gather_facts` reads from the database; the case file supplies them itself.
_LOOKUP_TRIGGERS = ("assign", "reassign", "escalate")
# The machine's answers for steps without guards: a pure function of (workflow, state, trigger).
_UNGUARDED: dict[tuple[str, str, str], str] = {}


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
    recorded_at: datetime
    recorded_by_id: Optional[int]


class Lookup:
    """What the case files need to know of the world: mediators by name, committees, policies.

    Its committees and users are plain records with the attributes the services read (see
    demo_world), so living a case touches no database.
    """

    def __init__(self, users: dict[str, Any], committees: dict[str, Any], policies: dict[int, dict[str, Any]]) -> None:
        self.users = users
        self.committees = committees
        self.policies = policies  # effective policy per committee id, read once (policy.effective_policy)

    def policy(self, committee: Any) -> dict[str, Any]:
        return self.policies[committee.id]


class CaseFile:
    """A dispute in memory: the attributes of `Dispute` the services read and write, and its rows."""

    workflow = "standard"

    def __init__(self, lookup: Lookup, data: dict[str, Any], actor: Optional[Any], at: datetime) -> None:
        """Registers (登记) as `register_dispute` does; the case number is given when written.

        `data` is what a client would post, already valid (the replay test posts it for real).
        """
        self.lookup = lookup
        self.definition = workflows.get(self.workflow)
        fields: dict[str, list[str]] = {}
        committee = lookup.committees[data["committee"]]
        self.committee, self.committee_id, self.intake_committee = committee, committee.id, committee
        self.intake_org_id = committee.org_id
        self.dispute_type, self.source = data["dispute_type"], data["source"]
        self.summary = data["summary"].strip()
        self.amount = parse_amount(data.get("amount"), "amount", fields)
        if fields:
            raise ValidationError(fields)
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
        self._open_after("acceptance", self.received_at, policy["acceptance_days"], policy, None, at)
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
        transition = self.definition.transition_for(trigger, self.state)
        clean = validate_payload(trigger, raw)
        if when < self.last_event_at:
            raise ValidationError({"occurred_at": ["cannot lie before the dispute's previous event"]})
        due = clean.get("performance_due")
        if trigger == "reach_agreement" and due is not None and due < local_date(when):
            raise ValidationError({"performance_due": ["cannot lie before the day of the agreement"]})
        policy = self.policy
        new_state, loaded = self._fire(transition, trigger, clean, when, policy)
        event = PlannedEvent(trigger, self.state, new_state, actor.id if actor else None, self.committee_id,
                             self.committee.org_id, when, when, _event_payload(trigger, clean))
        self._effects(transition, clean, loaded, when, actor, policy, event)
        self.state = new_state
        if transition.outcome:
            self.outcome = transition.outcome
        self.last_event_at = when
        self.version += 1
        self.events.append(event)
        self.steps.append(Step("fire", actor, when, trigger, raw))

    def _fire(self, transition: workflows.Transition, trigger: str, payload: dict[str, Any], when: datetime,
              policy: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The workflow definition's `fire` on the facts `gather_facts` gives; returns (state, loaded).

        A step without guards reads no facts: its answer depends on the state alone, and is remembered.
        """
        key = (self.workflow, self.state, trigger)
        if not transition.guards and key in _UNGUARDED and trigger not in _LOOKUP_TRIGGERS:
            return _UNGUARDED[key], {}
        facts, loaded = self._facts(trigger, payload, when, policy)
        new_state = self.definition.fire(self.state, trigger, facts, payload)
        if not transition.guards:
            _UNGUARDED[key] = new_state
        return new_state, loaded

    # -- deadlines: as deadlines.open_deadline / open_follow_up / open_confirmation_window ------
    def _open(self, kind: str, due_at: datetime, at: datetime) -> None:
        self.deadlines.append(PlannedDeadline(kind, due_at, created_at=at))

    def _open_after(self, kind: str, start: datetime, days: int, policy: dict[str, Any],
                    calendar: Optional[WorkingCalendar], at: datetime) -> None:
        self._open(kind, add_days(start, days, policy["day_count"], calendar), at)

    def _open_follow_up(self, agreed_at: datetime, performance_due: Optional[date], policy: dict[str, Any],
                        calendar: WorkingCalendar) -> None:
        days = policy["follow_up_days"]
        if performance_due is None:
            return self._open_after("follow_up", agreed_at, days, policy, calendar, agreed_at)
        last_day = local_date(add_days(local_midnight(performance_due), days, policy["day_count"], calendar))
        self._open("follow_up", local_midnight(last_day + timedelta(days=1)), agreed_at)

    def _facts(self, trigger: str, clean: dict[str, Any], when: datetime,
               policy: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """`gather_facts`, with the users and committees it would look up taken from the lookup."""
        facts, loaded = gather_facts(self, trigger if trigger not in _LOOKUP_TRIGGERS else "", clean, when, policy)
        if trigger in ("assign", "reassign"):
            users = {n: self.lookup.users[n] for n in clean["mediators"] if n in self.lookup.users}
            loaded["mediators"] = users
            facts["committee_mediators"] = {
                u.username: u.display_name for u in users.values()
                if u.role == "mediator" and u.active and u.committee_id == self.committee_id}
            facts["mediators"] = {u.username: u.display_name for u in users.values()}
            facts["party_names"] = [p.name for p in self.parties if p.kind == "person"]
        elif trigger == "escalate":
            target = self.lookup.committees[clean["committee"]]
            loaded["target"] = target
            facts["target_org_path"] = target.org.ancestor_ids
            facts["target_active"] = target.active
        return facts, loaded

    def _end_assignments(self, at: datetime) -> None:
        for assignment in self.active_assignments:
            assignment.ended_at = at

    def _new_mediation_term(self, at: datetime, policy: dict[str, Any], calendar: WorkingCalendar) -> None:
        deadlines.cancel(self, at, "mediation")
        self._open_after("mediation", at, policy["mediation_days"], policy, calendar, at)
        self.extensions_used = 0

    def _effects(self, transition: workflows.Transition, payload: dict[str, Any], loaded: dict[str, Any],
                 at: datetime, actor: Optional[Any], policy: dict[str, Any], event: PlannedEvent) -> None:
        """What `transitions.apply_effects` does for each tag, in the same order."""
        tags, calendar = transition.tags, WorkingCalendar()
        if "accept" in tags:
            self.accepted_at = at
            deadlines.meet(self, "acceptance", at)
            self._new_mediation_term(at, policy, calendar)
        if "decide_acceptance" in tags:
            deadlines.meet(self, "acceptance", at)
            event.result = payload["reason_code"]
        if "assign" in tags:
            self._end_assignments(at)
            users = loaded["mediators"]
            for name in payload["mediators"]:
                self.assignments.append(PlannedAssignment(users[name].id, name == payload["lead"], at))
        if "start_mediation" in tags:
            self.mediation_started_at = at
        if "extend" in tags:
            for deadline in deadlines.open_deadlines(self, "mediation"):
                event.payload = {**event.payload, "due_before": deadline.due_at.isoformat()}
                deadline.due_at = add_days(deadline.due_at, payload["days"], policy["day_count"], calendar)
                event.payload = {**event.payload, "due_after": deadline.due_at.isoformat()}
            self.extensions_used += 1
        if "escalate" in tags:
            target = loaded["target"]
            event.payload = {**event.payload, "from_committee": self.committee.code, "to_committee": target.code,
                             "to_org": target.org.code}
            self._end_assignments(at)
            self.committee_id, self.committee = target.id, target
            self._new_mediation_term(at, self.lookup.policy(target), calendar)
        if "conclude" in tags:
            mediation = deadlines.open_deadlines(self, "mediation")
            event.due_at = mediation[0].due_at if mediation else None
            self.concluded_at = at
            deadlines.meet(self, "mediation", at)
        if "agree" in tags:
            self.agreements.append(PlannedAgreement(payload["form"], payload["terms"], payload["amount"],
                                                    payload["performance_due"], at))
            event.amount = payload["amount"]
            if payload["form"] == "written":
                self._open("confirmation", at + timedelta(days=CONFIRMATION_DAYS), at)
            self._open_follow_up(at, payload["performance_due"], policy, calendar)
        if "request_confirmation" in tags:
            agreement = self.agreement
            agreement.confirmation, agreement.confirmation_requested_at = "requested", at
            agreement.confirmation_court = payload["court"]
            deadlines.meet(self, "confirmation", at)
        if "record_confirmation" in tags:
            agreement = self.agreement
            agreement.confirmation, agreement.confirmation_decided_at = payload["result"], at
            event.result = payload["result"]
        if "follow_up" in tags:
            self.follow_ups.append(PlannedFollowUp(payload["performance"], payload["method"], payload["notes"], at,
                                                   actor.id if actor else None))
            deadlines.meet(self, "follow_up", at)
            event.result = payload["performance"]
        if "reopen" in tags:
            deadlines.cancel(self, at, "follow_up")
            deadlines.cancel(self, at, "confirmation")
            self.concluded_at = None
            self._new_mediation_term(at, policy, calendar)
        if transition.trigger == "fail":
            event.result = payload["referral"]
        if transition.trigger == "close":
            event.result = self.follow_ups[-1].performance if self.follow_ups else None
        if "finish" in tags:
            self.closed_at = at
            self._end_assignments(at)
            deadlines.cancel(self, at)

    def record_session(self, actor: Optional[Any], held_at: datetime, mode: str, location: str, notes: str) -> None:
        """调解记录, as `record_session(…, at=held_at)` stores it: only while in mediation."""
        if self.state != "in_mediation":
            raise InvalidTransition("sessions can only be recorded while in mediation", state=self.state)
        if mode not in SESSION_MODES:
            raise ValidationError({"mode": ["unknown"]})
        self.sessions.append(PlannedSession(held_at, mode, location, notes, actor.id if actor else None, held_at))
        self.version += 1
        self.steps.append(Step("session", actor, held_at,
                               data={"held_at": held_at, "mode": mode, "location": location, "notes": notes}))

    def record_prevention(self, actor: Optional[Any], at: datetime, kind: str, people: int) -> None:
        """防止民转刑 …, as `record_prevention(…, at=at)` stores it (the handling org at that moment)."""
        if kind not in PREVENTION_KINDS or people < 1:
            raise ValidationError({"kind": ["unknown"]})
        self.preventions.append(PlannedPrevention(kind, people, self.committee.org_id, at,
                                                  actor.id if actor else None))
        self.version += 1
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
