"""Deadline arithmetic in calendar days or PRC working days (with 调休 adjusted weekends).

Working days come from the maintained `chinesecalendar` package, overridden by years an
administrator has loaded (CalendarDay). A year neither knows is refused, naming the year.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
from sqlalchemy import select

from mediation.extensions import db
from mediation.models import CalendarDay
from mediation.services.clock import LOCAL
from mediation.services.errors import CalendarUnknown, ValidationError


def _loaded_year(year: int) -> dict[date, bool] | None:
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_workday).where(CalendarDay.year == year)).all()
    return {d: w for d, w in rows} if rows else None


class WorkingCalendar:
    """Answers "is this a working day?" for one computation, caching the years it loads."""

    def __init__(self) -> None:
        self._years: dict[int, dict[date, bool] | None] = {}

    def is_workday(self, day: date) -> bool:
        if day.year not in self._years:
            self._years[day.year] = _loaded_year(day.year)
        loaded = self._years[day.year]
        if loaded is not None:
            return loaded.get(day, day.weekday() < 5)
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise CalendarUnknown(
                f"the working-day calendar for {day.year} is not known yet; an administrator must load "
                f"the State Council's {day.year} holiday arrangement first", year=day.year) from None


def add_days(start: datetime, days: int, day_count: str = "calendar", calendar: WorkingCalendar | None = None
             ) -> datetime:
    """`start` + `days`, counted in calendar days or in working days (same local time of day)."""
    if day_count == "calendar":
        return start + timedelta(days=days)
    calendar = calendar or WorkingCalendar()
    local = start.astimezone(LOCAL)
    day, left = local.date(), days
    while left > 0:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            left -= 1
    return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)


def load_year(year: int, holidays: list[date], workdays: list[date], names: dict[date, str] | None = None) -> int:
    """Stores a newly published year: `holidays` are days off, `workdays` the adjusted weekends.

    Replaces any earlier load of that year. Returns how many days were stored.
    """
    from mediation.database import unit_of_work

    bad = [str(d) for d in [*holidays, *workdays] if d.year != year]
    if bad:
        raise ValidationError({"days": [f"{', '.join(bad)} not in {year}"]})
    names = names or {}
    off, on = set(holidays), set(workdays)
    with unit_of_work() as session:
        session.query(CalendarDay).filter(CalendarDay.year == year).delete()
        day, count = date(year, 1, 1), 0
        while day.year == year:
            workday = day in on or (day.weekday() < 5 and day not in off)
            session.add(CalendarDay(day=day, year=year, is_workday=workday, name=names.get(day)))
            day += timedelta(days=1)
            count += 1
    return count
