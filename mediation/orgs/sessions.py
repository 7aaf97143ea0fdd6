"""Web sessions kept on the server: one row per sign-in, so signing out, deactivation and a password
change or reset end them at once (a replayed cookie finds its row revoked).

The signed cookie carries a random key (Flask's session, beside Flask-Login's user id); only its
SHA-256 is stored. A session is over when revoked, when unused for SESSION_IDLE_MINUTES (default
30) or after SESSION_LIFETIME_HOURS (default 12) however busy. `last_seen_at` is written at most
once a minute per session, so a page view is not a write.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import select, update

from mediation.common.clock import now
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import ApiToken, User, WebSession

TOUCH_EVERY = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open_session(user: User, address: Optional[str] = None) -> str:
    """A new session of `user`; returns the key the cookie carries."""
    key = secrets.token_urlsafe(32)
    moment = now()
    lifetime = timedelta(hours=current_app.config.get("SESSION_LIFETIME_HOURS", 12))
    with unit_of_work() as session:
        session.add(WebSession(user_id=user.id, key_hash=_digest(key), created_at=moment, last_seen_at=moment,
                               expires_at=moment + lifetime, address=(address or "")[:64] or None))
    return key


def _live(row: Optional[WebSession]) -> bool:
    if row is None or row.revoked_at is not None or not row.user.active:
        return False
    moment = now()
    idle = timedelta(minutes=current_app.config.get("SESSION_IDLE_MINUTES", 30))
    return moment < row.expires_at and moment - row.last_seen_at < idle


def user_for_session(key: Optional[str]) -> Optional[User]:
    """The user of a live session, its idle clock restarted; None when it is over or unknown."""
    if not isinstance(key, str) or not key:
        return None
    row = db.session.scalar(select(WebSession).where(WebSession.key_hash == _digest(key)))
    if not _live(row):
        return None
    if now() - row.last_seen_at >= TOUCH_EVERY:
        with unit_of_work() as session:
            session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now()))
    return row.user


def close_session(key: Optional[str]) -> bool:
    """Signs a session out (its cookie, replayed, is refused from now on)."""
    if not isinstance(key, str) or not key:
        return False
    with unit_of_work() as session:
        done = session.execute(update(WebSession).where(WebSession.key_hash == _digest(key),
                                                        WebSession.revoked_at.is_(None)).values(revoked_at=now()))
    return bool(done.rowcount)


def revoke_everything(session, user_id: int) -> None:
    """Ends every web session and API token of a user (inside the caller's unit of work)."""
    moment = now()
    session.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
                    .values(revoked_at=moment))
    session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=moment))
