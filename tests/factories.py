"""Factory functions with sequences: make_world(), make_dispute(**overrides), drive(dispute, *triggers)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

from mediation.disputes import cases, triggers
from mediation.models import Committee, Dispute, OrgUnit, User
from mediation.orgs import tree, users

_seq = itertools.count(1)
PASSWORD = "S3cure-pass-word"
VALID_IDS = ["11010519491231002X", "330102198001010018", "110101199003074477"]


def uniq(prefix: str) -> str:
    return f"{prefix}{next(_seq):04d}"


@dataclass
class World:
    orgs: dict[str, OrgUnit] = field(default_factory=dict)
    committees: dict[str, Committee] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:  # world.m1, world.cv1, world.city …
        for bucket in ("users", "committees", "orgs"):
            found = self.__dict__.get(bucket, {}).get(name)
            if found is not None:
                return found
        raise AttributeError(name)


def make_world() -> World:
    """city > county > (t1 > v1, v2), (t2 > v3); committees cv1 cv2 cv3 ct1 cco cmed; users."""
    w = World()
    city = tree.create_org(uniq("CT"), "测试市", "city", None)
    county = tree.create_org(uniq("CO"), "测试县", "county", city.code)
    t1 = tree.create_org(uniq("TA"), "甲镇", "township", county.code)
    t2 = tree.create_org(uniq("TB"), "乙镇", "township", county.code)
    v1 = tree.create_org(uniq("VA"), "一村", "village", t1.code)
    v2 = tree.create_org(uniq("VB"), "二村", "village", t1.code)
    v3 = tree.create_org(uniq("VC"), "三村", "village", t2.code)
    w.orgs.update(city=city, county=county, t1=t1, t2=t2, v1=v1, v2=v2, v3=v3)
    for key, org in [("cv1", v1), ("cv2", v2), ("cv3", v3), ("ct1", t1), ("cco", county)]:
        w.committees[key] = tree.create_committee(uniq("C"), f"{org.name}人民调解委员会", org.code, "people", [])
    w.committees["cmed"] = tree.create_committee(uniq("P"), "医疗纠纷人民调解委员会", county.code, "professional",
                                                 ["medical"])

    def user(key: str, role: str, org: Optional[OrgUnit] = None, committee: Optional[Committee] = None) -> None:
        name = uniq(key.lower())
        w.users[key] = users.create_user(name, PASSWORD, role, display_name=f"调解员{key}",
                                         email=f"{name}@example.org", org=org.code if org else None,
                                         committee=committee.code if committee else None)

    user("m1", "mediator", committee=w.committees["cv1"])
    user("m1b", "mediator", committee=w.committees["cv1"])
    user("m2", "mediator", committee=w.committees["cv2"])
    user("m3", "mediator", committee=w.committees["cv3"])
    user("mt1", "mediator", committee=w.committees["ct1"])
    user("mco", "mediator", committee=w.committees["cco"])
    user("s_t1", "supervisor", t1)
    user("s_co", "supervisor", county)
    user("s_t2", "supervisor", t2)
    user("s_city", "supervisor", city)
    user("admin", "admin")
    return w


def party_list(n: int = 2) -> list[dict]:
    people = [
        {"role": "applicant", "kind": "person", "name": "张三", "id_number": VALID_IDS[0], "phone": "13800138000",
         "address": "一村一组"},
        {"role": "respondent", "kind": "person", "name": "李四", "id_number": VALID_IDS[1], "phone": "13912345678",
         "address": "一村二组"},
        {"role": "third_party", "kind": "organization", "name": "某某物业公司"},
    ]
    return people[:n]


def make_dispute(committee: Committee, actor: Optional[User] = None, at: Optional[datetime] = None,
                 **overrides: Any) -> Dispute:
    body = {"committee": committee.code, "dispute_type": "neighbourhood", "source": "walk_in",
            "summary": "相邻通行纠纷", "amount": "1200.00", "risk_level": "none", "parties": party_list()}
    body.update(overrides)
    return cases.register_dispute(body, actor=actor, at=at)


DEFAULT_PAYLOADS: dict[str, dict] = {
    "reject": {"reason_code": "out_of_scope", "reason": "不属于民间纠纷"},
    "extend": {"days": 10, "parties_consent": True, "reason": "双方同意延长"},
    "reach_agreement": {"form": "written", "terms": "赔偿1200元", "amount": "1200.00"},
    "fail": {"reason": "双方分歧较大", "referral": "litigation"},
    "withdraw": {"reason": "申请人撤回"},
    "request_confirmation": {"court": "测试县人民法院"},
    "record_confirmation": {"result": "confirmed"},
    "record_follow_up": {"performance": "full", "method": "visit", "notes": "已履行"},
    "reopen": {"reason": "未履行"},
}


PAPER_RECORD = "补录纸质卷宗"  # the backdate_reason of histories dated months before the tests' "now"


def fire(dispute: Dispute, trigger: str, actor: Optional[User] = None, occurred_at: Any = None,
         at: Optional[datetime] = None, **payload: Any) -> Dispute:
    """Fires one trigger with sensible default payloads (overridden by keyword arguments).

    Histories are dated long before the injected "now" (paper records entered later), so a
    `backdate_reason` goes with each step; the service keeps it only where max_backdate_days
    requires one (pass backdate_reason=None to leave it out)."""
    body = {**DEFAULT_PAYLOADS.get(trigger, {}), "backdate_reason": PAPER_RECORD, **payload}
    if body["backdate_reason"] is None:
        del body["backdate_reason"]
    if trigger in ("assign", "reassign") and "mediators" not in body:
        mediator = next(u for u in _mediators_of(dispute))
        body["mediators"] = [mediator.username]
        if trigger == "reassign":
            body.setdefault("reason", "回避")
    return triggers.fire_trigger(dispute.id, trigger, version=dispute.version, actor=actor,
                                    occurred_at=occurred_at, payload=body, at=at)


def _mediators_of(dispute: Dispute):
    from sqlalchemy import select

    from mediation.extensions import db

    return db.session.scalars(select(User).where(User.committee_id == dispute.committee_id,
                                                 User.role == "mediator", User.active.is_(True))
                              .order_by(User.id))


def drive(dispute: Dispute, *triggers: str, actor: Optional[User] = None) -> Dispute:
    for trigger in triggers:
        dispute = fire(dispute, trigger, actor=actor)
    return dispute


TO_STATE: dict[str, tuple[str, ...]] = {
    "registered": (),
    "accepted": ("accept",),
    "assigned": ("accept", "assign"),
    "in_mediation": ("accept", "assign", "start_mediation"),
    "agreed": ("accept", "assign", "start_mediation", "reach_agreement"),
    "follow_up": ("accept", "assign", "start_mediation", "reach_agreement", "start_follow_up"),
    "closed": ("accept", "assign", "start_mediation", "reach_agreement", "start_follow_up", "record_follow_up",
               "close"),
    "rejected": ("reject",),
}


def dispute_in(state: str, committee: Committee, days_ago: int = 20, **overrides: Any) -> Dispute:
    """A dispute registered `days_ago` and driven to `state` along the main path."""
    received = datetime.now(UTC) - timedelta(days=days_ago)
    return drive(make_dispute(committee, received_at=received.isoformat(), **overrides), *TO_STATE[state])


__all__ = ["uniq", "make_world", "make_dispute", "fire", "drive", "dispute_in", "party_list", "PASSWORD",
           "VALID_IDS", "TO_STATE"]
