"""The audit of administration: who changed which user, org, committee, policy or subscription,
when, and the values before and after (docs/security.md, "Audit of administration").

`record` is called by the service that makes the change, inside its unit of work, so the entry and
the change are committed together or not at all. Values pass through `clean`, which drops any
password or hash whatever the caller hands in.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from mediation.common import access
from mediation.common.paging import paginate
from mediation.models import AuditEntry, User

KINDS = ("user.create", "user.deactivate", "user.reactivate", "user.password_reset", "user.password_change",
         "org.create", "committee.create", "policy.set", "subscription.add", "subscription.remove")
SECRET_KEYS = {"password", "current_password", "new_password", "token", "secret"}
SECRET_SUFFIXES = ("_hash", "_token", "_secret")


def clean(values: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """JSON-safe values without any password, hash, token or secret (by key)."""
    if values is None:
        return None
    kept = {k: v for k, v in values.items()
            if k.lower() not in SECRET_KEYS and not k.lower().endswith(SECRET_SUFFIXES)}
    return json.loads(json.dumps(kept, default=str))


def record(session, actor: Optional[User], kind: str, target: str, before: Optional[dict] = None,
           after: Optional[dict] = None) -> AuditEntry:
    """Adds an entry to the caller's unit of work (actor None: the command line)."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    entry = AuditEntry(actor_id=actor.id if actor is not None else None, kind=kind, target=target[:120],
                       before=clean(before), after=clean(after))
    session.add(entry)
    return entry


def list_entries(actor: Optional[User], actor_name: Optional[str] = None, kind: Optional[str] = None,
                 start: Optional[datetime] = None, end: Optional[datetime] = None, page: int = 1,
                 per_page: int = 50) -> dict[str, Any]:
    """The entries, newest first, filtered by actor (username, any case), kind and time [start, end)."""
    from sqlalchemy import func

    access.require_admin(actor)
    query = select(AuditEntry)
    if actor_name:
        query = query.join(User, User.id == AuditEntry.actor_id).where(func.lower(User.username) == actor_name.lower())
    if kind:
        query = query.where(AuditEntry.kind == kind)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    return paginate(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), page, per_page)
