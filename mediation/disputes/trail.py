"""The trail of a dispute (事件记录): which kind each entry is, the records, the access records and
the back-dating rule.

docs/events.md names three kinds, told apart by the event's `trigger`:
transitions (the workflow's triggers and `register`), records (edits, sessions, prevention and
follow-up records and their corrections: no state change, but part of the record) and access
records (`reveal`: personal data shown in full; `download`: a document with full ID numbers).
Access records are never counted in a figure and never constrain back-dating (the statistics and
the back-dating rule select transitions and records only, through `counted`). docs/events.md
describes each entry and the rules for what may be recorded when.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.common import access
from mediation.common.clock import period_bounds
from mediation.common.paging import paginate
from mediation.models import Committee, Dispute, Event, OrgUnit, User

ACCESS = ("reveal", "download")
RECORDS = ("update", "record_session", "record_prevention", "withdraw_prevention", "record_follow_up")
KINDS = ("transition", "record", "access")
MAX_REASON = 2000


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


def add_record(session: Session, dispute: Dispute, actor: Optional[User], trigger: str, occurred_at: datetime,
               recorded_at: datetime, payload: dict[str, Any], backdate: Optional[str] = None,
               committee: Optional[Committee] = None, org_id: Optional[int] = None, **facts: Any) -> Event:
    """Adds a record (a change to the dispute's record without a state change) to the caller's unit
    of work: the dispute's version goes up, and a later transition may not be dated before it.

    `backdate` is the reason of an entry flagged as back-dated (see `backdating`); `committee` the
    committee that handled the dispute when it is dated (default the current one), `org_id` the org
    it counts for (default that committee's); `facts` the event's columns (result, people).
    """
    if trigger not in RECORDS:
        raise ValueError(f"not a record: {trigger}")
    committee = committee or dispute.committee
    event = Event(dispute=dispute, trigger=trigger, from_state=dispute.state, to_state=dispute.state,
                  actor=actor, committee_id=committee.id,
                  org_id=org_id if org_id is not None else committee.org_id, occurred_at=occurred_at,
                  recorded_at=recorded_at, payload=payload, backdated=backdate is not None,
                  backdate_reason=backdate, **facts)
    session.add(event)
    dispute.version += 1
    dispute.last_event_at = max(dispute.last_event_at, occurred_at)
    return event


def backdating(occurred_at: datetime, now: datetime, policy: dict[str, Any], reason: Any,
               fields: dict[str, list[str]]) -> Optional[str]:
    """The reason under which an entry dated `occurred_at` and entered at `now` is flagged as
    back-dated, or None when it lies within the policy's `max_backdate_days` (no reason needed).

    Beyond that limit a `backdate_reason` is required: a message is collected in `fields` when it
    is missing. There is no approval step; the flag is what supervisors see (`list_backdated`).
    """
    days = int(policy["max_backdate_days"])
    if now - occurred_at <= timedelta(days=days):
        return None
    if reason is not None and not isinstance(reason, str):
        fields["backdate_reason"] = ["must be text"]
        return None
    text = (reason or "").strip()
    if not text:
        fields["backdate_reason"] = [f"is required for an entry dated more than {days} day(s) back "
                                     "(max_backdate_days)"]
        return None
    if len(text) > MAX_REASON:
        fields["backdate_reason"] = [f"must be at most {MAX_REASON} characters"]
        return None
    return text


def list_backdated(actor: Optional[User], org: Optional[str] = None, date_from: Optional[date] = None,
                   date_to: Optional[date] = None, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """The entries flagged as back-dated in the caller's scope (administrators and supervisors),
    newest entry first: `org` narrows to that org's subtree (the org the entry counts for),
    `from`/`to` to the days (Asia/Shanghai) it was dated."""
    from mediation.common.errors import ValidationError
    from mediation.orgs.tree import get_org

    access.require_manager(actor)
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"to": ["must not lie before from"]})
    query = (select(Event).join(OrgUnit, OrgUnit.id == Event.org_id)
             .where(Event.backdated.is_(True), access.orgs_clause(actor)))
    if org:
        query = query.where(access.subtree_clause(get_org(org, actor)))
    if date_from:
        query = query.where(Event.occurred_at >= period_bounds(date_from, date_from)[0])
    if date_to:
        query = query.where(Event.occurred_at < period_bounds(date_to, date_to)[1])
    return paginate(query.order_by(Event.recorded_at.desc(), Event.id.desc()), page, per_page)


def days_late(event: Event) -> int:
    """Whole days between when an entry is dated and when it was entered."""
    return max((event.recorded_at - event.occurred_at) // timedelta(days=1), 0)


__all__ = ["ACCESS", "RECORDS", "KINDS", "kind_of", "counted", "record_access", "add_record", "backdating",
           "list_backdated", "days_late"]
