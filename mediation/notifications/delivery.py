"""Email delivery of notifications (邮件发送): exactly once in the normal case, nothing lost.

`deliver_many(ids)` (the `mediation.deliver_notifications` task) and `deliver(id)` (inline, e.g.
`reports weekly --send`) send the pending email rows among the given ids:

- one message per row, except `supervisor_overdue`: a supervisor's rows go out as ONE digest;
- a `weekly_report` row sends the message rendered when it was queued (`PreparedMessage`, made by
  reports/weekly_email.py): delivery computes no report while it holds rows locked; the others
  are built from the per-locale templates under templates/email/ (Chinese, English for users
  whose locale is `en`);
- each message is sent while its rows are locked (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL,
  the BEGIN IMMEDIATE write lock on SQLite) and only while they are still `pending`; the rows
  are marked `sent` in the same transaction right after the SMTP server accepted the message.
  A second task, a retry or a restarted worker finds them sent and sends nothing.

Failures. The SMTP server unreachable (refused, timed out, disconnected, 421) is an outage: it
is recorded in `last_error` but costs the rows no attempt, they stay pending and go out once the
server is back (task retries with exponential backoff, then every reminder scan). A 4xx answer
to the message counts an attempt and is retried with backoff; after MAIL_MAX_ATTEMPTS attempts,
or at once on a 5xx answer, the row is `failed` and stays failed (notify.failed_notifications
shows them to administrators); scans do not queue failed rows again.

Residual risk: a worker killed after the server accepted a message and before the commit (a few
milliseconds: one UPDATE and COMMIT) leaves the row pending, and it is sent again. The message
keeps the same Message-ID every time, so mail clients and archives can recognise the duplicate.
On SQLite the write lock is held during the SMTP exchange (bounded by MAIL_TIMEOUT); production
runs PostgreSQL, where only the rows themselves are locked.
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import random
import smtplib
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message as EmailMessageMIME
from typing import Any, Optional

from flask import current_app
from flask_mailman import EmailMessage, EmailMultiAlternatives
from flask_mailman.backends.file import EmailBackend as FileEmailBackend
from flask_mailman.message import MIMEMixin
from sqlalchemy import select

from mediation.common.clock import LOCAL
from mediation.common.clock import now as clock_now
from mediation.common.personal import redact
from mediation.disputes.deadlines import overdue_days
from mediation.extensions import db, mail
from mediation.infra.database import is_postgres, unit_of_work
from mediation.models import Deadline, Dispute, Notification, PreparedMessage, User
from mediation.models.enums import DISPUTE_TYPES

log = logging.getLogger(__name__)

LOCALES = ("zh", "en")
SUMMARY_CHARS = 200


# -- outcome ---------------------------------------------------------------------------------------
@dataclass
class DeliveryReport:
    """What one delivery run did with the ids it was given."""

    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)  # still pending after a transient failure or an outage
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # already sent or failed, in_app, or locked by another worker
    outage: bool = False
    outage_text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"sent": len(self.sent), "retry": len(self.retry), "failed": len(self.failed),
                "skipped": len(self.skipped), "outage": self.outage}


def classify(exc: BaseException) -> tuple[str, str]:
    """("outage" | "transient" | "permanent", description) of a failure to send one message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        text = "; ".join(f"{code} {_text(message)}" for code, message in answers) or "recipients refused"
        permanent = answers and all(500 <= code < 600 for code, _ in answers)
        return ("permanent" if permanent else "transient"), text
    if isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError)):
        return "outage", f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        if exc.smtp_code == 421:  # the server is closing the connection: an outage, not the message's fault
            return "outage", text
        return ("permanent" if 500 <= exc.smtp_code < 600 else "transient"), text
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
        return "outage", f"{exc.__class__.__name__}: {exc}"
    if isinstance(exc, smtplib.SMTPException):
        return "transient", f"{exc.__class__.__name__}: {exc}"
    raise exc


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def max_attempts() -> int:
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))


def retry_delay(retries: int) -> float:
    """Exponential backoff for the `retries`-th retry: MAIL_RETRY_DELAY · 2^retries, capped, ±15 % jitter."""
    base = float(current_app.config.get("MAIL_RETRY_DELAY", 30))
    cap = float(current_app.config.get("MAIL_RETRY_MAX_DELAY", 600))
    return min(cap, base * 2 ** max(retries, 0)) * random.uniform(0.85, 1.15)


# -- the outbox: files under instance/outbox/ when no MAIL_SERVER is configured -----------------------
class OutboxBackend(FileEmailBackend):
    """One .eml file per message, written whole (temporary file, fsync, rename): nothing half-written,
    nothing lost, each file readable by any mail tool."""

    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages or []:
            if not message.recipients():
                continue
            data = message.message().as_bytes(linesep="\r\n")
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
            fd, tmp = tempfile.mkstemp(dir=self.file_path, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, os.path.join(self.file_path, name))
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            count += 1
        return count


def connection():
    """A mail connection as configured: SMTP with MAIL_SERVER, else the outbox under instance/outbox/."""
    if current_app.config.get("MAIL_BACKEND") == "file":
        return mail.get_connection(backend=OutboxBackend, file_path=current_app.config["MAIL_FILE_PATH"])
    return mail.get_connection()


# -- delivery --------------------------------------------------------------------------------------
def deliver(notification_id: int, at: Optional[datetime] = None) -> bool:
    """Delivers one email notification now; True when it is sent (by this call or already before).

    False when it failed, is not an email row, or stays pending after a transient failure (the
    error is in `last_error`; the next reminder scan queues it again).
    """
    report = deliver_many([notification_id], at=at)
    if notification_id in report.sent:
        return True
    status = db.session.scalar(select(Notification.status).where(Notification.id == notification_id,
                                                                   Notification.channel == "email"))
    return status == "sent"


def deliver_many(notification_ids: list[int], at: Optional[datetime] = None) -> DeliveryReport:
    """Sends the pending email rows among `notification_ids`, each message at most once (see module doc)."""
    report = DeliveryReport()
    groups = _plan(sorted(set(int(i) for i in notification_ids)), report)
    if not groups:
        return report
    backend = connection()
    try:
        try:
            backend.open()
        except Exception as exc:  # noqa: BLE001 - classify() re-raises what is not a mail failure
            _record_outage([n for g in groups for n in g], classify(exc)[1], report)
            return report
        for index, group in enumerate(groups):
            if _deliver_group(backend, group, at, report) == "outage":
                _record_outage([n for g in groups[index + 1:] for n in g], report.outage_text, report)
                break
    finally:
        try:
            backend.close()
        except Exception:  # noqa: BLE001 - the server went away; nothing more to say to it
            pass
    return report


def _plan(ids: list[int], report: DeliveryReport) -> list[list[int]]:
    """The messages to send: one per row, a supervisor's overdue rows together as one digest."""
    rows = db.session.execute(select(Notification.id, Notification.kind, Notification.recipient_id,
                                     Notification.address, Notification.channel, Notification.status)
                              .where(Notification.id.in_(ids)).order_by(Notification.id)).all()
    found = {r.id for r in rows}
    report.skipped.extend(i for i in ids if i not in found)
    groups: list[list[int]] = []
    digests: dict[tuple, list[int]] = {}
    for row in rows:
        if row.channel != "email" or row.status != "pending":
            report.skipped.append(row.id)
        elif row.kind == "supervisor_overdue":
            digests.setdefault((row.recipient_id, (row.address or "").lower()), []).append(row.id)
        else:
            groups.append([row.id])
    return groups + list(digests.values())


def _lock_pending(ids: list[int]) -> list[Notification]:
    """The rows among `ids` still pending, locked until the transaction ends; rows another worker is
    sending right now are skipped (PostgreSQL). On SQLite the unit of work holds the write lock."""
    query = (select(Notification).where(Notification.id.in_(ids), Notification.status == "pending",
                                        Notification.channel == "email")
             .order_by(Notification.id).execution_options(populate_existing=True))
    if is_postgres():
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def _deliver_group(backend, ids: list[int], at: Optional[datetime], report: DeliveryReport) -> str:
    """Sends one message for the rows `ids`; returns "sent", "skipped", "retry", "failed" or "outage"."""
    with unit_of_work():
        rows = _lock_pending(ids)
        if not rows:
            report.skipped.extend(ids)
            return "skipped"
        report.skipped.extend(sorted(set(ids) - {r.id for r in rows}))
        now = at or clock_now()
        try:
            message = build_message(rows, now)
        except Exception as exc:  # a row that cannot be rendered would fail the same way forever
            log.exception("could not build the email for notifications %s", [r.id for r in rows])
            _mark(rows, "failed", f"could not build the message: {exc.__class__.__name__}: {exc}", report)
            return "failed"
        try:
            accepted = backend.send_messages([message])
        except Exception as exc:  # noqa: BLE001 - classify() re-raises what is not a mail failure
            verdict, text = classify(exc)
        else:
            if accepted:
                for row in rows:
                    row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
                report.sent.extend(r.id for r in rows)
                return "sent"
            verdict, text = "permanent", "the message has no recipient address"
        if verdict == "outage":
            for row in rows:
                row.last_error = _clip(f"mail server unavailable: {text}")
            report.retry.extend(r.id for r in rows)
            report.outage, report.outage_text = True, text
            return "outage"
        limit = max_attempts()
        for row in rows:
            row.attempts += 1
        if verdict == "permanent" or all(r.attempts >= limit for r in rows):
            _mark(rows, "failed", text, report)
            return "failed"
        _mark(rows, "pending", text, report)
        return "retry"


def _mark(rows: list[Notification], status: str, text: str, report: DeliveryReport) -> None:
    for row in rows:
        row.status, row.last_error = status, _clip(text)
    (report.failed if status == "failed" else report.retry).extend(r.id for r in rows)
    if status == "failed":
        log.warning("email notifications %s failed for good: %s", [r.id for r in rows], _clip(text))


def _record_outage(ids: list[int], text: str, report: DeliveryReport) -> None:
    """The server could not be reached: the rows stay pending, no attempt is counted."""
    report.outage = True
    report.outage_text = text
    if not ids:
        return
    with unit_of_work() as session:
        for row in session.scalars(select(Notification).where(Notification.id.in_(ids),
                                                              Notification.status == "pending")):
            row.last_error = _clip(f"mail server unavailable: {text}")
    report.retry.extend(ids)
    log.warning("mail server unavailable (%s); %d notification(s) stay pending", text, len(ids))


def _clip(text: str) -> str:
    return (redact(text) or "")[:500]


# -- messages --------------------------------------------------------------------------------------
def build_message(rows: list[Notification], now: datetime) -> EmailMultiAlternatives:
    """The email for these rows (one row, or a supervisor's overdue rows for a digest)."""
    first = rows[0]
    if first.kind == "weekly_report":
        message = prepared_email(first)
    else:
        recipient = db.session.get(User, first.recipient_id) if first.recipient_id else None
        locale = recipient.locale if recipient is not None and recipient.locale in LOCALES else "zh"
        context = {"name": (recipient.display_name or recipient.username) if recipient else "",
                   "base_url": current_app.config.get("BASE_URL", "").rstrip("/")}
        if first.kind == "supervisor_overdue":
            items = sorted((_case(row, now, locale) for row in rows), key=lambda c: (c["due_at"], c["case_number"]))
            subject, text, html = render("digest", locale, items=items, **context)
        else:
            subject, text, html = render(first.kind if first.kind == "risk_alert" else "deadline", locale,
                                         kind=first.kind, case=_case(first, now, locale), **context)
        # whatever a name held, the subject is one line (a line break in a header would fail the send),
        # and personal data in any text part is masked (the weekly e-mail does the same when it is prepared)
        message = EmailMultiAlternatives(redact(" ".join(subject.split())), redact(text), to=[first.address])
        message.attach_alternative(redact(html), "text/html")
    message.extra_headers.setdefault("Message-ID", _message_id(rows))
    message.extra_headers.setdefault("Auto-Submitted", "auto-generated")  # RFC 3834: no auto-replies
    message.extra_headers["X-Mediation-Notification"] = ",".join(str(r.id) for r in rows)
    return message


class _PreparedMIME(MIMEMixin, EmailMessageMIME):
    """A stored message parsed back, written out as Flask-Mailman's own messages are."""


class PreparedEmail(EmailMessage):
    """A message rendered when it was queued (`PreparedMessage`), sent to one address as it is."""

    def __init__(self, mime: bytes, to: list[str]) -> None:
        super().__init__(to=to)
        self.mime = mime

    def message(self):
        msg = message_from_bytes(self.mime, _class=_PreparedMIME)
        del msg["To"]
        msg["To"] = ", ".join(self.to)
        for name, value in self.extra_headers.items():
            del msg[name]
            msg[name] = value
        if msg["From"] is None:
            msg["From"] = self.from_email
        return msg


def prepared_email(row: Notification) -> PreparedEmail:
    """The stored message a notification names (`payload["prepared_id"]`), to the row's address."""
    prepared = db.session.get(PreparedMessage, (row.payload or {}).get("prepared_id") or 0)
    if prepared is None:
        raise LookupError(f"notification {row.id}: its message was not prepared when it was queued")
    return PreparedEmail(prepared.mime, [row.address])


def render(template: str, locale: str, **context: Any) -> tuple[str, str, str]:
    """(subject, text, html) from templates/email/<template>.<locale>.txt and .html; the subject is
    the text template's top-level `subject` variable."""
    env = current_app.jinja_env
    module = env.get_template(f"email/{template}.{locale}.txt").make_module(context)
    html = env.get_template(f"email/{template}.{locale}.html").render(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    return subject, str(module).strip() + "\n", html


def _case(row: Notification, now: datetime, locale: str) -> dict[str, Any]:
    """What an email may say about the row's dispute and deadline: no party data, free text redacted."""
    dispute = db.session.get(Dispute, row.dispute_id) if row.dispute_id else None
    deadline = db.session.get(Deadline, row.deadline_id) if row.deadline_id else None
    summary = redact(dispute.summary) if dispute is not None else ""
    if summary and len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS].rstrip() + "…"
    case: dict[str, Any] = {
        "case_number": dispute.case_number if dispute else (row.payload or {}).get("case_number", ""),
        "committee": dispute.committee.name if dispute else "",
        "dispute_type": (DISPUTE_TYPES.get(dispute.dispute_type, dispute.dispute_type) if locale == "zh"
                         else dispute.dispute_type.replace("_", " ")) if dispute else "",
        "risk_level": dispute.risk_level if dispute else None,
        "summary": summary,
        "link": f"{current_app.config.get('BASE_URL', '').rstrip('/')}/disputes/{row.dispute_id}",
        "due_at": None,
    }
    if deadline is not None:
        remaining = (deadline.due_at - now) / timedelta(days=1)
        case.update(deadline_kind=deadline.kind, deadline_status=deadline.status, due_at=deadline.due_at,
                    due_local=deadline.due_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M"),
                    days_left=max(0, math.ceil(remaining)), days_overdue=max(1, overdue_days(deadline.due_at, now)))
    return case


def _message_id(rows: list[Notification]) -> str:
    """The same Message-ID every time these rows are sent, so a duplicate can be recognised."""
    sender = str(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    domain = sender.rsplit("@", 1)[-1].strip("> ") if "@" in sender else "mediation.local"
    keys = ",".join(r.dedupe_key for r in rows)
    return f"<notification-{rows[0].id}.{hashlib.sha1(keys.encode()).hexdigest()[:16]}@{domain}>"
