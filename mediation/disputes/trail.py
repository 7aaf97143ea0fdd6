"""The trail of a dispute (事件记录): which kind each entry is, and the access records.

docs/events.md names three kinds, told apart by the event's `trigger`:
transitions (the workflow's triggers and `register`), records (edits, sessions, prevention and
follow-up records: no state change, but part of the record) and access records (`reveal`: personal
data shown in full; `download`: a document with full ID numbers). Access records are never counted
in a figure and never constrain back-dating (the statistics and the back-dating rule select
transitions and records only, through `COUNTED`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy.orm import Session

from mediation.models import Dispute, Event, User

ACCESS = ("reveal", "download")
RECORDS = ("update", "record_session", "record_prevention", "record_follow_up")
KINDS = ("transition", "record", "access")


def kind_of(trigger: str) -> str:
    """`transition`, `record` or `access` for an event's trigger."""
    if trigger in ACCESS:
        return "access"
    if trigger in RECORDS:
        return "record"
    return "transition"


def counted(column) -> Any:
    """A SQL condition on `Event.trigger` that keeps transitions and records (access records out)."""
    return column.not_in(ACCESS)


def record_access(session: Session, dispute: Dispute, actor: Optional[User], trigger: str, at: datetime,
                  **details: Any) -> Event:
    """Adds an access record (who saw what, when) to the caller's unit of work; the dispute's
    `version` and `last_event_at` stay as they are (nobody changed the dispute)."""
    if trigger not in ACCESS:
        raise ValueError(f"not an access record: {trigger}")
    event = Event(dispute_id=dispute.id, trigger=trigger, from_state=dispute.state, to_state=dispute.state,
                  actor_id=actor.id if actor else None, committee_id=dispute.committee_id,
                  org_id=dispute.committee.org_id, occurred_at=at, recorded_at=at, payload=details)
    session.add(event)
    return event
