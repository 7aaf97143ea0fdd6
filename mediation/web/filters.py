"""Template filters shared by pages and e-mails: names of codes, Beijing times, dates, amounts."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Optional

from flask import Flask

from mediation.common import names
from mediation.common.clock import LOCAL


def localtime(moment: Optional[datetime]) -> str:
    """`2026-11-23 15:19`, in Asia/Shanghai."""
    if moment is None:
        return ""
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def localdate(moment: Optional[date | datetime]) -> str:
    """`2026-11-23` (a datetime's day in Asia/Shanghai)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = moment.astimezone(LOCAL).date()
    return moment.isoformat()


def money(amount: Any) -> str:
    """`¥1,200.00`; nothing for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def name(code: Any, table: str) -> str:
    """`{{ dispute.state | name("state") }}`: the code's name in the user's language."""
    return names.name(table, code)


def init_app(app: Flask) -> None:
    for function in (localtime, localdate, money, name):
        app.add_template_filter(function)
