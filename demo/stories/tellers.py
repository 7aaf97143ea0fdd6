"""What happens to each demo dispute: drawn at random (or scripted), then lived step by step.

A `Fate` is drawn for each dispute before it is lived: acceptance or not, escalations, extension,
outcome, agreement form, judicial confirmation, follow-up performance, reopening, prevention, and
whether the case is left untouched at some point (so some deadlines are overdue today). `Teller`
lives it on a `CaseFile` with realistic timing in office hours (Asia/Shanghai), stopping at the
horizon ("now"): a dispute received last week is still in mediation, one from last spring is
closed. Every step goes through the case file, i.e. through the services' own rules.
"""
from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Optional

from demo.casefile import CaseFile
from demo.city import text as words
from demo.city.world import DemoCommittee, DemoWorld
from mediation.common.clock import local_date
from mediation.models import User

DAY = timedelta(days=1)

# Intake mix of general (people's) committees, after the national statistics' proportions.
GENERAL_TYPES = {"neighbourhood": 24, "marriage_family": 18, "housing_land": 9, "contract": 8, "damages": 8,
                 "land_forest": 5, "production": 4, "labour": 5, "property_mgmt": 4, "consumer": 3, "traffic": 3,
                 "expropriation": 2, "environment": 2, "medical": 1, "other": 4}
URBAN_TYPES = {**GENERAL_TYPES, "land_forest": 1, "property_mgmt": 12, "consumer": 7, "housing_land": 5}
SOURCES_BY_TYPE: dict[str, dict[str, float]] = {
    "traffic": {"referral_police": 45, "referral_court": 25, "walk_in": 25, "online": 5},
    "medical": {"walk_in": 50, "referral_government": 25, "referral_petition": 10, "referral_court": 10, "online": 5},
    "labour": {"walk_in": 45, "referral_government": 30, "referral_petition": 10, "screening": 10, "online": 5},
    "damages": {"walk_in": 40, "referral_police": 35, "referral_court": 10, "screening": 10, "online": 5},
    "expropriation": {"screening": 35, "referral_government": 30, "referral_petition": 25, "walk_in": 10},
    "contract": {"walk_in": 45, "referral_court": 35, "online": 15, "other": 5},
}
DEFAULT_SOURCES = {"walk_in": 46, "screening": 20, "referral_court": 8, "referral_police": 6,
                   "referral_petition": 5, "referral_government": 6, "online": 8, "other": 1}
RISKY_TYPES = ("expropriation", "labour", "medical", "environment", "land_forest", "marriage_family")
SUCCESS = {"medical": 0.82, "expropriation": 0.8, "labour": 0.86, "environment": 0.84, "contract": 0.88}


class Choice:
    """A weighted choice among keys, its cumulative weights computed once (it is drawn ~20 times a dispute)."""

    def __init__(self, table: dict[str, float]) -> None:
        self.keys = list(table)
        self.cum = list(itertools.accumulate(table.values()))

    def __call__(self, rng: random.Random) -> str:
        return self.keys[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


GENERAL_CHOICE, URBAN_CHOICE = Choice(GENERAL_TYPES), Choice(URBAN_TYPES)
SOURCE_CHOICE = {t: Choice(table) for t, table in SOURCES_BY_TYPE.items()}
DEFAULT_SOURCE_CHOICE = Choice(DEFAULT_SOURCES)
RISK_RISKY = Choice({"none": 80, "yellow": 12, "orange": 5, "red": 3})
RISK_PLAIN = Choice({"none": 90, "yellow": 8, "orange": 1.6, "red": 0.4})
REJECT_CHOICE = Choice({"party_refused": 35, "out_of_scope": 30, "already_handled": 25, "other": 10})
ESCALATE_AT = Choice({"accepted": 10, "assigned": 15, "in_mediation": 75})
REFERRAL = Choice({"litigation": 60, "arbitration": 10, "administrative": 15, "none": 15})
REFERRAL_LABOUR = Choice({"litigation": 60, "arbitration": 40, "administrative": 15, "none": 15})
CONFIRMATION = Choice({"confirmed": 85, "denied": 10, "pending": 5})
PREVENTION = Choice({"civil_to_criminal": 60, "group_petition": 25, "suicide": 8, "group_fight": 7})
SESSION_MODE = Choice({"in_person": 75, "phone": 18, "video": 7})
FOLLOW_UP_METHOD = Choice({"visit": 50, "phone": 40, "video": 10})


class Stop(Exception):
    """The story ends here: the horizon is reached, or the case is left untouched from now on."""


@dataclass
class Fate:
    """What will happen to one dispute (drawn, or scripted for the showcase cases)."""

    decision: str = "accept"  # accept | reject | withdraw
    reject_reason: str = "out_of_scope"
    accept_late: bool = False
    escalations: int = 0
    escalate_at: str = "in_mediation"  # accepted | assigned | in_mediation
    escalate_to_professional: bool = False
    mediators: int = 1
    reassign: bool = False
    extend: bool = False
    late: bool = False
    sessions: int = 2
    conclusion: str = "agreement"  # agreement | fail | withdraw
    referral: str = "litigation"
    form: str = "written"
    with_due: bool = True
    confirmation: str = "none"  # none | pending | confirmed | denied
    performances: tuple[str, ...] = ("full",)
    reopen: bool = False
    after_reopen: str = "agreement"  # agreement | fail
    close_anyway: bool = False  # close after a follow-up that was not full
    prevention: Optional[str] = None
    stop_after: Optional[str] = None  # trigger after which the case is left untouched ("register": none fired)
    stop_count: int = 1  # … after its n-th firing


@dataclass
class Script:
    """A showcase case: fixed committee, type, age, risk and fate."""

    committee: str
    dispute_type: str
    days_ago: float
    fate: Fate
    risk: str = "none"
    source: Optional[str] = None


@dataclass
class Header:
    """One dispute to tell: where and when it is received, then what it is and what will happen to it."""

    committee: DemoCommittee
    received_at: datetime
    script: Optional[Script] = None
    dispute_type: str = ""
    source: str = ""
    risk: str = "none"
    fate: Optional[Fate] = None
    seq: int = 0  # its number in the committee's year (gap-free), given before it is told
    dispute_id: int = 0  # given before it is told, too


def office_time(rng: random.Random, moment: datetime, weekend_share: float = 0.15) -> datetime:
    """`moment`, moved forward into office hours (8:30–17:30 Asia/Shanghai), mostly on a weekday.

    Whole minutes, in UTC. Counted in seconds with the fixed +08:00 offset (Asia/Shanghai has had
    no daylight saving since 1991): this runs ten times per dispute.
    """
    local = int(moment.timestamp()) + _CST
    day, second = divmod(local, 86400)
    if second > _CLOSE:
        day, second = day + 1, -1
    elif second < _OPEN:
        second = -1
    while (day + 3) % 7 >= 5 and rng.random() > weekend_share:  # 1970-01-01 was a Thursday
        day, second = day + 1, -1
    if second < 0:
        second = _OPEN + 60 * rng.randrange(150)
    return datetime.fromtimestamp(day * 86400 + second - second % 60 + 60 - _CST, UTC)


_CST, _OPEN, _CLOSE = 8 * 3600, 8 * 3600 + 1800, 17 * 3600 + 1800


class Teller:
    """Draws fates and lives them on case files, never past the horizon."""

    def __init__(self, world: DemoWorld, rng: random.Random, horizon: datetime) -> None:
        self.world, self.rng, self.horizon = world, rng, horizon
        self.cum_weights = list(itertools.accumulate(c.spec.weight for c in world.committees))

    # -- drawing ---------------------------------------------------------------------------------
    def header(self, script: Optional[Script] = None) -> Header:
        """Where and when a dispute is received (all that numbering it needs): drawn, or from a script.

        What it is about and what will happen to it are drawn when it is told (`describe`), in the
        batch's own random stream, so that the main process only does this little part.
        """
        rng = self.rng
        if script is not None:
            committee = self.world.by_code[script.committee]
            received = office_time(rng, self.horizon - timedelta(days=script.days_ago))
            if received > self.horizon:
                received = self.horizon - timedelta(hours=2)
            return Header(committee, received, script=script)
        committee = rng.choices(self.world.committees, cum_weights=self.cum_weights)[0]
        while True:
            received = office_time(rng, self.horizon - timedelta(days=rng.uniform(0, 365)), weekend_share=0.08)
            if received <= self.horizon:
                return Header(committee, received)

    def describe(self, header: Header) -> None:
        """Draws the dispute's type, source, risk and fate (a script's are given)."""
        rng, committee, script = self.rng, header.committee, header.script
        if script is not None:
            header.dispute_type, header.risk, header.fate = script.dispute_type, script.risk, script.fate
            header.source = script.source or SOURCE_CHOICE.get(script.dispute_type, DEFAULT_SOURCE_CHOICE)(rng)
            return
        if committee.spec.specialties:
            dispute_type = rng.choice(committee.spec.specialties)
        else:
            urban = "社区" in committee.spec.name or "街道" in committee.spec.name
            dispute_type = (URBAN_CHOICE if urban else GENERAL_CHOICE)(rng)
        risky = dispute_type in RISKY_TYPES
        header.dispute_type = dispute_type
        header.source = SOURCE_CHOICE.get(dispute_type, DEFAULT_SOURCE_CHOICE)(rng)
        header.risk = (RISK_RISKY if risky else RISK_PLAIN)(rng)
        header.fate = self.fate(committee, dispute_type, header.risk, header.received_at)

    def fate(self, committee: DemoCommittee, dispute_type: str, risk: str, received: datetime) -> Fate:
        rng = self.rng
        f = Fate()
        roll = rng.random()
        if roll < 0.03:
            f.decision = "reject"
            f.reject_reason = REJECT_CHOICE(rng)
        elif roll < 0.04:
            f.decision = "withdraw"
        f.accept_late = rng.random() < 0.04
        if committee.higher and committee.level in ("village", "township"):
            share = 0.07 if committee.level == "village" else 0.04
            if risk in ("orange", "red"):
                share *= 4
            if rng.random() < share:
                f.escalations = 2 if committee.level == "village" and rng.random() < 0.15 else 1
                f.escalate_at = ESCALATE_AT(rng)
                f.escalate_to_professional = (dispute_type in committee.county_professional and rng.random() < 0.5)
        f.mediators = 2 if rng.random() < 0.3 else 1
        f.reassign = rng.random() < 0.025
        f.extend = rng.random() < 0.06
        f.late = rng.random() < 0.05
        f.sessions = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
        success = SUCCESS.get(dispute_type, 0.94)
        roll = rng.random()
        f.conclusion = "agreement" if roll < success else ("fail" if roll < success + (1 - success) * 0.65
                                                           else "withdraw")
        f.referral = (REFERRAL_LABOUR if dispute_type == "labour" else REFERRAL)(rng)
        small = dispute_type in ("neighbourhood", "marriage_family")
        f.form = "oral" if rng.random() < (0.45 if small else 0.15) else "written"
        f.with_due = rng.random() < 0.6
        if f.form == "written":
            roll = rng.random()
            share = 0.35 if dispute_type in ("traffic", "medical", "labour", "contract") else 0.12
            f.confirmation = ("none" if roll > share else
                              CONFIRMATION(rng))
        roll = rng.random()
        if roll < 0.85:
            f.performances = ("full",)
        else:
            first = "partial" if rng.random() < 0.65 else "none"
            roll = rng.random()
            if roll < 0.4:
                f.performances, f.reopen = (first,), True
                f.after_reopen = "agreement" if rng.random() < 0.7 else "fail"
            elif roll < 0.8:
                f.performances = (first, "full" if rng.random() < 0.75 else "partial")
            else:
                f.performances, f.close_anyway = (first,), True
        if rng.random() < (0.25 if risk in ("orange", "red") else 0.02):
            f.prevention = PREVENTION(rng)
        recent = (self.horizon - received) < timedelta(days=120)
        if rng.random() < (0.1 if recent else 0.004):
            f.stop_after = rng.choice(("register", "accept", "assign", "start_mediation", "start_mediation",
                                       "reach_agreement", "start_follow_up"))
        return f

    # -- telling ----------------------------------------------------------------------------------
    def tell(self, header: Header) -> CaseFile:
        """Registers the dispute and lives its fate up to the horizon."""
        self.describe(header)
        story = _Story(self, header)
        try:
            story.run()
        except Stop:
            pass
        return story.case


class _Story:
    """One dispute's life."""

    def __init__(self, teller: Teller, header: Header) -> None:
        self.teller, self.rng, self.world = teller, teller.rng, teller.world
        self.header, self.fate = header, header.fate
        self.committee = header.committee
        self.fired: dict[str, int] = {}
        self.lead: Optional[User] = None
        self.parties, self.names = self._parties()
        self.case = CaseFile(self.world.lookup, self._registration(), self._desk_officer(self.committee),
                             header.received_at)
        self.t = self.case.received_at
        self.stopped = self.fate.stop_after == "register"

    # -- registration data -------------------------------------------------------------------
    def _place(self) -> tuple[str, str]:
        org = self.committee.row.org
        return org.name, self.world.town_of.get(org.id, org.name)

    def _parties(self) -> tuple[list[dict], dict[str, str]]:
        rng, templates = self.rng, words.ORGANISATIONS.get(self.header.dispute_type)
        village, town = self._place()
        county = self.world.county_of.get(self.committee.row.org_id)
        county_name = {"339921": "临溪县", "339902": "澄东区", "339923": "云岭县"}.get(county, "江澄市")

        def person(role: str) -> dict:
            while True:
                name = words.person_name(rng)
                if name not in self.world.mediator_names and name not in used:
                    break
            used.add(name)
            return {"role": role, "kind": "person", "name": name, "id_number": words.id_number(rng),
                    "phone": words.phone(rng),
                    "address": f"{county_name}{town}{village if village != town else ''}{rng.randint(1, 12)}组"
                               f"{rng.randint(1, 60)}号"}

        def organisation(role: str) -> dict:
            name = rng.choice(templates).format(
                place=village.removesuffix("社区").removesuffix("村"), county=county_name,
                town=town.removesuffix("街道").removesuffix("镇").removesuffix("乡"))
            return {"role": role, "kind": "organization", "name": name, "id_number": words.credit_code(rng),
                    "phone": f"0579-8{rng.randrange(10**6, 10**7)}", "address": f"{county_name}{town}"}

        used: set[str] = set()
        parties = [person("applicant")]
        if rng.random() < 0.12:
            parties.append(person("applicant"))
        parties.append(organisation("respondent") if templates and rng.random() < 0.75 else person("respondent"))
        if self.header.dispute_type == "traffic" and rng.random() < 0.6:
            parties.append({"role": "third_party", "kind": "organization", "name": rng.choice(words.INSURERS),
                            "id_number": words.credit_code(rng), "phone": "0579-86095518", "address": "江澄市"})
        elif rng.random() < 0.05:
            parties.append(person("third_party"))
        names = {"a": parties[0]["name"], "b": next(p["name"] for p in parties if p["role"] == "respondent")}
        return parties, names

    def _registration(self) -> dict:
        h, rng = self.header, self.rng
        amount = words.amount_for(rng, h.dispute_type)
        village, town = self._place()
        template = rng.choice(words.SUMMARIES.get(h.dispute_type, words.SUMMARIES["other"]))
        summary = template.format(**self.names, place=village, amount=f"{amount or 0:,.0f}", n=rng.randint(3, 40))
        self.amount = amount
        return {"committee": h.committee.row.code, "dispute_type": h.dispute_type, "source": h.source,
                "summary": summary, "amount": str(amount) if amount is not None else None, "risk_level": h.risk,
                "received_at": h.received_at, "parties": self.parties}

    def _desk_officer(self, committee: Optional[DemoCommittee] = None) -> User:
        """A mediator of the handling committee who acts before anyone is assigned."""
        staff = (committee or self.world.by_code[self.case.committee.code]).mediators
        return staff[0] if self.rng.random() < 0.7 or len(staff) == 1 else self.rng.choice(staff)

    # -- timing ------------------------------------------------------------------------------
    def at(self, days: float, not_before: Optional[datetime] = None) -> datetime:
        """The office-hours moment about `days` after the last step (never before it), or Stop."""
        base = max(self.t, not_before) if not_before else self.t
        moment = office_time(self.rng, base + timedelta(days=max(days, 0.0)))
        if moment > self.teller.horizon:
            raise Stop
        return moment

    def between(self, lo: float, hi: float, not_before: Optional[datetime] = None) -> datetime:
        return self.at(self.rng.uniform(lo, hi), not_before)

    # -- steps -------------------------------------------------------------------------------
    def fire(self, trigger: str, when: datetime, actor: Optional[User] = None, **payload: Any) -> None:
        if self.stopped:
            raise Stop
        self.case.fire(trigger, actor or self.lead or self._desk_officer(), when, payload)
        self.t = when
        self.fired[trigger] = self.fired.get(trigger, 0) + 1
        if self.fate.stop_after == trigger and self.fired[trigger] >= self.fate.stop_count:
            self.stopped = True
            raise Stop

    def session(self, when: datetime) -> None:
        if self.stopped:
            raise Stop
        village, town = self._place()
        mode = SESSION_MODE(self.rng)
        location = self.rng.choice(words.SESSION_PLACES).format(place=village, town=town) if mode == "in_person" \
            else ""
        self.case.record_session(self.lead, when, mode, location, self.rng.choice(words.SESSION_NOTES))
        self.t = when

    def prevention(self, when: datetime) -> None:
        kind = self.fate.prevention
        people = {"civil_to_criminal": (2, 6), "group_petition": (5, 40), "suicide": (1, 1),
                  "group_fight": (8, 40)}[kind]
        self.case.record_prevention(self.lead, when, kind, self.rng.randint(*people))
        self.t = when

    # -- the life ----------------------------------------------------------------------------
    def run(self) -> None:
        if self.stopped:
            raise Stop
        fate = self.fate
        if fate.decision == "withdraw":
            self.fire("withdraw", self.between(0.2, 3), reason=self.rng.choice(words.WITHDRAW_REASONS))
            return
        if fate.decision == "reject":
            self.fire("reject", self.between(0.1, 2.5), reason_code=fate.reject_reason,
                      reason=words.REJECT_REASONS[fate.reject_reason])
            return
        acceptance = self.case.open_deadline("acceptance").due_at
        when = self.between(0.3, 5, not_before=acceptance) if fate.accept_late else self.between(0, 2.4)
        self.fire("accept", when)
        self.mediate(escalations=fate.escalations)

    def _mediators(self, committee: DemoCommittee, count: int) -> list[User]:
        persons = {p["name"] for p in self.parties if p["kind"] == "person"}
        eligible = [u for u in committee.mediators if u.display_name not in persons]
        first = eligible[0] if self.rng.random() < 0.75 else self.rng.choice(eligible)
        others = [u for u in eligible if u is not first]
        return [first] + self.rng.sample(others, min(count - 1, len(others)))

    def mediate(self, escalations: int, reopened: bool = False) -> None:
        """One mediation term at the handling committee, from `accepted` (or `in_mediation` when reopened)."""
        fate, rng = self.fate, self.rng
        committee = self.world.by_code[self.case.committee.code]
        if not reopened:
            if escalations and fate.escalate_at == "accepted":
                return self.escalate(escalations, self.between(0.5, 4))
            team = self._mediators(committee, fate.mediators)
            self.lead = team[0]
            self.fire("assign", self.between(0, 2), mediators=[u.username for u in team])
            if escalations and fate.escalate_at == "assigned":
                return self.escalate(escalations, self.between(1, 6))
            self.fire("start_mediation", self.between(0, 3.5))
        start = self.t
        deadline = self.case.open_deadline("mediation").due_at
        policy = self.case.policy
        extension = 0
        if escalations:
            end = start + timedelta(days=rng.uniform(4, 16))
        elif fate.extend and not reopened and policy["max_extensions"] > self.case.extensions_used \
                and policy["max_extension_days"] >= 3:  # an org may allow none (its policy): then no extension
            extension = min(rng.randint(10, 30), policy["max_extension_days"])
            end = deadline + timedelta(days=rng.uniform(1, extension - 1))
        elif fate.late:
            end = deadline + timedelta(days=rng.uniform(0.5, 12))
        else:
            end = start + timedelta(days=min(rng.lognormvariate(2.2, 0.7), 26) + 0.2)
            end = min(end, deadline - timedelta(hours=20))
        end = max(end, start + timedelta(hours=3))
        span = (end - start).total_seconds()
        plan: list[tuple[datetime, str]] = []
        for _ in range(fate.sessions):
            plan.append((start + timedelta(seconds=rng.uniform(0.05, 0.95) * span), "session"))
        if fate.reassign and not reopened:
            plan.append((start + timedelta(seconds=rng.uniform(0.1, 0.6) * span), "reassign"))
        if extension:
            plan.append((max(start, deadline - timedelta(days=rng.uniform(1, 5))), "extend"))
        if fate.prevention and not escalations and not reopened:
            plan.append((start + timedelta(seconds=rng.uniform(0.3, 0.99) * span), "prevention"))
        for moment, what in sorted(plan, key=lambda item: item[0]):
            when = self.at(0, not_before=moment)
            if what == "session":
                self.session(when)
            elif what == "prevention":
                self.prevention(when)
            elif what == "reassign":
                team = self._mediators(committee, 1 + (len(self.case.active_assignments) > 1))
                if team[0] is self.lead and len(committee.mediators) > 1:
                    team = [u for u in committee.mediators if u is not self.lead][:1] or team
                self.fire("reassign", when, mediators=[u.username for u in team],
                          reason=rng.choice(words.REASSIGN_REASONS))
                self.lead = team[0]
            elif what == "extend":
                self.fire("extend", when, days=extension, parties_consent=True, reason=rng.choice(words.EXTEND_REASONS))
        when = self.at(0, not_before=end)
        if escalations:
            return self.escalate(escalations, when)
        outcome = fate.after_reopen if reopened else fate.conclusion
        if outcome == "fail":
            self.fire("fail", when, reason=rng.choice(words.FAIL_REASONS), referral=fate.referral)
        elif outcome == "withdraw":
            self.fire("withdraw", when, reason=rng.choice(words.WITHDRAW_REASONS))
        else:
            self.agree(when, reopened)

    def escalate(self, escalations: int, when: datetime) -> None:
        """上交: to the people's committee above, or the county's professional committee for the type."""
        committee = self.world.by_code[self.case.committee.code]
        target = committee.higher[0]
        professional = committee.county_professional.get(self.header.dispute_type)
        if self.fate.escalate_to_professional and professional is not None and escalations == 1:
            target = professional
        self.fire("escalate", when, committee=target.code, reason=self.rng.choice(words.ESCALATE_REASONS))
        self.lead = None  # assignments end; the new committee assigns its own mediators
        self.fate = replace(self.fate, escalate_at="in_mediation")
        self.mediate(escalations - 1)

    def agree(self, when: datetime, reopened: bool) -> None:
        fate, rng = self.fate, self.rng
        claimed = self.amount or Decimal(0)
        if claimed and rng.random() < 0.9:
            agreed = (claimed * Decimal(str(round(rng.uniform(0.4, 1.0), 2)))).quantize(Decimal("1"))
            agreed = agreed - agreed % 100 if agreed >= 1000 else agreed
            terms_table = words.TERMS
        else:
            agreed, terms_table = Decimal(0), words.TERMS_NO_MONEY
        due: Optional[date] = None
        if fate.with_due:
            due = local_date(when) + timedelta(days=rng.randint(5, 45))
        form = "written" if reopened else fate.form
        terms = rng.choice(terms_table).format(**self.names, amount=f"{agreed:,.0f}",
                                               due=f"{due:%Y年%m月%d日}" if due else "协议签订后十日内")
        self.fire("reach_agreement", when, form=form, terms=terms, amount=f"{agreed:.2f}",
                  performance_due=due.isoformat() if due else None)
        self.follow_up(reopened)

    def follow_up(self, reopened: bool) -> None:
        fate, rng = self.fate, self.rng
        agreed_at = self.t
        deadline = self.case.open_deadline("follow_up").due_at
        events: list[tuple[datetime, str]] = []
        visit = deadline - timedelta(days=rng.uniform(0.5, 12))
        if rng.random() < 0.06:
            visit = deadline + timedelta(days=rng.uniform(0.5, 10))
        visit = max(visit, agreed_at + timedelta(days=rng.uniform(1, 4)))
        events.append((agreed_at + (visit - agreed_at) * rng.uniform(0.1, 0.8), "start_follow_up"))
        events.append((visit, "record_follow_up"))
        confirmation = "none" if reopened else fate.confirmation
        if confirmation != "none":
            requested = agreed_at + timedelta(days=rng.uniform(1, 20))
            events.append((requested, "request_confirmation"))
            if confirmation != "pending":
                events.append((requested + timedelta(days=rng.uniform(4, 18)), "record_confirmation"))
        events.sort(key=lambda item: item[0])
        performances = ("full",) if reopened and fate.after_reopen == "agreement" else fate.performances
        for moment, what in events:
            when = self.at(0, not_before=moment)
            if what == "start_follow_up":
                self.fire("start_follow_up", when)
            elif what == "record_follow_up":
                self.visit(when, performances[0])
            elif what == "request_confirmation":
                county = self.world.county_of.get(self.case.committee.org_id, "339900")
                self.fire("request_confirmation", when, court=words.COURTS.get(county, words.COURTS["339900"]))
            else:
                self.fire("record_confirmation", when, result=confirmation)
        if performances[0] != "full" and fate.reopen and not reopened:
            self.fire("reopen", self.between(2, 10), reason=rng.choice(words.REOPEN_REASONS))
            return self.mediate(escalations=0, reopened=True)
        for performance in performances[1:]:
            self.visit(self.between(10, 30), performance)
        self.fire("close", self.between(0.1, 5))

    def visit(self, when: datetime, performance: str) -> None:
        method = FOLLOW_UP_METHOD(self.rng)
        self.fire("record_follow_up", when, performance=performance, method=method,
                  notes=self.rng.choice(words.FOLLOW_UP_NOTES[performance]))
