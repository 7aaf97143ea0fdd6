"""Every Fengqiao figure against a plain, independent recomputation in Python.

Hypothesis builds random histories through the service layer (registration, triggers with
back-dated occurred_at over several weeks, escalations between levels, and the records of issue
15: sessions, prevention records and their withdrawals, edits, reveals); the reference below
replays each dispute's events itself — handling committee from the escalation payloads, mediation
deadlines from the policy (30 calendar days) and the extensions' days — and never reads the facts
the SQL aggregates use (event.org_id, event.due_at, event.amount, event.people …). `prevented` is
recomputed from the prevention rows (not withdrawn), each of which must have its event behind it:
no figure counts anything the trail does not show, and access records count nowhere.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mediation.common.clock import LOCAL, local_midnight, period_bounds
from mediation.common.errors import DomainError
from mediation.disputes import cases, trail, triggers
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import Committee, Deadline, Dispute, Event, OrgUnit, PreventionRecord, User
from mediation.models.enums import DISPUTE_TYPES, PREVENTION_KINDS, SOURCES
from mediation.orgs import users
from mediation.reports import statistics
from tests.factories import PASSWORD, make_world, uniq

MEDIATION_DAYS = timedelta(days=30)  # the default policy, calendar days
COMMITTEES = ("cv1", "cv2", "cv3", "ct1", "cco", "cmed")
SCOPES = ("city", "county", "t1", "t2", "v1", "v2", "v3")
# records anywhere (a refused one changes nothing); preventions and their withdrawals weighted up so
# that a withdrawal inside a counted period happens within the examples
RECORDS = ("prevention", "prevention", "retract", "retract", "edit", "reveal")
OPTIONS = {
    "registered": ("accept", "accept", "reject", "withdraw", *RECORDS, "stop"),
    "accepted": ("assign", "assign", "escalate", "withdraw", *RECORDS, "stop"),
    "assigned": ("start_mediation", "start_mediation", "escalate", "withdraw", *RECORDS, "stop"),
    "in_mediation": ("reach_agreement", "reach_agreement", "fail", "withdraw", "extend", "escalate", "prevention",
                     "session", *RECORDS, "stop"),
    "agreed": ("start_follow_up", "start_follow_up", "request_confirmation", "record_confirmation", *RECORDS,
               "stop"),
    "follow_up": ("record_follow_up", "record_follow_up", "close", "close", "reopen", "request_confirmation",
                  "record_confirmation", *RECORDS, "stop"),
}
PAPER = "补录纸质卷宗"


# -- building histories through the services ---------------------------------------------------
def _payload(data, dispute: Dispute, trigger: str, world, when: datetime) -> dict | None:
    if trigger == "reject":
        return {"reason_code": data.draw(st.sampled_from(["party_refused", "out_of_scope", "other"])), "reason": "不予受理"}
    if trigger == "withdraw":
        return {"reason": "撤回"}
    if trigger == "fail":
        return {"reason": "未达成", "referral": data.draw(st.sampled_from(["litigation", "none"]))}
    if trigger == "extend":
        return {"days": data.draw(st.integers(1, 30)), "parties_consent": True, "reason": "同意延长"}
    if trigger == "reach_agreement":
        cents = data.draw(st.integers(0, 10**9))
        due = None
        if data.draw(st.booleans()):
            due = (when.astimezone(LOCAL).date() + timedelta(days=data.draw(st.integers(0, 20)))).isoformat()
        return {"form": data.draw(st.sampled_from(["written", "oral"])), "terms": "协议", "amount":
                str(Decimal(cents) / 100), "performance_due": due}
    if trigger == "record_confirmation":
        return {"result": data.draw(st.sampled_from(["confirmed", "denied"]))}
    if trigger == "request_confirmation":
        return {}
    if trigger == "record_follow_up":
        return {"performance": data.draw(st.sampled_from(["full", "partial", "none"])), "method": "visit",
                "notes": ""}
    if trigger == "reopen":
        return {"reason": "未履行"}
    if trigger == "assign":
        names = list(db.session.scalars(select(User.username).where(User.committee_id == dispute.committee_id,
                                                                    User.role == "mediator")))
        return {"mediators": names[:1]} if names else None
    if trigger == "escalate":
        here = dispute.committee.org
        targets = sorted(c.code for c in world.committees.values()
                         if c.org.path != here.path and here.path.startswith(c.org.path))
        return {"committee": data.draw(st.sampled_from(targets)), "reason": "上交"} if targets else None
    return {}


def build_history(data, world, base: datetime, limit: datetime, now: datetime) -> None:
    for _ in range(data.draw(st.integers(1, 6), label="disputes")):
        committee = world.committees[data.draw(st.sampled_from(COMMITTEES))]
        when = base + timedelta(hours=data.draw(st.integers(0, 24 * 28)))
        dispute = cases.register_dispute({
            "committee": committee.code, "dispute_type": data.draw(st.sampled_from(sorted(DISPUTE_TYPES))),
            "source": data.draw(st.sampled_from(sorted(SOURCES))), "summary": "纠纷",
            "received_at": when.isoformat(),
            "parties": [{"role": "applicant", "kind": "person", "name": "甲"},
                        {"role": "respondent", "kind": "person", "name": "乙"}]}, at=now)
        for _ in range(data.draw(st.integers(0, 12), label="steps")):
            when = when + timedelta(hours=data.draw(st.integers(1, 24 * 7)))
            if when > limit or dispute.state in ("closed", "rejected"):
                break
            trigger = data.draw(st.sampled_from(OPTIONS[dispute.state]))
            if trigger == "stop":
                break
            if trigger in (*RECORDS, "session"):
                try:
                    _record(data, dispute, trigger, when, now)
                except DomainError:  # refused (e.g. a prevention after the conclusion): nothing changed
                    pass
                dispute = db.session.get(Dispute, dispute.id)
                continue
            payload = _payload(data, dispute, trigger, world, when)
            if payload is None:
                continue
            try:
                dispute = triggers.fire_trigger(dispute.id, trigger, version=dispute.version, occurred_at=when,
                                                   payload={**payload, "backdate_reason": PAPER}, at=now)
            except DomainError:  # a guard said no (e.g. a second extension): nothing changed
                dispute = db.session.get(Dispute, dispute.id)


def _record(data, dispute: Dispute, what: str, when: datetime, now: datetime) -> None:
    """One record through the services: dated `when` and entered now (edits: entered when dated;
    reveals: at now, after everything, and constraining nothing)."""
    if what == "prevention":
        people = data.draw(st.sampled_from([1, 3, 50, 51, 100000]))  # beyond 50 (the policy's bound): refused
        cases.record_prevention(dispute.id, {"kind": data.draw(st.sampled_from(sorted(PREVENTION_KINDS))),
                                             "people": people, "occurred_at": when, "backdate_reason": PAPER},
                                at=now)
    elif what == "retract":
        kept = [p for p in dispute.preventions if p.withdrawn_at is None]
        if kept:
            cases.withdraw_prevention(dispute.id, data.draw(st.sampled_from(kept)).id, {"reason": "录错"}, at=now)
    elif what == "session":
        cases.record_session(dispute.id, {"mode": "phone", "held_at": when, "backdate_reason": PAPER}, at=now)
    elif what == "edit":
        cases.update_dispute(dispute.id, {"version": dispute.version, "summary": f"摘要{data.draw(st.integers(0, 9))}",
                                          "amount": str(data.draw(st.integers(0, 999)))}, at=when)
    else:
        with unit_of_work() as session:
            trail.record_access(session, db.session.get(Dispute, dispute.id), None, "reveal", now, party_id=0)


# -- the independent reference --------------------------------------------------------------------
class Reference:
    """Replays each dispute of the world in Python."""

    def __init__(self, world, now: datetime) -> None:
        self.now = now  # a period that ends in the future is computed as of now
        org_ids = [o.id for o in world.orgs.values()]
        self.orgs = {o.id: o for o in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(org_ids)))}
        self.committees = {c.id: c for c in db.session.scalars(select(Committee).where(Committee.org_id.in_(org_ids)))}
        self.by_code = {c.code: c for c in self.committees.values()}
        self.disputes = list(db.session.scalars(select(Dispute).where(Dispute.intake_org_id.in_(org_ids))))
        ids = [d.id for d in self.disputes]
        self.events = defaultdict(list)
        for e in db.session.scalars(select(Event).where(Event.dispute_id.in_(ids))):
            self.events[e.dispute_id].append(e)
        for evs in self.events.values():
            evs.sort(key=lambda e: (e.occurred_at, e.id))
        self.deadlines = defaultdict(list)
        for d in db.session.scalars(select(Deadline).where(Deadline.dispute_id.in_(ids)).order_by(Deadline.id)):
            self.deadlines[d.dispute_id].append(d)
        self.preventions = list(db.session.scalars(select(PreventionRecord)
                                                   .where(PreventionRecord.dispute_id.in_(ids))))
        self.check_every_prevention_has_its_event()

    def check_every_prevention_has_its_event(self) -> None:
        """The trail stands behind each prevention row: its record (kind, people, dated as it is), and
        for a withdrawn one the correction; no other prevention event exists."""
        wanted = []
        for p in self.preventions:
            wanted.append(("record_prevention", p.dispute_id, p.kind, p.people, p.occurred_at))
            if p.withdrawn_at is not None:
                wanted.append(("withdraw_prevention", p.dispute_id, p.kind, -p.people, p.occurred_at))
        found = [(e.trigger, e.dispute_id, e.result, e.people, e.occurred_at) for evs in self.events.values()
                 for e in evs if e.trigger in ("record_prevention", "withdraw_prevention")]
        assert sorted(found, key=repr) == sorted(wanted, key=repr)

    def committee_at(self, dispute_id: int, moment: datetime) -> Committee:
        """The handling committee at `moment`: the register event's, moved by the escalations up to it."""
        events = self.events[dispute_id]
        committee = self.committees[events[0].committee_id]
        for e in events:
            if e.trigger == "escalate" and e.occurred_at <= moment:
                committee = self.by_code[e.payload["to_committee"]]
        return committee

    def figures(self, scope: OrgUnit, lo: datetime, hi: datetime) -> dict:
        def inside(org_id: int) -> bool:
            return self.orgs[org_id].path.startswith(scope.path)

        n = defaultdict(int)
        cents, by_type, by_source = Decimal(0), defaultdict(int), defaultdict(int)
        for d in self.disputes:
            if lo <= d.received_at < hi and inside(d.intake_org_id):
                n["received"] += 1
                by_type[d.dispute_type] += 1
                by_source[d.source] += 1
            events = self.events[d.id]
            committee = self.committees[events[0].committee_id]  # the register event's committee
            due, performance = None, None
            for e in events:
                org = committee.org
                counted = lo <= e.occurred_at < hi and inside(org.id)
                if counted:
                    n[e.trigger] += 1
                    if e.trigger in ("reach_agreement", "fail", "withdraw"):
                        n["concluded"] += 1
                        n["on_time"] += due is None or e.occurred_at <= due
                        n["local"] += org.level in ("village", "township")
                    if e.trigger == "reach_agreement":
                        cents += Decimal(e.payload["amount"])
                    if e.trigger == "record_confirmation" and e.payload["result"] == "confirmed":
                        n["confirmed"] += 1
                    if e.trigger == "close" and performance == "full":
                        n["full"] += 1
                if e.trigger in ("accept", "reopen"):
                    due = e.occurred_at + MEDIATION_DAYS
                elif e.trigger == "escalate":
                    committee = self.by_code[e.payload["to_committee"]]
                    due = e.occurred_at + MEDIATION_DAYS
                elif e.trigger == "extend":
                    due = due + timedelta(days=e.payload["days"])
                elif e.trigger in ("reach_agreement", "fail", "withdraw"):
                    due = None
                elif e.trigger == "record_follow_up":
                    performance = e.payload["performance"]
        prevented = {k: {"cases": set(), "people": 0} for k in PREVENTION_KINDS}
        for p in self.preventions:
            if p.withdrawn_at is None and lo <= p.occurred_at < hi and inside(self.committee_at(p.dispute_id,
                                                                                                p.occurred_at).org_id):
                prevented[p.kind]["cases"].add(p.dispute_id)
                prevented[p.kind]["people"] += p.people

        def ratio(a: int, b: int):
            return None if b == 0 else a / b

        return {
            "received": n["received"], "accepted": n["accept"], "rejected": n["reject"],
            "concluded": n["concluded"], "agreements": n["reach_agreement"], "failed": n["fail"],
            "withdrawn": n["withdraw"], "success_rate": ratio(n["reach_agreement"], n["concluded"]),
            "on_time_rate": ratio(n["on_time"], n["concluded"]), "amount_total": f"{cents:.2f}",
            "local_resolution_rate": ratio(n["local"], n["concluded"]), "escalated": n["escalate"],
            "confirmations": n["confirmed"], "performance_rate": ratio(n["full"], n["close"]),
            "overdue_open": self.overdue(scope, min(hi, self.now)),
            "by_type": {k: by_type[k] for k in DISPUTE_TYPES}, "by_source": {k: by_source[k] for k in SOURCES},
            "prevented": {k: {"cases": len(v["cases"]), "people": v["people"]} for k, v in prevented.items()},
        }

    def overdue(self, scope: OrgUnit, end: datetime) -> int:
        """Deadlines open and past due at `end`: each paired with the event that opened it."""
        opens = {"acceptance": ("register",), "mediation": ("accept", "escalate", "reopen"),
                 "follow_up": ("reach_agreement",)}
        count = 0
        for d in self.disputes:
            events = self.events[d.id]
            committee = self.committees[events[0].committee_id]
            for e in events:
                if e.trigger == "escalate" and e.occurred_at < end:
                    committee = self.by_code[e.payload["to_committee"]]
            if not committee.org.path.startswith(scope.path):
                continue
            for kind, opening in opens.items():
                openers = [e for e in events if e.trigger in opening]
                rows = [x for x in self.deadlines[d.id] if x.kind == kind]
                assert len(openers) == len(rows), (kind, openers, rows)
                for opener, row in zip(openers, rows, strict=True):
                    if opener.occurred_at >= end:
                        continue
                    if (row.met_at is not None and row.met_at < end) or (
                            row.cancelled_at is not None and row.cancelled_at < end):
                        continue
                    due = row.due_at
                    if kind == "mediation":
                        later = events[events.index(opener) + 1:]
                        due = opener.occurred_at + MEDIATION_DAYS + timedelta(
                            days=sum(e.payload["days"] for e in later if e.trigger == "extend" and e.occurred_at < end))
                    count += due < end
        return count


def _weeks(first: date, last: date) -> list[tuple[date, date]]:
    monday = first - timedelta(days=first.weekday())
    out = []
    while monday <= last:
        out.append((monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return out


def _same(got: dict, want: dict, context: str) -> None:
    for key, expected in want.items():
        actual = got[key]
        if key.endswith("_rate"):
            assert (actual is None) == (expected is None), (context, key, actual, expected)
            if expected is not None:
                assert abs(actual - expected) <= 0.00005, (context, key, actual, expected)
        else:
            assert actual == expected, (context, key, actual, expected)


@settings(max_examples=12, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_every_figure_matches_a_plain_recomputation(db, data):
    world = make_world()
    name = uniq("mmed")
    users.create_user(name, PASSWORD, "mediator", display_name="医调员", committee=world.cmed.code)
    now = datetime.now(UTC)
    today = now.astimezone(LOCAL).date()
    base = local_midnight(today - timedelta(days=35))
    build_history(data, world, base, now - timedelta(hours=1), now)
    reference = Reference(world, now)
    periods = _weeks(today - timedelta(days=35), today) + [(today - timedelta(days=35), today),
                                                          (today - timedelta(days=17), today - timedelta(days=15))]
    for key in SCOPES:
        scope = world.orgs[key]
        for first, last in periods:
            got = statistics.compute(scope, first, last, at=now)
            lo, hi = period_bounds(first, last)
            _same(got, reference.figures(scope, lo, hi), f"{key} {first}..{last}")
