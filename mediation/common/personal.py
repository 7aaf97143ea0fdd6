"""Personal data (个人信息): validation of resident ID and phone numbers, and the one masking helper.

Every path by which an ID or phone number leaves the service layer (API, web, reports, emails,
logs) goes through `mask_id_number` / `mask_phone`.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import unquote_plus

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


# Personal data inside free text. Separators people type inside a number: a space (a `+` in a URL
# decodes to one) or a dash. Digits glued to letters or other digits are left alone (order
# numbers, amounts, case numbers).
_SEP = r"[ \t\-]?"
_NOT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_AFTER = r"(?![0-9A-Za-z])"
# 18-digit resident IDs: 330102198001010018, 330102 19800101 0018, 3301-0219-8001-0100-18 is not a
# spelling anyone uses; groups of 6-8-4 or 6-4-4-4 are.
_ID18_IN_TEXT = re.compile(_NOT_BEFORE + r"([0-9]{6})" + _SEP + r"([0-9]{4})" + _SEP + r"([0-9]{4})" + _SEP
                           + r"([0-9]{3}[0-9Xx])" + _NOT_AFTER)
# 15-digit (first-generation) IDs: area code, YYMMDD, sequence; the month and day must be plausible.
_ID15_IN_TEXT = re.compile(_NOT_BEFORE + r"([0-9]{6})" + _SEP + r"([0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))"
                           + _SEP + r"([0-9]{3})" + _NOT_AFTER)
# Mobiles: 13800138000, 138 0013 8000, 138-0013-8000, +8613800138000, +86 138…, 0086-138…, 86 138…
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[ \t\-]?)?(1[3-9][0-9])" + _SEP + r"([0-9]{4})" + _SEP
                             + r"([0-9]{4})(?![0-9])")
# Landlines with an area code: 0571-88886666, (0571)88886666, （0571）8888 6666, 010-12345678,
# 0571 88886666, +86 571 88886666, 0086-10-12345678; an extension (-801) stays.
_LANDLINE_IN_TEXT = re.compile(
    r"(?<![0-9])(?:(?:\+|00)86[ \t\-]?[(（]?0?(?P<intl>[1-9][0-9]{1,2})[)）]?|[(（]?(?P<area>0[1-9][0-9]{1,2})[)）]?)"
    r"[ \t\-]?(?P<local>[1-9][0-9]{2,3}[ \t\-]?[0-9]{4})(?![0-9])")


def _mask_landline(m: re.Match) -> str:
    area = m.group("area") or "0" + m.group("intl")
    local = re.sub(r"[ \t\-]", "", m.group("local"))
    return area + "-" + "*" * (len(local) - 4) + local[-4:]


def redact(text: str | None) -> str | None:
    """Masks resident IDs (18 and 15 digits), mobile and landline numbers inside free text
    (summaries, addresses, notes, event payloads, e-mails, reports, log lines)."""
    if not text:
        return text
    text = _ID18_IN_TEXT.sub(lambda m: mask_id_number("".join(m.groups()).upper()), text)
    text = _ID15_IN_TEXT.sub(lambda m: mask_id_number("".join(m.groups())), text)
    text = _MOBILE_IN_TEXT.sub(lambda m: mask_phone("".join(m.groups())), text)
    return _LANDLINE_IN_TEXT.sub(_mask_landline, text)


def redact_url(text: str | None) -> str | None:
    """`redact` for text that may hold URLs as logged: percent-encoded and with `+` for a space
    (`q=%E5%BC%A0330102198001010018`, `q=330102+19800101+0018`). Where decoding reveals personal
    data, the decoded, masked text replaces the encoded one."""
    if not text:
        return text
    text = redact(text)
    if "%" not in text and "+" not in text:
        return text

    def token(m: re.Match) -> str:
        raw = m.group(0)
        decoded = unquote_plus(raw)
        masked = redact(decoded)
        return masked if masked != decoded else raw

    return _URLISH.sub(token, text)


_URLISH = re.compile(r"[^\s\"'<>]*[%+][^\s\"'<>]*")


def redact_deep(value: Any) -> Any:
    """`redact` applied to every string inside a JSON-like value (event payloads)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {(redact(k) if isinstance(k, str) else k): redact_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_deep(v) for v in value]
    return value
