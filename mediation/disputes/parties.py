"""The parties' personal data (当事人个人信息): finding a person, and showing numbers in full.

ID and phone numbers are encrypted at rest and masked wherever they leave the service layer. The
exceptions are here, and each one leaves a record: a search by number (`access_log`, there is no
dispute to hang it on), a reveal and a download with full ID numbers (access records in the
dispute's trail, through `trail.record_access`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from mediation.common import access
from mediation.common.clock import now as clock_now
from mediation.common.errors import NotFound, ValidationError
from mediation.common.paging import paginate
from mediation.common.personal import mask_id_number, mask_phone, normalise_id_number, normalise_phone
from mediation.disputes import trail
from mediation.disputes.cases import load_dispute
from mediation.extensions import db
from mediation.infra.database import unit_of_work
from mediation.models import AccessLog, Dispute, Party, User, crypto
from mediation.models.dispute import normalised_for_index

SEARCH_KINDS = ("id_number", "phone")
DOWNLOAD_PURPOSES = ("agreement", "oral_agreement", "casefile", "document", "print")


@dataclass(frozen=True)
class PartyInFull:
    """A party with its ID and phone numbers as stored (only for those allowed to reveal)."""

    id: int
    dispute_id: int
    role: str
    kind: str
    name: str
    id_number: Optional[str]
    phone: Optional[str]
    address: Optional[str]


def _in_full(party: Party) -> PartyInFull:
    return PartyInFull(party.id, party.dispute_id, party.role, party.kind, party.name, party.id_number, party.phone,
                       party.address)


def may_reveal(actor: Optional[User], dispute: Dispute) -> bool:
    """Mediators of the handling committee (or assigned to the case), supervisors whose scope holds it,
    administrators (an administrator with an org: within it). Everyone else does not see the dispute."""
    return access.can_see_dispute(actor, dispute)


def search_disputes_by_person(actor: Optional[User], id_number: Optional[str] = None, phone: Optional[str] = None,
                              page: int = 1, per_page: int = 50, at: Optional[datetime] = None) -> dict[str, Any]:
    """The disputes in `actor`'s scope where a party has exactly this ID number or phone (through the
    blind index); the search is recorded in the access log with the number masked."""
    given = {k: v for k, v in (("id_number", id_number), ("phone", phone)) if v is not None}
    if len(given) != 1:
        raise ValidationError({"id_number": ["give exactly one of id_number and phone"]})
    (kind, value), = given.items()
    value = value if isinstance(value, str) else ""
    normal = normalised_for_index(kind, normalise_id_number(value) if kind == "id_number" else normalise_phone(value))
    if normal is None:
        raise ValidationError({kind: ["is required"]})
    if len(normal) > 32:
        raise ValidationError({kind: ["is too long"]})
    column = Party.id_number_index if kind == "id_number" else Party.phone_index
    indexes = crypto.current().blind_indexes(normal, kind)
    matching = select(Party.dispute_id).where(column.in_(indexes))
    query = (select(Dispute).where(access.disputes_clause(actor), Dispute.id.in_(matching))
             .options(selectinload(Dispute.parties), selectinload(Dispute.assignments),
                      selectinload(Dispute.deadlines), selectinload(Dispute.agreements),
                      selectinload(Dispute.follow_ups), selectinload(Dispute.sessions))
             .order_by(Dispute.received_at.desc(), Dispute.id.desc()))
    with unit_of_work() as session:
        result = paginate(query, page, per_page)
        masked = mask_id_number(normal) if kind == "id_number" else mask_phone(normal)
        session.add(AccessLog(actor_id=actor.id if actor else None, at=at or clock_now(), action="search",
                              query=f"{kind}={masked}", results=result["total"]))
    return result


def reveal_party(dispute_id: int, party_id: int, actor: Optional[User], at: Optional[datetime] = None) -> PartyInFull:
    """The party with its numbers in full, recorded as a `reveal` access record in the dispute's trail.
    Outside scope, or a party of another dispute: NotFound."""
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor)
        if not may_reveal(actor, dispute):
            raise NotFound("no such dispute")
        party = next((p for p in dispute.parties if p.id == party_id), None)
        if party is None:
            raise NotFound("no such party")
        trail.record_access(session, dispute, actor, "reveal", at or clock_now(), party_id=party.id)
        return _in_full(party)


def parties_in_full(dispute_id: int, actor: Optional[User], purpose: str,
                    at: Optional[datetime] = None) -> list[PartyInFull]:
    """Every party of the dispute with full numbers, for a document or page that prints them (the
    agreement, the case file): recorded as one `download` access record naming the purpose.
    Those not allowed to reveal get NotFound (they do not see the dispute)."""
    if purpose not in DOWNLOAD_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}; one of {', '.join(DOWNLOAD_PURPOSES)}")
    with unit_of_work() as session:
        dispute = load_dispute(dispute_id, actor)
        if not may_reveal(actor, dispute):
            raise NotFound("no such dispute")
        parties = [_in_full(p) for p in dispute.parties]
        trail.record_access(session, dispute, actor, "download", at or clock_now(), purpose=purpose,
                            party_ids=[p.id for p in parties])
        return parties


def parties_masked(dispute: Dispute) -> list[PartyInFull]:
    """Every party with masked numbers (for those who may not reveal, or documents that need none)."""
    return [PartyInFull(p.id, p.dispute_id, p.role, p.kind, p.name, mask_id_number(p.id_number),
                        mask_phone(p.phone), p.address) for p in dispute.parties]


# -- key rotation ----------------------------------------------------------------------------------
RESEAL_BATCH = 2000


def reseal_all(batch: int = RESEAL_BATCH) -> dict[str, int]:
    """Re-encrypts every party's numbers under the active data key and recomputes every blind index
    with it, in batches of `batch` rows (one transaction each, so a long run holds no lock for long
    and can be run again after an interruption). Returns {"rows": seen, "resealed": re-encrypted}."""
    ring = crypto.current()
    active = ring.active.key_id
    seen = resealed = 0
    last = 0
    while True:
        with unit_of_work() as session:
            rows = session.execute(text("SELECT id, id_number, phone, id_number_index, phone_index FROM party "
                                        "WHERE id > :last ORDER BY id LIMIT :n"), {"last": last, "n": batch}).all()
            if not rows:
                break
            last = rows[-1][0]
            updates = []
            for row_id, id_number, phone, id_index, phone_index in rows:
                values: dict[str, Any] = {"id": row_id}
                changed = False
                for kind, stored, index in (("id_number", id_number, id_index), ("phone", phone, phone_index)):
                    plain = crypto.unseal(stored, f"party.{kind}")
                    if stored is not None and crypto.KeyRing.key_id_of(stored) != active:
                        stored, changed = ring.encrypt(plain, f"party.{kind}"), True
                    normal = normalised_for_index(kind, plain)
                    fresh = None if normal is None else ring.blind_index(normal, kind)
                    changed = changed or fresh != index
                    values[kind], values[f"{kind}_index"] = stored, fresh
                if changed:
                    updates.append(values)
            if updates:
                session.execute(text("UPDATE party SET id_number = :id_number, phone = :phone, "
                                     "id_number_index = :id_number_index, phone_index = :phone_index "
                                     "WHERE id = :id"), updates)
            seen += len(rows)
            resealed += len(updates)
    return {"rows": seen, "resealed": resealed}


def rows_per_key() -> dict[str, int]:
    """How many stored values each key id protects (a key no value needs can be retired)."""
    counts: dict[str, int] = {}
    dialect = db.session.get_bind().dialect.name
    for column in ("id_number", "phone"):
        if dialect == "postgresql":
            expr = f"split_part({column}, ':', 1)"
        else:
            expr = f"substr({column}, 1, instr({column}, ':') - 1)"
        query = f"SELECT {expr}, count(*) FROM party WHERE {column} IS NOT NULL GROUP BY 1"  # nosec B608
        for key_id, n in db.session.execute(text(query)).all():
            counts[key_id] = counts.get(key_id, 0) + n
    return counts
