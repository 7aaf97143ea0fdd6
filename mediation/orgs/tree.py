"""The org tree and its committees."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from mediation.common import access
from mediation.common.errors import Conflict, NotFound, ValidationError
from mediation.common.paging import paginate
from mediation.common.validation import collect
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import Committee, OrgUnit, User
from mediation.models.enums import ORG_LEVELS
from mediation.orgs.schemas import CommitteeIn, OrgIn


def get_org(code: str, actor: Optional[User] = None) -> OrgUnit:
    org = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code)) if isinstance(code, str) else None
    if org is None or not access.org_in_scope(actor, org):
        raise NotFound(f"no org {code!r}")
    return org


def create_org(code: str, name: str, level: str, parent: Optional[str], actor: Optional[User] = None) -> OrgUnit:
    """Adds an org; a child is exactly one level below its parent (admin only)."""
    access.require_admin(actor)
    clean, fields = collect(OrgIn(), {"code": code, "name": name, "level": level, "parent": parent})
    code, name = clean.get("code"), clean.get("name")
    parent_org = None
    if parent is not None:
        parent_org = db.session.scalar(select(OrgUnit).where(OrgUnit.code == parent)) if isinstance(parent, str) else None
        if parent_org is None:
            fields["parent"] = ["no such org"]
        elif level in ORG_LEVELS and ORG_LEVELS.index(level) != ORG_LEVELS.index(parent_org.level) + 1:
            fields["level"] = [f"a child of a {parent_org.level} must be a {ORG_LEVELS[ORG_LEVELS.index(parent_org.level) + 1] if parent_org.level != 'village' else '(none: villages have no children)'}"]
    if fields:
        raise ValidationError(fields)
    try:
        with unit_of_work() as session:
            org = OrgUnit(code=code, name=name, level=level, parent_id=parent_org.id if parent_org else None,
                          depth=(parent_org.depth + 1) if parent_org else 0)
            session.add(org)
            session.flush()
            org.path = (parent_org.path if parent_org else "/") + f"{org.id}/"
    except IntegrityError:
        raise Conflict(f"org code {code!r} is taken", field="code") from None
    return org


def list_orgs(actor: Optional[User], page: int = 1, per_page: int = 50, level: Optional[str] = None,
              parent: Optional[str] = None):
    query = select(OrgUnit).where(access.orgs_clause(actor)).options(joinedload(OrgUnit.parent))
    if level:
        query = query.where(OrgUnit.level == level)
    if parent:
        query = query.where(OrgUnit.parent_id == get_org(parent, actor).id)
    return paginate(query.order_by(OrgUnit.path), page, per_page)


def get_committee(code: str, actor: Optional[User] = None) -> Committee:
    committee = db.session.scalar(select(Committee).where(Committee.code == code)) if isinstance(code, str) else None
    if committee is None or not access.org_in_scope(actor, committee.org):
        raise NotFound(f"no committee {code!r}")
    return committee


def create_committee(code: str, name: str, org: str, kind: str, specialties: Optional[list] = None,
                     actor: Optional[User] = None) -> Committee:
    """Adds a committee (admin, or a supervisor within scope)."""
    access.require_manager(actor)
    clean, fields = collect(CommitteeIn(), {"code": code, "name": name, "org": org, "kind": kind,
                                            "specialties": specialties})
    code, name, specialties = clean.get("code"), clean.get("name"), clean.get("specialties", [])
    org_unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == org)) if isinstance(org, str) else None
    if org_unit is None or not access.org_in_scope(actor, org_unit):
        fields["org"] = ["no such org in your scope"]
    if fields:
        raise ValidationError(fields)
    try:
        with unit_of_work() as session:
            committee = Committee(code=code, name=name, org_id=org_unit.id, kind=kind, specialties=specialties)
            session.add(committee)
            session.flush()
    except IntegrityError:
        raise Conflict(f"committee code {code!r} is taken", field="code") from None
    return committee


def list_committees(actor: Optional[User], org: Optional[str] = None, page: int = 1, per_page: int = 50):
    query = select(Committee).join(OrgUnit, Committee.org_id == OrgUnit.id).where(access.orgs_clause(actor))
    if org:
        query = query.where(access.subtree_clause(get_org(org, actor)))
    return paginate(query.order_by(Committee.code), page, per_page)



def org_policy(code: str, actor: Optional[User] = None) -> dict[str, Any]:
    """The deadline policy in force at an org in scope: effective, own and where each value comes from."""
    from mediation.disputes.policy import describe_policy

    return describe_policy(get_org(code, actor))


def set_org_policy(code: str, values: dict[str, Any], actor: Optional[User] = None) -> dict[str, Any]:
    """Sets an org's own policy values (admin, or a supervisor of that org or an ancestor)."""
    from mediation.disputes.policy import set_policy

    org = get_org(code, actor)
    access.require_manager(actor, org)
    return set_policy(org, values)
