"""Deadline arithmetic in calendar days or PRC working days (with 调休 adjusted weekends).

Working days come from the maintained `chinesecalendar` package, overridden by years an
administrator has loaded (CalendarDay). A year neither knows is refused, naming the year.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar
from sqlalchemy import select

from mediation.common.clock import LOCAL
from mediation.common.errors import CalendarUnknown, ValidationError
from mediation.extensions import db
from mediation.models import CalendarDay


def _loaded_year(year: int) -> dict[date, bool] | None:
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_workday).where(CalendarDay.year == year)).all()
    return {d: w for d, w in rows} if rows else None


MIN_YEAR, MAX_YEAR = 2000, 2100


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
    from mediation.infra.database import unit_of_work

    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"year": [f"must be a year between {MIN_YEAR} and {MAX_YEAR}"]})
    bad = [str(d) for d in [*holidays, *workdays] if d.year != year]
    if bad:
        raise ValidationError({"days": [f"{', '.join(bad)} not in {year}"]})
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise ValidationError({"days": [f"{', '.join(map(str, both))} listed both as holiday and as working day"]})
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


def load_year_document(year: int, document: Any) -> int:
    """Loads a year from its published arrangement as a document (the `calendar load` file):

    `{"holidays": [{"date": "2027-01-01", "name": "元旦"}, …], "workdays": ["2027-02-06", …]}`:
    holidays are the days off (a plain date string is allowed too), workdays the adjusted
    weekends (调休) worked instead. Any day not listed is a working day from Monday to Friday.
    """
    fields: dict[str, list[str]] = {}
    if not isinstance(document, dict):
        raise ValidationError({"file": ["must be a JSON object with holidays and workdays"]})
    unknown = sorted(set(document) - {"year", "holidays", "workdays"})
    if unknown:
        fields["file"] = [f"unknown keys: {', '.join(unknown)}"]
    if "year" in document and document["year"] != year:
        fields["year"] = [f"the file is for {document['year']}, not {year}"]
    holidays: list[date] = []
    names: dict[date, str] = {}
    raw_holidays = document.get("holidays", [])
    if not isinstance(raw_holidays, list):
        fields["holidays"] = ["must be a list"]
        raw_holidays = []
    for i, item in enumerate(raw_holidays):
        raw_day, name = (item.get("date"), item.get("name")) if isinstance(item, dict) else (item, None)
        day = _parse_day(raw_day, f"holidays.{i}", fields)
        if name is not None and (not isinstance(name, str) or len(name) > 64):
            fields[f"holidays.{i}.name"] = ["must be text of at most 64 characters"]
        elif day is not None:
            holidays.append(day)
            if name:
                names[day] = name
    workdays: list[date] = []
    raw_workdays = document.get("workdays", [])
    if not isinstance(raw_workdays, list):
        fields["workdays"] = ["must be a list"]
        raw_workdays = []
    for i, item in enumerate(raw_workdays):
        day = _parse_day(item, f"workdays.{i}", fields)
        if day is not None:
            workdays.append(day)
    if not holidays and not fields:
        fields["holidays"] = ["a published year has holidays; none were given"]
    if fields:
        raise ValidationError(fields)
    return load_year(year, holidays, workdays, names)


def _parse_day(value: Any, field: str, fields: dict[str, list[str]]) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    fields[field] = ["must be a date YYYY-MM-DD"]
    return None


def describe_year(year: int) -> dict[str, Any]:
    """What the calendar knows of `year`: where it comes from (`loaded` by an administrator or the
    `package`), its holidays with names, its adjusted working weekends and its number of working days.

    Raises CalendarUnknown when neither knows it.
    """
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"year": [f"must be a year between {MIN_YEAR} and {MAX_YEAR}"]})
    loaded = db.session.execute(select(CalendarDay).where(CalendarDay.year == year)
                                .order_by(CalendarDay.day)).scalars().all()
    days: list[tuple[date, bool, str | None]] = []
    if loaded:
        source = "loaded"
        days = [(d.day, d.is_workday, d.name) for d in loaded]
    else:
        source = "package"
        day = date(year, 1, 1)
        while day.year == year:
            try:
                on, name = chinese_calendar.get_holiday_detail(day)
            except NotImplementedError:
                raise CalendarUnknown(f"the working-day calendar for {year} is not known yet", year=year) from None
            days.append((day, not on, name))
            day += timedelta(days=1)
    holidays = [{"date": d.isoformat(), "name": name} for d, work, name in days if not work and (name or d.weekday() < 5)]
    workdays = [d.isoformat() for d, work, _ in days if work and d.weekday() >= 5]
    return {"year": year, "source": source, "holidays": holidays, "workdays": workdays,
            "working_days": sum(1 for _, work, _ in days if work)}
