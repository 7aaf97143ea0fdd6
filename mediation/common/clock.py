"""Time: stored in UTC, shown and counted in Asia/Shanghai; ISO weeks in Asia/Shanghai."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def now() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def local_midnight(day: date) -> datetime:
    """The UTC instant at which `day` begins in Asia/Shanghai."""
    return datetime.combine(day, time.min, tzinfo=LOCAL).astimezone(UTC)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[from, to] days in Asia/Shanghai as a half-open UTC interval [lo, hi)."""
    return local_midnight(start), local_midnight(end + timedelta(days=1))


def parse_week(week: str) -> tuple[date, date]:
    """`2026-W47` → (Monday, Sunday) of that ISO week."""
    m = WEEK_RE.match(week or "")
    if not m:
        raise ValueError("week must look like 2026-W47")
    year, number = int(m.group(1)), int(m.group(2))
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{week} is not an ISO week") from exc
    return monday, monday + timedelta(days=6)


def iso_week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def previous_week(moment: datetime | None = None) -> str:
    """The ISO week before the one `moment` (default now) falls in, in Asia/Shanghai."""
    return iso_week(local_date(moment or now()) - timedelta(days=7))


def parse_instant(value: str) -> datetime:
    """An ISO 8601 time; one without offset is read as Asia/Shanghai."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    return moment.astimezone(UTC)


def isoformat(moment: datetime | None) -> str | None:
    """Shown in Asia/Shanghai with its offset."""
    return None if moment is None else moment.astimezone(LOCAL).isoformat()
