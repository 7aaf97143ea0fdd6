"""Attachments (附件): scanned IDs, evidence, receipts, as images (JPEG, PNG) or PDF.

The content is checked by what it is, not by its name (Pillow opens and verifies an image; a PDF
starts with `%PDF-`), hashed (SHA-256) and stored outside the database, encrypted with Fernet
(AES-128-CBC + HMAC) under `ATTACHMENTS_KEY`: from the environment, or else a key generated once
under the instance folder (`instance/attachments.key`). This key is for attachments only, apart
from any key that protects party data in the database. Files live under `ATTACHMENTS_DIR`
(default `instance/attachments/`), named by a random key that says nothing about the dispute.
"""
from __future__ import annotations

import hashlib
import io
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from mediation.common.clock import now as clock_now
from mediation.common.errors import NotFound, ValidationError
from mediation.disputes import cases
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import Attachment, User
from mediation.models.attachment import ATTACHMENT_CATEGORIES

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


class AttachmentDamaged(RuntimeError):
    """The stored file no longer decrypts or no longer matches its checksum."""


def _fernet() -> Fernet:
    key = current_app.config.get("ATTACHMENTS_KEY")
    if not key:
        path = Path(current_app.instance_path) / "attachments.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
        key = path.read_bytes().strip()
    return Fernet(key)


def _directory() -> Path:
    folder = Path(current_app.config.get("ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def content_type_of(data: bytes) -> Optional[str]:
    """`image/jpeg`, `image/png` or `application/pdf` judged by the content; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    return IMAGE_FORMATS.get(kind or "")


def add_attachment(dispute_id: int, filename: str, data: bytes, category: str, actor: Optional[User],
                   at: Optional[datetime] = None) -> Attachment:
    """Stores one attachment; refuses an empty file, an unknown category or content that is neither
    an image nor a PDF (validation_error, nothing stored)."""
    problems: dict[str, str] = {}
    if category not in ATTACHMENT_CATEGORIES:
        problems["category"] = "must be one of " + ", ".join(ATTACHMENT_CATEGORIES)
    content_type = content_type_of(data) if data else None
    if not data:
        problems["file"] = "is empty"
    elif content_type is None:
        problems["file"] = "must be a JPEG or PNG image or a PDF"
    name = Path((filename or "").replace("\\", "/")).name.strip()[:255] or "attachment"
    with unit_of_work() as session:
        dispute = cases.load_dispute(dispute_id, actor)
        cases.ensure_may_act(actor, dispute)
        if problems:
            raise ValidationError(problems)
        key = secrets.token_hex(16)
        (_directory() / f"{key}.bin").write_bytes(_fernet().encrypt(data))
        row = Attachment(dispute_id=dispute.id, category=category, filename=name, content_type=content_type,
                         size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
                         uploaded_by_id=actor.id if actor else None, uploaded_at=at or clock_now())
        session.add(row)
        session.flush()
    return row


def attachments_of(dispute_id: int) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.dispute_id == dispute_id)
                                   .order_by(Attachment.id)))


def list_attachments(dispute_id: int, actor: Optional[User]) -> list[Attachment]:
    dispute = cases.load_dispute(dispute_id, actor)
    return attachments_of(dispute.id)


def content_of(row: Attachment) -> bytes:
    """The decrypted content, checked against its SHA-256."""
    try:
        data = _fernet().decrypt((_directory() / f"{row.storage_key}.bin").read_bytes())
    except (OSError, InvalidToken) as exc:
        raise AttachmentDamaged(f"attachment {row.id} cannot be read") from exc
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise AttachmentDamaged(f"attachment {row.id} does not match its checksum")
    return data


def read_attachment(dispute_id: int, attachment_id: int, actor: Optional[User]) -> tuple[Attachment, bytes]:
    dispute = cases.load_dispute(dispute_id, actor)
    row = db.session.get(Attachment, attachment_id)
    if row is None or row.dispute_id != dispute.id:
        raise NotFound("no such attachment")
    return row, content_of(row)
