"""The demo's org tree, committees and staff: created through the services, or reused when present.

Running the demo twice reuses what the first run made (matched by code and username); a code or
username that exists but means something else (another level, parent, org or role) is refused
with a clear error rather than bent to fit. The world is then read back as plain records (the
attributes the services read off orgs, committees and users), so telling the stories touches no
database and can run in forked worker processes.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from demo.casefile import Lookup
from demo.city.places import DEMO_PASSWORD, EMAIL_DOMAIN, NAMED_USERS, POLICIES, CommitteeSpec, jurisdiction
from demo.city.text import person_name
from mediation.common.errors import Conflict
from mediation.disputes.policy import effective_policy, set_policy
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import Committee, OrgPolicy, OrgUnit, User
from mediation.orgs import tree as org_service


@dataclass(frozen=True, slots=True)
class PlainOrg:
    """An org as the services read it (`ancestor_ids`: root first, itself last)."""

    id: int
    code: str
    name: str
    level: str
    ancestor_ids: list[int]


@dataclass(frozen=True, slots=True)
class PlainCommittee:
    id: int
    code: str
    name: str
    kind: str
    active: bool
    org_id: int
    org: PlainOrg


@dataclass(frozen=True, slots=True)
class PlainUser:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    org_id: Optional[int]
    committee_id: Optional[int]
    email: Optional[str]


@dataclass
class DemoCommittee:
    """A committee with what the story generator needs: its mediators, its weight, where to escalate."""

    row: PlainCommittee
    spec: CommitteeSpec
    level: str
    mediators: list[PlainUser] = field(default_factory=list)
    higher: list[PlainCommittee] = field(default_factory=list)  # people's committees above, nearest first
    county_professional: dict[str, PlainCommittee] = field(default_factory=dict)  # dispute type → committee


@dataclass
class DemoWorld:
    committees: list[DemoCommittee]
    by_code: dict[str, DemoCommittee]
    lookup: Lookup
    supervisors: dict[int, list[PlainUser]]  # org id → active supervisors there, by id
    town_of: dict[int, str]  # org id → township (or the org's own) name, for texts
    county_of: dict[int, str]  # org id → county code
    mediator_names: set[str]


def _office_initials() -> dict[str, str]:
    """Org code → the committee-code initials of the people's committee there (LX, LX-CG, …)."""
    spec = jurisdiction()
    return {c.org: c.code for c in spec.committees if c.kind == "people"}


def _ensure_org(existing: dict[str, OrgUnit], code: str, name: str, level: str, parent: Optional[str]) -> OrgUnit:
    org = existing.get(code)
    if org is None:
        return org_service.create_org(code, name, level, parent)
    parent_code = org.parent.code if org.parent is not None else None
    if org.level != level or parent_code != parent:
        raise Conflict(f"org code {code!r} exists as a {org.level} under {parent_code!r}; the demo needs a {level} "
                       f"under {parent!r}. Seed the demo into an empty database.", field="code")
    return org


def _ensure_committee(existing: dict[str, Committee], spec: CommitteeSpec) -> Committee:
    committee = existing.get(spec.code)
    if committee is None:
        return org_service.create_committee(spec.code, spec.name, spec.org, spec.kind, spec.specialties)
    if committee.org.code != spec.org:
        raise Conflict(f"committee code {spec.code!r} exists at org {committee.org.code!r}; the demo needs it at "
                       f"{spec.org!r}. Seed the demo into an empty database.", field="code")
    return committee


def _staff_plan() -> list[tuple[str, str, str, Optional[str], Optional[str]]]:
    """Every demo account: (username, display name, role, org code, committee code)."""
    spec = jurisdiction()
    rng = random.Random("江澄市 demo staff")  # the same staff every time, whatever the case seed
    initials = _office_initials()
    named_by_committee: dict[str, list[tuple[str, str]]] = {}
    plan: list[tuple[str, str, str, Optional[str], Optional[str]]] = []
    taken = {display for _, display, *_ in NAMED_USERS}
    for username, display, role, where, _ in NAMED_USERS:
        if role == "mediator":
            named_by_committee.setdefault(where, []).append((username, display))
        else:
            plan.append((username, display, role, where, None))

    def fresh_name() -> str:
        while True:
            name = person_name(rng)
            if name not in taken:
                taken.add(name)
                return name

    for org in spec.orgs:
        if org.level in ("city", "county", "township"):
            suffix = "sfs" if org.level == "township" else "sfj"  # 司法所 / 司法局
            username = f"{initials[org.code].lower()}.{suffix}"
            plan.append((username, fresh_name(), "supervisor", org.code, None))
    for committee in spec.committees:
        named = named_by_committee.get(committee.code, [])
        for username, display in named:
            plan.append((username, display, "mediator", None, committee.code))
        for i in range(1, committee.mediators - len(named) + 1):
            plan.append((f"{committee.code.lower()}.{i}", fresh_name(), "mediator", None, committee.code))
    return plan


def _ensure_users(at: datetime) -> None:
    """Creates the demo accounts that are missing, all with the demo password (hashed once)."""
    plan = _staff_plan()
    existing = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_([p[0] for p in plan])))}
    orgs = {o.code: o for o in db.session.scalars(select(OrgUnit))}
    committees = {c.code: c for c in db.session.scalars(select(Committee))}
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    password_hash = None
    for username, display, role, org_code, committee_code in plan:
        user = existing.get(username)
        if user is not None:
            where = user.committee.code if user.committee is not None else (user.org.code if user.org else None)
            if user.role != role or where != (committee_code or org_code):
                raise Conflict(f"username {username!r} exists as a {user.role} of {where!r}; the demo needs a "
                               f"{role} of {committee_code or org_code!r}. Seed the demo into an empty database.",
                               field="username")
            continue
        password_hash = password_hash or generate_password_hash(DEMO_PASSWORD, method=method)
        committee = committees.get(committee_code) if committee_code else None
        org = committee.org if committee is not None else (orgs[org_code] if org_code else None)
        db.session.add(User(username=username, password_hash=password_hash, display_name=display,
                            email=f"{username}@{EMAIL_DOMAIN}", role=role, org_id=org.id if org else None,
                            committee_id=committee.id if committee else None, locale="zh", active=True,
                            created_at=at))
    db.session.flush()


def ensure_world(at: datetime) -> DemoWorld:
    """The demo jurisdiction, made or reused, loaded for the story generator (one transaction)."""
    spec = jurisdiction()
    with unit_of_work():
        orgs = {o.code: o for o in db.session.scalars(
            select(OrgUnit).where(OrgUnit.code.in_([o.code for o in spec.orgs])))}
        committees = {c.code: c for c in db.session.scalars(
            select(Committee).where(Committee.code.in_([c.code for c in spec.committees])))}
        fresh = spec.orgs[0].code not in orgs
        for org in spec.orgs:
            _ensure_org(orgs, org.code, org.name, org.level, org.parent)
        for committee in spec.committees:
            _ensure_committee(committees, committee)
        if fresh:
            for code, values in POLICIES.items():
                org = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
                if db.session.get(OrgPolicy, org.id) is None:
                    set_policy(org, values)
        _ensure_users(at)
    return load_world()


def _plain_user(u: User) -> PlainUser:
    return PlainUser(u.id, u.username, u.display_name, u.role, u.active, u.org_id, u.committee_id, u.email)


def load_world() -> DemoWorld:
    """Reads the demo jurisdiction back as plain records (committees with their org, staff, policies)."""
    spec = jurisdiction()
    org_rows = {o.code: o for o in db.session.scalars(select(OrgUnit).where(
        OrgUnit.code.in_([o.code for o in spec.orgs])))}
    plain_orgs = {code: PlainOrg(o.id, o.code, o.name, o.level, o.ancestor_ids) for code, o in org_rows.items()}
    committee_rows = list(db.session.scalars(select(Committee).where(
        Committee.code.in_([c.code for c in spec.committees]))))
    rows = {c.code: PlainCommittee(c.id, c.code, c.name, c.kind, c.active, c.org_id, plain_orgs[c.org.code])
            for c in committee_rows}
    by_org: dict[int, dict] = {}
    for c in committee_rows:  # the policy in force at each committee's org, read once
        if c.org_id not in by_org:
            by_org[c.org_id] = effective_policy(c.org)
    policies = {c.id: by_org[c.org_id] for c in committee_rows}
    people_at = {c.org: rows[c.code] for c in spec.committees if c.kind == "people"}
    professional: dict[str, dict[str, PlainCommittee]] = {}
    for c in spec.committees:
        if c.kind == "professional":
            for dispute_type in c.specialties:
                professional.setdefault(c.org, {})[dispute_type] = rows[c.code]
    parent_of = {o.code: o.parent for o in spec.orgs}
    county_of: dict[int, str] = {}
    town_of: dict[int, str] = {}
    for o in spec.orgs:
        chain = [o.code]
        while parent_of[chain[-1]] is not None:
            chain.append(parent_of[chain[-1]])
        county = next((c for c in chain if org_rows[c].level == "county"), chain[0])
        county_of[org_rows[o.code].id] = county
        town = next((c for c in chain if org_rows[c].level == "township"), o.code)
        town_of[org_rows[o.code].id] = org_rows[town].name
    users = [_plain_user(u) for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))]
    mediators: dict[int, list[PlainUser]] = {}
    supervisors: dict[int, list[PlainUser]] = {}
    for user in users:
        if user.role == "mediator" and user.committee_id is not None:
            mediators.setdefault(user.committee_id, []).append(user)
        elif user.role == "supervisor" and user.org_id is not None:
            supervisors.setdefault(user.org_id, []).append(user)
    named = [u for u, _, role, *_ in NAMED_USERS if role == "mediator"]
    committees: list[DemoCommittee] = []
    for c in spec.committees:
        row = rows[c.code]
        if not row.active:  # a committee an administrator has closed takes no new disputes
            continue
        staff = sorted(mediators.get(row.id, []), key=lambda u: (u.username not in named, u.id))  # named lead most
        if not staff:
            raise Conflict(f"committee {c.code!r} has no active mediator; the demo cannot assign its cases")
        higher = []
        above = parent_of[c.org] if c.kind == "people" else c.org
        while above is not None:
            if above != c.org and above in people_at and people_at[above].active:
                higher.append(people_at[above])
            above = parent_of[above]
        committees.append(DemoCommittee(row=row, spec=c, level=row.org.level, mediators=staff, higher=higher,
                                        county_professional={t: p for t, p in professional.get(
                                            county_of[row.org_id], {}).items() if p.active}))
    lookup = Lookup({u.username: u for u in users if u.role == "mediator"}, rows, policies)
    return DemoWorld(committees=committees, by_code={c.spec.code: c for c in committees}, lookup=lookup,
                     supervisors=supervisors, town_of=town_of, county_of=county_of,
                     mediator_names={u.display_name for u in users if u.role == "mediator"})
