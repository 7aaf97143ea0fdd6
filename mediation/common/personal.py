"""Personal data (个人信息): validation of resident ID and phone numbers, and the one masking helper.

Every path by which an ID or phone number leaves the service layer (API, web, reports, emails,
logs) goes through `mask_id_number` / `mask_phone`.
"""
from __future__ import annotations

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII digits only (\d would take ０-９)
_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE_RE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")


def normalise_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_problem(value: str) -> str | None:
    """None when `value` is a valid 18-character resident ID (GB 11643), else what is wrong."""
    v = normalise_id_number(value)
    if not _ID_RE.match(v):
        return "must be 18 characters: 17 digits and a digit or X"
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "the birth date in the ID number is not a date"
    if born.year < 1900 or born > date.today():
        return "the birth date in the ID number is out of range"
    total = sum(int(c) * w for c, w in zip(v[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != v[17]:
        return "the check digit does not match"
    return None


def normalise_phone(value: str) -> str:
    """Drops spaces, brackets and the +86/0086 prefix; a mobile number loses its dashes too."""
    v = re.sub(r"[\s()（）]", "", value.strip())
    for prefix in ("+86", "0086"):
        if v.startswith(prefix):
            v = v[len(prefix):].lstrip("-")
            break
    digits = v.replace("-", "")
    return digits if _MOBILE_RE.match(digits) else v


def phone_problem(value: str) -> str | None:
    """None for a mainland mobile number (or a landline with area code), else what is wrong."""
    v = normalise_phone(value)
    if _MOBILE_RE.match(v) or _LANDLINE_RE.match(v):
        return None
    return "must be a mainland mobile number (11 digits starting 13–19) or a landline with area code"


def mask_id_number(value: str | None) -> str | None:
    """`330102198001010018` → `3301**********0018`."""
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """`13912345678` → `139****5678`."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
# 13800138000, 138 0013 8000, 138-0013-8000, +8613800138000, +86 138…, 0086-138…
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[-\s]?)?(1[3-9][0-9])[-\s]?([0-9]{4})[-\s]?([0-9]{4})(?![0-9])")


def redact(text: str | None) -> str | None:
    """Masks any resident ID or mobile number inside free text (summaries, notes, log lines)."""
    if not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0).upper()), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone("".join(m.groups())), text)
