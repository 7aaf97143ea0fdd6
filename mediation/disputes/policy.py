"""Deadline policy per org, inherited down the tree (docs/deadlines.md).

Null means inherited in every key and is stored as absence. On every change the policy in force
is validated as a whole, at the org and at every org below it that inherits from it: each value
of the right type and range, and no combination the reminder scan cannot use (a reminder
threshold that is not shorter than any term would never be sent).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mediation.common.errors import ValidationError
from mediation.common.validation import load
from mediation.disputes.schemas import PolicyValues
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import OrgPolicy, OrgUnit
from mediation.models.enums import DAY_COUNTS

DEFAULTS: dict[str, Any] = {
    "acceptance_days": 3,
    "mediation_days": 30,
    "max_extension_days": 30,
    "max_extensions": 1,
    "follow_up_days": 15,
    "remind_before_days": [3, 1],
    "supervisor_after_days": 1,
    "day_count": "calendar",
    "max_backdate_days": 7,  # a trigger or record dated further back needs a backdate_reason
    "max_prevention_people": 50,  # the most people one prevention record may count
}
KEYS = tuple(DEFAULTS)
CONFIRMATION_DAYS = 30  # fixed by law, calendar days
RANGES: dict[str, tuple[int, int]] = {  # whole-number keys: (lowest, highest)
    "acceptance_days": (1, 365), "mediation_days": (1, 365), "max_extension_days": (1, 365),
    "max_extensions": (0, 365), "follow_up_days": (1, 365), "supervisor_after_days": (0, 365),
    "max_backdate_days": (0, 365), "max_prevention_people": (1, 100000),
}


def effective_policy(org: OrgUnit) -> dict[str, Any]:
    """The values in force at `org`: its own, else the nearest ancestor's, else the default."""
    return describe_policy(org)["effective"]


def describe_policy(org: OrgUnit) -> dict[str, Any]:
    """`effective` values, the org's `own` values, and for each key the org code it comes from."""
    ids = org.ancestor_ids or [org.id]
    rows = {p.org_id: p for p in db.session.scalars(select(OrgPolicy).where(OrgPolicy.org_id.in_(ids)))}
    codes = dict(db.session.execute(select(OrgUnit.id, OrgUnit.code).where(OrgUnit.id.in_(ids))).all())
    effective, source = dict(DEFAULTS), {k: None for k in KEYS}
    for org_id in ids:  # root first, so nearer orgs override
        row = rows.get(org_id)
        if row is None:
            continue
        for key in KEYS:
            value = getattr(row, key)
            if value is not None:
                effective[key], source[key] = value, codes.get(org_id)
    own_row = rows.get(org.id)
    own = {k: (getattr(own_row, k) if own_row else None) for k in KEYS}
    return {"org": org.code, "effective": effective, "own": own, "source": source}


def _check_value(key: str, value: Any, fields: dict[str, list[str]]) -> Any:
    """The value cleaned (thresholds sorted, largest first), or a message collected in `fields`."""
    if key == "day_count":
        if value not in DAY_COUNTS:
            fields[key] = [f"must be one of {', '.join(DAY_COUNTS)}"]
        return value
    if key == "remind_before_days":
        if (not isinstance(value, list) or not value
                or not all(isinstance(x, int) and not isinstance(x, bool) and 0 < x <= 60 for x in value)):
            fields[key] = ["must be a non-empty list of whole days between 1 and 60"]
            return value
        return sorted(set(value), reverse=True)
    low, high = RANGES[key]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        fields[key] = [f"must be a whole number between {low} and {high}"]
    return value


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ValidationError({"policy": ["must be an object of policy keys"]})
    return load(PolicyValues(), values)


def policy_problems(effective: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with a policy in force as a whole (empty when the scan and the services can use it)."""
    fields: dict[str, list[str]] = {}
    for key in KEYS:
        if key not in effective or effective[key] is None:
            fields[key] = ["has no value in force"]
        else:
            _check_value(key, effective[key], fields)
    if fields:
        return fields
    longest = max(effective["acceptance_days"], effective["mediation_days"], effective["follow_up_days"],
                  CONFIRMATION_DAYS)
    never = [d for d in effective["remind_before_days"] if d >= longest]
    if never:
        fields["remind_before_days"] = [
            f"{', '.join(map(str, never))} day(s) before would never be sent: no term is longer "
            f"(the longest is {longest} days)"]
    return fields


def _check_in_force(session, org: OrgUnit) -> None:
    """Validates the policy in force at `org` and at every org below it (their values as stored
    in this transaction); raises ValidationError naming the first org whose policy breaks."""
    subtree = list(session.scalars(select(OrgUnit).where(OrgUnit.path.like(org.path + "%"))
                                   .order_by(OrgUnit.depth, OrgUnit.id)))
    ids = set(org.ancestor_ids) | {o.id for o in subtree}
    rows = {p.org_id: p for p in session.scalars(select(OrgPolicy).where(OrgPolicy.org_id.in_(ids)))}
    for unit in subtree:
        effective = dict(DEFAULTS)
        for org_id in unit.ancestor_ids:
            row = rows.get(org_id)
            for key in KEYS:
                value = getattr(row, key) if row is not None else None
                if value is not None:
                    effective[key] = value
        problems = policy_problems(effective)
        if problems:
            where = "" if unit.id == org.id else f" (in force at {unit.code}, which inherits it)"
            raise ValidationError({k: [m + where for m in v] for k, v in problems.items()},
                                  "the policy in force would not be usable")


def set_policy(org: OrgUnit, values: dict[str, Any]) -> dict[str, Any]:
    """Sets the org's own values (None clears one, so it is inherited again)."""
    clean = _validate(values)
    with unit_of_work() as session:
        row = session.get(OrgPolicy, org.id) or OrgPolicy(org_id=org.id)
        for key, value in clean.items():
            setattr(row, key, value)
        session.add(row)
        session.flush()
        _check_in_force(session, org)
        if all(getattr(row, key) is None for key in KEYS):  # nothing of its own: inherited throughout
            session.delete(row)
    return describe_policy(org)
