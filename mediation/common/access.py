"""Who may see and do what: the role matrix and subtree scoping (an org and everything below it).

An admin without an org sees everything. A supervisor (or an admin with an org) sees the subtree
of their org. A mediator sees the disputes of their own committee and those they are assigned to.
Anything outside scope is reported as not found.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import ColumnElement, and_, or_, select, true

from mediation.common.errors import Forbidden, NotFound
from mediation.models import Assignment, Committee, Dispute, OrgUnit, User


def is_global(actor: Optional[User]) -> bool:
    """The system itself (None) or an admin without an org."""
    return actor is None or (actor.role == "admin" and actor.org_id is None)


def org_in_scope(actor: Optional[User], org: OrgUnit) -> bool:
    if is_global(actor):
        return True
    return actor.org is not None and org.path.startswith(actor.org.path)


def subtree_clause(org: OrgUnit, column=OrgUnit.path) -> ColumnElement[bool]:
    """`org` and everything below it, as one indexed prefix match on the materialized path."""
    return column.like(org.path + "%")


def orgs_clause(actor: Optional[User]) -> ColumnElement[bool]:
    if is_global(actor):
        return true()
    if actor.org is None:
        return OrgUnit.id.is_(None)
    return subtree_clause(actor.org)


def committees_in(org: OrgUnit):
    """A subquery of the ids of committees whose org lies in `org`'s subtree."""
    return select(Committee.id).join(OrgUnit, Committee.org_id == OrgUnit.id).where(subtree_clause(org))


def disputes_clause(actor: Optional[User]) -> ColumnElement[bool]:
    """The disputes `actor` may see."""
    if is_global(actor):
        return true()
    if actor.role == "mediator":
        assigned = select(Assignment.dispute_id).where(
            and_(Assignment.mediator_id == actor.id, Assignment.ended_at.is_(None)))
        return or_(Dispute.committee_id == actor.committee_id, Dispute.id.in_(assigned))
    if actor.org is None:
        return Dispute.id.is_(None)
    return Dispute.committee_id.in_(committees_in(actor.org))


def can_see_dispute(actor: Optional[User], dispute: Dispute) -> bool:
    if is_global(actor):
        return True
    if actor.role == "mediator":
        return dispute.committee_id == actor.committee_id or any(
            a.mediator_id == actor.id and a.ended_at is None for a in dispute.assignments)
    return actor.org is not None and dispute.committee.org.path.startswith(actor.org.path)


def ensure_dispute_visible(actor: Optional[User], dispute: Optional[Dispute]) -> Dispute:
    if dispute is None or not can_see_dispute(actor, dispute):
        raise NotFound("no such dispute")
    return dispute


def require_manager(actor: Optional[User], org: Optional[OrgUnit] = None) -> None:
    """Refuses mediators outright (403); supervisors outside their scope see 404."""
    if is_global(actor):
        return
    if actor.role not in ("admin", "supervisor"):
        raise Forbidden("your role may not do this")
    if org is not None and not org_in_scope(actor, org):
        raise NotFound("no such org")


def require_admin(actor: Optional[User]) -> None:
    if not is_global(actor) and actor.role != "admin":
        raise Forbidden("only an administrator may do this")
