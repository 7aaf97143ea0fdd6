"""Day counting: calendar days, PRC working days with adjusted working weekends (调休), unknown years
refused by name, and the administrator's `calendar load` / `calendar show` commands."""
from __future__ import annotations

import json
from datetime import date, timedelta

import chinese_calendar
import pytest

from mediation.common.errors import CalendarUnknown, ValidationError
from mediation.disputes.workdays import WorkingCalendar, add_days, describe_year, load_year, load_year_document
from tests.core_helpers import local

# what the State Council published for 2026, as the chinesecalendar package has it
WORKED_WEEKENDS_2026 = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
                        date(2026, 9, 20), date(2026, 10, 10)]
DOC_2027 = {
    "holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-02-05", "name": "春节"},
                 {"date": "2027-02-08", "name": "春节"}, {"date": "2027-02-09", "name": "春节"},
                 "2027-02-10", {"date": "2027-02-11", "name": "春节"}],
    "workdays": ["2027-02-13", "2027-02-14"],
}


def test_the_package_data_for_2026():
    worked = sorted(d for d in chinese_calendar.workdays if d.year == 2026)
    assert worked == WORKED_WEEKENDS_2026 and all(d.weekday() >= 5 for d in worked)


def test_calendar_days_ignore_holidays(db):
    start = local(2026, 2, 13, 10, 0)
    assert add_days(start, 3) == start + timedelta(days=3)
    assert add_days(start, 3, "calendar") == local(2026, 2, 16, 10, 0)
    assert add_days(local(2026, 12, 30, 9, 0), 5, "calendar") == local(2027, 1, 4, 9, 0)  # no calendar needed


@pytest.mark.parametrize("start, days, due", [
    ((2026, 2, 13, 10, 0), 1, (2026, 2, 14, 10, 0)),  # Fri → Sat 02-14, a make-up working day
    ((2026, 2, 13, 10, 0), 2, (2026, 2, 24, 10, 0)),  # then the Spring Festival, 02-15…23
    ((2026, 2, 27, 16, 30), 1, (2026, 2, 28, 16, 30)),  # Sat 02-28 is worked too
    ((2025, 12, 31, 9, 0), 1, (2026, 1, 4, 9, 0)),  # New Year 01-01…03 off, Sun 01-04 worked
    ((2026, 5, 8, 9, 0), 1, (2026, 5, 9, 9, 0)),  # Sat 05-09 worked after Labour Day
    ((2026, 9, 18, 9, 0), 1, (2026, 9, 20, 9, 0)),  # Sat 09-19 off, Sun 09-20 worked
    ((2026, 9, 30, 9, 0), 1, (2026, 10, 8, 9, 0)),  # National Day 10-01…07
    ((2026, 10, 9, 9, 0), 1, (2026, 10, 10, 9, 0)),  # Sat 10-10 worked
    ((2026, 10, 10, 9, 0), 1, (2026, 10, 12, 9, 0)),
    ((2026, 3, 6, 23, 30), 1, (2026, 3, 9, 23, 30)),  # an ordinary weekend; the local time of day is kept
    ((2026, 3, 7, 8, 0), 1, (2026, 3, 9, 8, 0)),  # counting from a day off
    ((2026, 3, 2, 9, 0), 0, (2026, 3, 2, 9, 0)),
])
def test_working_days(db, start, days, due):
    result = add_days(local(*start), days, "working")
    assert result == local(*due)
    assert result.tzinfo is not None and result.utcoffset() == timedelta(0)


def test_every_day_of_2026_agrees_with_the_package(db):
    calendar = WorkingCalendar()
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_a_deadline_reaching_an_unknown_year_is_refused_by_name(db):
    with pytest.raises(CalendarUnknown) as caught:
        add_days(local(2026, 12, 28, 9, 0), 5, "working")
    assert caught.value.code == "calendar_year_unknown"
    assert caught.value.details["year"] == 2027 and "2027" in caught.value.message
    assert add_days(local(2026, 12, 28, 9, 0), 3, "working") == local(2026, 12, 31, 9, 0)  # still in 2026
    with pytest.raises(CalendarUnknown):
        describe_year(2027)


def test_loading_a_newly_published_year_makes_it_computable(db):
    stored = load_year(2027, [date(2027, 1, 1), date(2027, 1, 4)], [date(2027, 1, 9)], {date(2027, 1, 1): "元旦"})
    assert stored == 365
    # Mon 2026-12-28 + 5 working days: 29, 30, 31, (01-01 off, weekend, 01-04 off), 05, 06
    assert add_days(local(2026, 12, 28, 9, 0), 5, "working") == local(2027, 1, 6, 9, 0)
    assert add_days(local(2027, 1, 8, 9, 0), 1, "working") == local(2027, 1, 9, 9, 0)
    described = describe_year(2027)
    assert described["source"] == "loaded"
    assert described["holidays"] == [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-01-04", "name": None}]
    assert described["workdays"] == ["2027-01-09"]
    assert described["working_days"] == 261 - 2 + 1
    # loading again replaces the year
    load_year(2027, [], [])
    assert add_days(local(2026, 12, 31, 9, 0), 1, "working") == local(2027, 1, 1, 9, 0)


def test_a_loaded_year_overrides_the_package(db):
    load_year(2026, [], [])  # e.g. a correction: no holidays at all
    assert add_days(local(2026, 2, 13, 10, 0), 1, "working") == local(2026, 2, 16, 10, 0)
    assert describe_year(2026)["source"] == "loaded"


@pytest.mark.parametrize("year, holidays, workdays, field", [
    (2027, [date(2026, 12, 31)], [], "days"),
    (2027, [], [date(2028, 1, 1)], "days"),
    (2027, [date(2027, 2, 6)], [date(2027, 2, 6)], "days"),
    (1999, [], [], "year"),
    (2101, [], [], "year"),
])
def test_load_year_refuses_bad_input(db, year, holidays, workdays, field):
    with pytest.raises(ValidationError) as caught:
        load_year(year, holidays, workdays)
    assert set(caught.value.fields) == {field}
    with pytest.raises(CalendarUnknown):
        describe_year(2027)  # nothing was stored


@pytest.mark.parametrize("document, fields", [
    ([], {"file"}),
    ({"holidays": "2027-01-01"}, {"holidays"}),
    ({"holidays": [{"date": "2027-02-30"}]}, {"holidays.0"}),
    ({"holidays": [{"date": "2027-01-01", "name": 5}]}, {"holidays.0.name"}),
    ({"holidays": ["2027-01-01"], "workdays": ["soon"]}, {"workdays.0"}),
    ({"holidays": ["2027-01-01"], "extra": 1}, {"file"}),
    ({"year": 2028, "holidays": ["2027-01-01"]}, {"year"}),
    ({"workdays": ["2027-02-13"]}, {"holidays"}),
])
def test_load_year_document_refuses_bad_documents(db, document, fields):
    with pytest.raises(ValidationError) as caught:
        load_year_document(2027, document)
    assert set(caught.value.fields) == fields


# -- the admin commands -------------------------------------------------------------------------
def test_calendar_load_command(runner, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(DOC_2027, ensure_ascii=False), encoding="utf-8")
    done = runner.invoke(args=["calendar", "load", "2027", str(path)])
    assert done.exit_code == 0, done.output
    assert "loaded 2027: 6 holidays, 2 adjusted working days" in done.output
    assert add_days(local(2027, 2, 4, 9, 0), 1, "working") == local(2027, 2, 12, 9, 0)  # 02-05…11 off, 12 worked
    assert add_days(local(2027, 2, 12, 9, 0), 1, "working") == local(2027, 2, 13, 9, 0)  # Sat 02-13 worked
    shown = runner.invoke(args=["calendar", "show", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "2027 (loaded)" in shown.output and "2027-01-01  元旦" in shown.output
    assert "workday  2027-02-13" in shown.output
    as_json = json.loads(runner.invoke(args=["calendar", "show", "2027", "--json"]).output)
    assert as_json["workdays"] == ["2027-02-13", "2027-02-14"] and len(as_json["holidays"]) == 6


def test_calendar_show_command_for_the_package_and_unknown_years(runner):
    shown = runner.invoke(args=["calendar", "show", "2026"])
    assert shown.exit_code == 0, shown.output
    assert "2026 (package)" in shown.output
    for day in WORKED_WEEKENDS_2026:
        assert f"workday  {day.isoformat()}" in shown.output
    assert "holiday  2026-10-01  National Day" in shown.output
    unknown = runner.invoke(args=["calendar", "show", "2027"])
    assert unknown.exit_code == 1 and "calendar_year_unknown" in unknown.output and "2027" in unknown.output


@pytest.mark.parametrize("content, message", [
    (b"{not json", "is not a JSON file"),
    (json.dumps({"holidays": ["2027-13-01"]}).encode(), "holidays.0"),
    (json.dumps({"holidays": ["2026-12-31"]}).encode(), "not in 2027"),
])
def test_calendar_load_command_refuses_bad_files(runner, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    done = runner.invoke(args=["calendar", "load", "2027", str(path)])
    assert done.exit_code == 1 and message in done.output, done.output
    assert runner.invoke(args=["calendar", "show", "2027"]).exit_code == 1  # nothing was loaded


def test_calendar_load_in_a_real_subprocess(tmp_path):
    """`flask --app wsgi calendar load YEAR FILE` as an administrator types it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    db_file = tmp_path / "cal.sqlite3"
    doc = tmp_path / "2027.json"
    doc.write_text(json.dumps(DOC_2027, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}", "PYTHONPATH": str(root)}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["calendar", "load", "2027", str(doc)]):
        done = subprocess.run([*flask, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    shown = subprocess.run([*flask, "calendar", "show", "2027"], cwd=root, env=env, capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0 and "2027 (loaded): 257 working days" in shown.stdout, shown.stderr
