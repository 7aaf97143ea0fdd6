"""Deadline policy per org, inherited down the tree (docs/deadlines.md)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mediation.common.errors import ValidationError
from mediation.common.validation import load
from mediation.disputes.schemas import PolicyValues
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import OrgPolicy, OrgUnit

DEFAULTS: dict[str, Any] = {
    "acceptance_days": 3,
    "mediation_days": 30,
    "max_extension_days": 30,
    "max_extensions": 1,
    "follow_up_days": 15,
    "remind_before_days": [3, 1],
    "supervisor_after_days": 1,
    "day_count": "calendar",
}
KEYS = tuple(DEFAULTS)
CONFIRMATION_DAYS = 30  # fixed by law, calendar days


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


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ValidationError({"policy": ["must be an object of policy keys"]})
    return load(PolicyValues(), values)


def set_policy(org: OrgUnit, values: dict[str, Any]) -> dict[str, Any]:
    """Sets the org's own values (None clears one, so it is inherited again)."""
    clean = _validate(values)
    with unit_of_work() as session:
        row = session.get(OrgPolicy, org.id) or OrgPolicy(org_id=org.id)
        for key, value in clean.items():
            setattr(row, key, value)
        if all(getattr(row, key) is None for key in KEYS):  # nothing of its own: inherited throughout
            if row in session:
                session.delete(row)
        else:
            session.add(row)
    return describe_policy(org)
