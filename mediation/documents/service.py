"""The entry points the doors call (docs/documents.md): which documents a dispute has now, one
document as .docx, the case file and its completeness check.

Each call loads the dispute in the caller's scope (NotFound outside it). A document that shows ID
numbers in full (the caller may reveal: `people.may_reveal`) is recorded on the trail as a
`download` access record in the same unit of work; everyone else gets them masked.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from mediation.common.clock import now as clock_now
from mediation.common.errors import NotFound
from mediation.disputes import cases, trail
from mediation.documents import agreement, attachments, casefile, intake, notices, records
from mediation.documents.context import Context
from mediation.infra.database import unit_of_work
from mediation.models import Dispute, User

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# kinds whose form carries the parties' ID numbers
WITH_ID_NUMBERS = ("application", "agreement", "confirmation_application", "casefile")


@dataclass(frozen=True)
class Kind:
    kind: str
    title: Callable[[Dispute], str]
    available: Callable[[Dispute], bool]
    complete: Callable[[Dispute], bool]


def _persons_identified(d: Dispute) -> bool:
    return all(p.id_number and p.phone and p.address for p in d.parties if p.kind == "person")


def _fixed(title: str) -> Callable[[Dispute], str]:
    return lambda d: title


KINDS: dict[str, Kind] = {k.kind: k for k in (
    Kind("application", _fixed(intake.APPLICATION), lambda d: True, _persons_identified),
    Kind("registration", _fixed(intake.REGISTRATION), lambda d: True, lambda d: d.accepted_at is not None),
    Kind("rights_notice", _fixed(intake.RIGHTS_NOTICE), lambda d: d.accepted_at is not None, lambda d: True),
    Kind("session_record", _fixed(records.SESSION_RECORD), lambda d: bool(d.sessions),
         lambda d: all(s.notes for s in d.sessions)),
    Kind("agreement", lambda d: agreement.ORAL if d.agreement and d.agreement.form == "oral" else agreement.WRITTEN,
         lambda d: d.agreement is not None, lambda d: _persons_identified(d)),
    Kind("follow_up_record", _fixed(records.FOLLOW_UP_RECORD), lambda d: bool(d.follow_ups), lambda d: True),
    Kind("confirmation_application", _fixed(notices.CONFIRMATION),
         lambda d: d.agreement is not None and d.agreement.confirmation != "none",
         lambda d: bool(d.agreement and d.agreement.confirmation_court)),
    Kind("rejection_notice", _fixed(notices.REJECTION), lambda d: d.outcome == "rejected", lambda d: True),
    Kind("termination_notice", _fixed(notices.TERMINATION), lambda d: d.outcome == "failed", lambda d: True),
)}


@dataclass(frozen=True)
class Rendered:
    filename: str
    content: bytes
    mimetype: str = DOCX


def list_documents(dispute_id: int, actor: Optional[User]) -> list[dict]:
    """`[{"kind", "title", "complete"}]` for the documents the dispute has in its current state;
    session and follow-up records are listed once per record, with its id."""
    d = cases.load_dispute(dispute_id, actor)
    out: list[dict] = []
    for k in KINDS.values():
        if not k.available(d):
            continue
        if k.kind == "session_record":
            out += [{"kind": k.kind, "title": records.INVESTIGATION_RECORD if s.kind == "investigation"
                     else records.SESSION_RECORD, "complete": bool(s.notes), "session": s.id} for s in d.sessions]
        elif k.kind == "follow_up_record":
            out += [{"kind": k.kind, "title": k.title(d), "complete": True, "follow_up": f.id} for f in d.follow_ups]
        else:
            out.append({"kind": k.kind, "title": k.title(d), "complete": bool(k.complete(d))})
    return out


def _one(items: list, wanted: Optional[int], name: str):
    if wanted is None:
        if not items:
            raise NotFound(f"no {name} on this dispute")
        return items[-1]
    for item in items:
        if item.id == wanted:
            return item
    raise NotFound(f"no such {name} on this dispute")


def render_document(dispute_id: int, kind: str, actor: Optional[User], session: Optional[int] = None,
                    follow_up: Optional[int] = None, at: Optional[datetime] = None) -> Rendered:
    """One document as .docx; NotFound for a kind the dispute does not have now."""
    if kind == "oral_agreement":  # API.md's older name: the oral agreement's form, under the same kind
        kind = "agreement"
    if kind not in KINDS:
        raise NotFound(f"no such document kind: {kind}")
    at = at or clock_now()
    with unit_of_work() as s:
        d = cases.load_dispute(dispute_id, actor)
        if not KINDS[kind].available(d):
            raise NotFound(f"this dispute has no {kind} now")
        ctx = Context.of(d, actor, at)
        if kind == "session_record":
            item = _one(d.sessions, session, "session")
            form, suffix = records.session_record(ctx, item), f"-{item.id}"
        elif kind == "follow_up_record":
            item = _one(d.follow_ups, follow_up, "follow-up")
            form, suffix = records.follow_up_record(ctx, item), f"-{item.id}"
        else:
            form, suffix = RENDERERS[kind](ctx), ""
        _record_download(s, ctx, kind, at)
        return Rendered(f"{d.id}-{kind}{suffix}.docx", form.bytes())


RENDERERS = {
    "application": intake.application, "registration": intake.registration, "rights_notice": intake.rights_notice,
    "agreement": agreement.render, "confirmation_application": notices.confirmation_application,
    "rejection_notice": notices.rejection_notice, "termination_notice": notices.termination_notice,
}


def _record_download(session, ctx: Context, kind: str, at: datetime) -> None:
    if ctx.reveal and kind in WITH_ID_NUMBERS and any(p.id_number for p in ctx.dispute.parties):
        trail.record_access(session, ctx.dispute, ctx.actor, "download", at, document=kind)


def render_casefile(dispute_id: int, actor: Optional[User], format: str = "docx",
                    at: Optional[datetime] = None) -> Rendered:
    """The whole 卷宗 as one .docx (cover, contents with PAGEREF fields, the documents and the
    attached images, back cover); `format="zip"`: the .docx with the attached PDFs beside it."""
    at = at or clock_now()
    with unit_of_work() as s:
        d = cases.load_dispute(dispute_id, actor)
        ctx = Context.of(d, actor, at)
        files = [(a, attachments.content_of(a)) for a in attachments.attachments_of(d.id)]
        content = casefile.build(ctx, RENDERERS, KINDS, files)
        _record_download(s, ctx, "casefile", at)
        name = f"{d.id}-casefile"
        if format != "zip":
            return Rendered(name + ".docx", content)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name + ".docx", content)
            for row, data in files:
                if row.content_type == "application/pdf":
                    archive.writestr(f"attachments/{row.id}-{row.filename}", data)
        return Rendered(name + ".zip", buffer.getvalue(), "application/zip")


def check_casefile(dispute_id: int, actor: Optional[User]) -> dict:
    """`{"complete", "items": [{"item", "required", "present"}]}` against the Ministry's list."""
    d = cases.load_dispute(dispute_id, actor)
    return casefile.check(d, [a.category for a in attachments.attachments_of(d.id)])


def list_incomplete(actor: Optional[User], org: Optional[str] = None, page: int = 1, per_page: int = 50) -> dict:
    """Concluded disputes in scope whose case files lack a required item, newest conclusion first:
    `{items: [{"id", "case_number", "committee", "concluded_at", "missing": [item…]}], total, page, per_page}`.
    For supervisors and administrators (mediators: 403)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from mediation.common import access
    from mediation.extensions import db
    from mediation.orgs.tree import get_org

    access.require_manager(actor)
    query = select(Dispute).where(access.disputes_clause(actor), Dispute.concluded_at.is_not(None))
    if org:
        query = query.where(Dispute.committee_id.in_(access.committees_in(get_org(org, actor))))
    query = query.options(selectinload(Dispute.parties), selectinload(Dispute.sessions),
                          selectinload(Dispute.agreements)).order_by(Dispute.concluded_at.desc(), Dispute.id.desc())
    from mediation.models import Attachment

    rows = list(db.session.scalars(query))
    categories: dict[int, list[str]] = {}
    for dispute_id, category in db.session.execute(select(Attachment.dispute_id, Attachment.category)
                                                   .where(Attachment.dispute_id.in_([d.id for d in rows]))):
        categories.setdefault(dispute_id, []).append(category)
    missing: list[dict] = []
    for d in rows:
        result = casefile.check(d, categories.get(d.id, ()))
        if not result["complete"]:
            missing.append({"id": d.id, "case_number": d.case_number, "committee": d.committee.code,
                            "concluded_at": d.concluded_at,
                            "missing": [i["item"] for i in result["items"] if i["required"] and not i["present"]]})
    start = (page - 1) * per_page
    return {"items": missing[start:start + per_page], "total": len(missing), "page": page, "per_page": per_page}
