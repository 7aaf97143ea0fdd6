"""Users, passwords and API tokens; deactivation, reactivation, password resets and changes.

Who may act on a user (docs/security.md, "Accounts"): an administrator on anyone but themselves
(their own password they change, giving the current one); a supervisor on mediators of their
subtree only, never on an administrator or another supervisor; everyone on their own password.
A user outside the caller's scope does not exist (404). Every change is in the audit of
administration, in the same transaction.
"""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, Optional

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from mediation.common import access, audit
from mediation.common.clock import now
from mediation.common.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from mediation.common.paging import paginate
from mediation.common.validation import collect
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import ApiToken, Committee, OrgUnit, User
from mediation.orgs import sessions
from mediation.orgs.passwords import password_problems
from mediation.orgs.schemas import USERNAME_PATTERN, UserIn

USERNAME_RE = re.compile(USERNAME_PATTERN)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check for unknown usernames, so timing is alike (made once, on first use)."""
    return generate_password_hash("not-a-real-password")


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def find_user(username: Any) -> Optional[User]:
    """The user of this name, whatever its case (usernames are unique regardless of case)."""
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        return None  # not a possible username (and never a NUL byte sent to the database)
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def user_dict(user: User) -> dict[str, Any]:
    """What the audit keeps of a user (never the password or its hash)."""
    return {"username": user.username, "role": user.role, "display_name": user.display_name, "email": user.email,
            "org": user.org.code if user.org else None, "committee": user.committee.code if user.committee else None,
            "active": user.active, "must_change_password": user.must_change_password}


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
    # One answer whoever holds the name, in scope or not: nothing about where it is used.
    taken = Conflict("this username is not available; choose another", field="username")
    if find_user(username) is not None:
        raise taken
    try:
        with unit_of_work() as session:
            user = User(username=username, password_hash=_hash(password), role=role,
                        display_name=display_name or username, email=email,
                        org_id=org_unit.id if org_unit else None,
                        committee_id=committee_row.id if committee_row else None, locale=locale,
                        password_changed_at=now())
            session.add(user)
            session.flush()
            session.refresh(user)
            audit.record(session, actor, "user.create", user.username, None, user_dict(user))
    except IntegrityError:
        raise taken from None
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


class UnknownLogin(Unauthorized):
    """A failed login naming no active user. The same answer as a wrong password (the client cannot
    tell them apart); the login views use the difference for the per-address limit only."""


def authenticate(username: str, password: str) -> User:
    """The active user with these credentials (the username in any case), or Unauthorized (the
    same answer for either mistake)."""
    user = find_user(username)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password if isinstance(password, str) else "")
        raise UnknownLogin("wrong username or password")
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


def get_user(username: str, actor: Optional[User]) -> User:
    """A user the caller may see: admins see everyone, supervisors their subtree's users."""
    user = find_user(username)
    if user is None:
        raise NotFound("no such user")
    if actor is not None and user.id == actor.id:
        return user
    if access.is_global(actor):
        return user
    if actor.role not in ("admin", "supervisor"):
        raise Forbidden("your role may not do this")
    if user.org is None or not access.org_in_scope(actor, user.org):
        raise NotFound("no such user")
    return user


def _managed_user(username: str, actor: Optional[User], what: str) -> User:
    """A user the caller may deactivate, reactivate or reset: never themselves; a supervisor only
    mediators (never an administrator, never another supervisor)."""
    access.require_manager(actor)
    user = get_user(username, actor)
    if actor is not None and user.id == actor.id:
        raise Forbidden(f"you may not {what} yourself")
    if actor is not None and actor.role != "admin" and user.role in ("admin", "supervisor"):
        raise Forbidden(f"a supervisor may not {what} an administrator or a supervisor")
    return user


def deactivate_user(username: str, actor: Optional[User]) -> User:
    """The user can no longer sign in; their web sessions and API tokens stop working at once."""
    user = _managed_user(username, actor, "deactivate")
    with unit_of_work() as session:
        before = user_dict(user)
        user.active = False
        sessions.revoke_everything(session, user.id)
        audit.record(session, actor, "user.deactivate", user.username, before, user_dict(user))
    return user


def reactivate_user(username: str, actor: Optional[User]) -> User:
    """The user may sign in again (with their password; the old sessions and tokens stay ended)."""
    user = _managed_user(username, actor, "reactivate")
    with unit_of_work() as session:
        before = user_dict(user)
        user.active = True
        audit.record(session, actor, "user.reactivate", user.username, before, user_dict(user))
    return user


def set_password(username: str, password: Any, actor: Optional[User], current_password: Any = None) -> User:
    """A user's own change (with `current_password`), or a reset by an administrator or a
    supervisor in scope (the user must change it at next sign-in). Either way every web session and
    API token of the user ends, the caller's own included: the user signs in again."""
    own = actor is not None and find_user(username) is not None and find_user(username).id == actor.id
    user = actor if own else _managed_user(username, actor, "reset the password of")
    fields: dict[str, list[str]] = {}
    if problems := password_problems(password, user.username):
        fields["password"] = problems
    if own:
        if not isinstance(current_password, str) or not current_password:
            fields["current_password"] = ["is required to change your own password"]
        elif not check_password_hash(user.password_hash, current_password):
            fields["current_password"] = ["is not your current password"]
        elif isinstance(password, str) and password == current_password:
            fields.setdefault("password", []).append("must differ from the current password")
    if fields:
        raise ValidationError(fields)
    with unit_of_work() as session:
        before = user_dict(user)
        user.password_hash = _hash(password)
        user.password_changed_at = now()
        user.must_change_password = not own
        sessions.revoke_everything(session, user.id)
        audit.record(session, actor, "user.password_change" if own else "user.password_reset", user.username,
                     before, user_dict(user))
    return user
def set_locale(user: User, locale: str) -> User:
    """Saves the language `user` reads the product in (zh or en): pages and e-mails follow it."""
    if locale not in ("zh", "en"):
        raise ValidationError({"locale": ["must be zh or en"]})
    with unit_of_work() as session:
        row = session.get(User, user.id)
        row.locale = locale
    return row
