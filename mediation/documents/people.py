"""What a document shows of the parties, and whether this caller may see their ID numbers in full.

Full ID numbers are for those allowed to reveal: the mediators of the handling committee, the
supervisors whose scope holds the dispute and administrators (who see the dispute at all). Everyone
else gets them masked; phones likewise. Sex and age are read from a resident ID number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from mediation.common import access
from mediation.common.personal import id_number_problem, mask_id_number, mask_phone
from mediation.models import Dispute, Party, User

ROLE_NAMES = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}


def may_reveal(actor: Optional[User], dispute: Dispute) -> bool:
    """Mediators of the handling committee, supervisors in scope, administrators."""
    if not access.can_see_dispute(actor, dispute):
        return False
    if access.is_global(actor) or actor.role in ("admin", "supervisor"):
        return True
    return actor.role == "mediator" and actor.committee_id == dispute.committee_id


def sex_and_age(id_number: Optional[str], on: date) -> tuple[str, str]:
    """(`男`/`女`, age in years on `on`) from a valid resident ID number; blanks otherwise."""
    if not id_number or id_number_problem(id_number) is not None:
        return "", ""
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return ("男" if int(id_number[16]) % 2 else "女"), str(age)


@dataclass(frozen=True)
class Particulars:
    role: str
    name: str
    kind: str
    sex: str
    age: str
    id_number: str
    phone: str
    address: str
    ethnicity: str = ""
    occupation: str = ""


SEX_NAMES = {"male": "男", "female": "女"}


def particulars(party: Party, on: date, reveal: bool) -> Particulars:
    sex, age = sex_and_age(party.id_number, on) if party.kind == "person" else ("", "")
    sex = SEX_NAMES.get(party.sex or "", sex)
    id_number = party.id_number if reveal else mask_id_number(party.id_number)
    phone = party.phone if reveal else mask_phone(party.phone)
    # the address is the party's own particular: shown as entered, like the name
    return Particulars(ROLE_NAMES.get(party.role, party.role), party.name, party.kind, sex, age,
                       id_number or "", phone or "", party.address or "", party.ethnicity or "",
                       party.occupation or "")
