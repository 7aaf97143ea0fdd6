"""Users, passwords and API tokens."""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Optional

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from mediation.common import access
from mediation.common.clock import now
from mediation.common.errors import Conflict, Unauthorized, ValidationError
from mediation.common.paging import paginate
from mediation.common.validation import collect
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import ApiToken, Committee, OrgUnit, User
from mediation.orgs.schemas import UserIn


@functools.cache
def _dummy_hash() -> str:
    """A hash to check for unknown usernames, so timing is alike (made once, on first use)."""
    return generate_password_hash("not-a-real-password")


def create_user(username: str, password: str, role: str, display_name: str = "", email: Optional[str] = None,
                org: Optional[str] = None, committee: Optional[str] = None, locale: str = "zh",
                actor: Optional[User] = None) -> User:
    """Adds a user. A mediator needs a committee and takes its org; a supervisor needs an org."""
    access.require_manager(actor)
    clean, fields = collect(UserIn(), {"username": username, "password": password, "role": role,
                                       "display_name": display_name, "email": email, "org": org,
                                       "committee": committee, "locale": locale})
    display_name, email = clean.get("display_name") or "", clean.get("email")
    if role == "admin" and not access.is_global(actor) and actor.role != "admin":
        fields["role"] = ["only an administrator may create administrators"]
    org_unit = committee_row = None
    if committee:
        committee_row = db.session.scalar(select(Committee).where(Committee.code == committee)) \
            if isinstance(committee, str) else None
        if committee_row is None or not access.org_in_scope(actor, committee_row.org):
            fields["committee"] = ["no such committee in your scope"]
    if role == "mediator":
        if not committee:
            fields["committee"] = ["a mediator needs a committee"]
        elif committee_row is not None:
            org_unit = committee_row.org
            if org and org != org_unit.code:
                fields["org"] = ["a mediator's org is their committee's org"]
    elif org:
        org_unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == org)) if isinstance(org, str) else None
        if org_unit is None or not access.org_in_scope(actor, org_unit):
            fields["org"] = ["no such org in your scope"]
    elif role == "supervisor":
        fields["org"] = ["a supervisor needs an org"]
    elif not access.is_global(actor):
        fields["org"] = ["you may only create users within your org"]
    if role in ("supervisor", "admin") and committee:
        fields.setdefault("committee", []).append("only mediators belong to a committee")
    if fields:
        raise ValidationError(fields)
    try:
        with unit_of_work() as session:
            user = User(username=username, password_hash=generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), role=role,
                        display_name=display_name or username, email=email,
                        org_id=org_unit.id if org_unit else None,
                        committee_id=committee_row.id if committee_row else None, locale=locale)
            session.add(user)
            session.flush()
    except IntegrityError:
        raise Conflict(f"username {username!r} is taken", field="username") from None
    return user


def list_users(actor: Optional[User], role: Optional[str] = None, org: Optional[str] = None, page: int = 1,
               per_page: int = 50) -> dict[str, Any]:
    access.require_manager(actor)
    query = select(User).outerjoin(OrgUnit, User.org_id == OrgUnit.id)
    if not access.is_global(actor):
        query = query.where(access.orgs_clause(actor))
    if role:
        query = query.where(User.role == role)
    if org:
        from mediation.orgs.tree import get_org

        query = query.where(access.subtree_clause(get_org(org, actor)))
    return paginate(query.order_by(User.username), page, per_page)


def authenticate(username: str, password: str) -> User:
    """The active user with these credentials, or Unauthorized (same answer for either mistake)."""
    user = db.session.scalar(select(User).where(User.username == username)) if isinstance(username, str) else None
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password if isinstance(password, str) else "")
        raise Unauthorized("wrong username or password")
    if not isinstance(password, str) or not check_password_hash(user.password_hash, password):
        raise Unauthorized("wrong username or password")
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, ttl_hours: Optional[int] = None) -> tuple[str, datetime]:
    """A new random bearer token for `user`; only its hash is stored."""
    ttl = ttl_hours or current_app.config.get("TOKEN_TTL_HOURS", 12)
    token = secrets.token_urlsafe(32)
    expires = now() + timedelta(hours=ttl)
    with unit_of_work() as session:
        session.add(ApiToken(user_id=user.id, token_hash=_digest(token), expires_at=expires))
    return token, expires


def user_for_token(token: str) -> Optional[User]:
    """The active user a live (unexpired, unrevoked) token belongs to."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now() or not row.user.active:
        return None
    return row.user


def revoke_token(token: str) -> bool:
    with unit_of_work() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = now()
    return True


def set_locale(user: User, locale: str) -> User:
    """Saves the language `user` reads the product in (zh or en): pages and e-mails follow it."""
    if locale not in ("zh", "en"):
        raise ValidationError({"locale": ["must be zh or en"]})
    with unit_of_work() as session:
        row = session.get(User, user.id)
        row.locale = locale
    return row
