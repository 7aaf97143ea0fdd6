"""Weekly report snapshots (the archive), subscriptions, sending (at most once per subscriber and
week), the email through a real SMTP server on loopback, the command and the Monday job."""
from __future__ import annotations

import io
import json
import re
import threading
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from mediation.common.clock import LOCAL
from mediation.common.errors import Conflict, Forbidden, NotFound, ValidationError
from mediation.extensions import db
from mediation.models import Notification, PreparedMessage, ReportSnapshot
from mediation.notifications import delivery
from mediation.reports import statistics, weekly
from tests.factories import VALID_IDS, fire, make_dispute, make_world
from tests.live import MailSink, subject, text_of, use_smtp

WEEK, PREVIOUS = "2026-W41", "2026-W40"  # 2026-10-05 … 2026-10-11
MONDAY_AFTER = datetime(2026, 10, 12, 8, 0, tzinfo=LOCAL)
SECRETS = [VALID_IDS[0], VALID_IDS[1], "13800138000", "13912345678", "张三", "李四", "秘密摘要"]


def at(day: int, hour: int = 10, month: int = 10) -> str:
    return datetime(2026, month, day, hour, tzinfo=LOCAL).isoformat()


def mediating(committee, day: int, mediator=None, month: int = 10):
    d = make_dispute(committee, received_at=at(day, 8, month), summary="秘密摘要 13912345678")
    d = fire(d, "accept", occurred_at=at(day, 9, month))
    d = fire(d, "assign", occurred_at=at(day, 10, month), **({"mediators": [mediator.username]} if mediator else {}))
    return fire(d, "start_mediation", occurred_at=at(day, 11, month))


def week_of_work(world) -> None:
    """In t1 during 2026-W41: 3 received, 2 agreements (¥1,234.56 and ¥100,000.00), 1 failure; an
    overdue unaccepted case from September; one prevention. In W40: 1 received, 1 agreement."""
    fire(mediating(world.cv1, 6), "reach_agreement", occurred_at=at(7), amount="1234.56")
    fire(mediating(world.cv2, 6), "reach_agreement", occurred_at=at(8), amount="100000.00")
    failed = mediating(world.ct1, 7, mediator=world.mt1)
    fire(failed, "fail", occurred_at=at(9))
    make_dispute(world.cv1, received_at=at(1, 9, month=9), summary="秘密摘要")  # acceptance overdue since 09-04
    fire(mediating(world.cv1, 29, month=9), "reach_agreement", occurred_at=at(30, 12, month=9), amount="10.00")
    from mediation.disputes import cases
    cases.record_prevention(failed.id, {"kind": "civil_to_criminal", "people": 4},
                               at=datetime(2026, 10, 8, tzinfo=LOCAL))


# -- snapshots ------------------------------------------------------------------------------------
def test_a_finished_week_is_computed_once_and_kept_as_archived(world):
    week_of_work(world)
    first = weekly.weekly_snapshot(world.t1.code, WEEK, world.s_t1, at=MONDAY_AFTER)
    assert first["final"] and first["org"] == world.t1.code and first["week"] == WEEK
    assert (first["from"], first["to"]) == ("2026-10-05", "2026-10-11")
    assert first["metrics"]["received"] == 3 and first["metrics"]["agreements"] == 2
    assert first["generated_at"].startswith("2026-10-12T08:00") and first["sent_at"] is None
    fire(mediating(world.cv1, 9), "withdraw", occurred_at=at(10))  # a paper record entered late
    again = weekly.weekly_snapshot(world.t1.code, WEEK, world.s_co)
    assert again["metrics"] == first["metrics"] and again["generated_at"] == first["generated_at"]
    assert db.session.scalar(select(func.count()).select_from(ReportSnapshot)
                             .where(ReportSnapshot.org_id == world.t1.id)) == 1


def test_the_current_week_is_provisional_and_a_future_or_malformed_week_refused(world):
    now = datetime(2026, 10, 7, 12, tzinfo=LOCAL)
    current = weekly.weekly_snapshot(world.t1.code, WEEK, world.s_t1, at=now)
    assert current["final"] is False and current["id"] is None
    assert db.session.scalar(select(func.count()).select_from(ReportSnapshot)
                             .where(ReportSnapshot.org_id == world.t1.id)) == 0
    with pytest.raises(ValidationError):
        weekly.weekly_snapshot(world.t1.code, "2026-W42", world.s_t1, at=now)
    for bad in ("2026-41", "2026-W54", "", None):
        with pytest.raises(ValidationError):
            weekly.weekly_snapshot(world.t1.code, bad, world.s_t1, at=now)
    with pytest.raises(NotFound):
        weekly.weekly_snapshot(world.t1.code, WEEK, world.s_t2, at=MONDAY_AFTER)
    with pytest.raises(ValidationError):
        weekly.send_weekly(world.t1.code, WEEK, at=now)


@pytest.mark.committed
def test_concurrent_first_requests_store_one_snapshot_and_both_get_it(app, db, monkeypatch):
    world = make_world()
    code = world.t1.code
    both_computing = threading.Barrier(2, timeout=20)
    compute = weekly.compute_metrics

    def slow_compute(*args, **kwargs):
        result = compute(*args, **kwargs)
        both_computing.wait()  # both requests have found no snapshot and computed one
        return result

    monkeypatch.setattr(weekly, "compute_metrics", slow_compute)
    results, errors = [], []

    def request() -> None:
        with app.app_context():
            try:
                results.append(weekly.weekly_snapshot(code, WEEK, None, at=MONDAY_AFTER))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 2
    assert results[0]["id"] == results[1]["id"] and results[0]["generated_at"] == results[1]["generated_at"]
    db.session.rollback()  # end this thread's read transaction (its snapshot predates the writers)
    assert db.session.scalar(select(func.count()).select_from(ReportSnapshot)) == 1


# -- subscriptions --------------------------------------------------------------------------------
def test_subscriptions_scope_duplicates_and_removal(world):
    added = weekly.add_subscription(world.t1.code, " Chief@Bureau.example ", world.s_t1)
    assert added["email"] == "chief@bureau.example" and added["org"] == world.t1.code
    with pytest.raises(Conflict):
        weekly.add_subscription(world.t1.code, "CHIEF@bureau.example", world.s_co)
    with pytest.raises(NotFound):
        weekly.add_subscription(world.t1.code, "x@bureau.example", world.s_t2)
    with pytest.raises(Forbidden):
        weekly.add_subscription(world.v1.code, "x@bureau.example", world.m1)
    with pytest.raises(ValidationError):
        weekly.add_subscription(world.t1.code, "not-an-address", world.admin)
    other = weekly.add_subscription(world.t2.code, "t2@bureau.example", world.admin)
    mine = weekly.list_subscriptions(world.s_t1)
    assert [i["email"] for i in mine["items"]] == ["chief@bureau.example"] and mine["total"] == 1
    assert {i["email"] for i in weekly.list_subscriptions(world.s_co)["items"]} >= {"chief@bureau.example",
                                                                                     "t2@bureau.example"}
    assert weekly.list_subscriptions(world.s_co, org=world.t2.code)["total"] == 1
    with pytest.raises(NotFound):
        weekly.remove_subscription(other["id"], world.s_t1)
    weekly.remove_subscription(other["id"], world.s_t2)
    with pytest.raises(NotFound):
        weekly.remove_subscription(other["id"], world.admin)
    with pytest.raises(Forbidden):
        weekly.list_subscriptions(world.m1)


def test_send_weekly_reaches_supervisors_and_added_addresses_once(world):
    weekly.add_subscription(world.t1.code, "chief@bureau.example", world.s_t1)
    weekly.add_subscription(world.t1.code, world.s_t1.email.upper(), world.s_t1)  # the supervisor again
    assert weekly.send_weekly(world.t1.code, WEEK, at=MONDAY_AFTER) == 2
    assert weekly.send_weekly(world.t1.code, WEEK, at=MONDAY_AFTER) == 0
    rows = list(db.session.scalars(select(Notification).where(Notification.kind == "weekly_report")
                                   .where(Notification.dedupe_key.startswith(f"weekly:{world.t1.code}:"))))
    assert sorted(r.dedupe_key for r in rows) == sorted([f"weekly:{world.t1.code}:{WEEK}:chief@bureau.example",
                                                         f"weekly:{world.t1.code}:{WEEK}:{world.s_t1.email.lower()}"])
    snapshot = db.session.scalar(select(ReportSnapshot).where(ReportSnapshot.org_id == world.t1.id,
                                                              ReportSnapshot.week == WEEK))
    prepared = db.session.scalar(select(PreparedMessage).where(PreparedMessage.key == f"weekly:{world.t1.code}:{WEEK}:zh"))
    assert all(r.channel == "email" and r.payload == {"snapshot_id": snapshot.id, "prepared_id": prepared.id}
               for r in rows)  # both read Chinese: one message rendered for both
    assert {r.recipient_id for r in rows} == {world.s_t1.id, None}
    assert snapshot.sent_at is not None
    assert weekly.weekly_snapshot(world.t1.code, WEEK, world.s_t1)["sent_at"] is not None


# -- the email through SMTP ---------------------------------------------------------------------------
@pytest.fixture
def sink(app, monkeypatch):
    with MailSink().running() as running:
        use_smtp(app, monkeypatch, running)
        yield running


def deliver_pending() -> None:
    ids = list(db.session.scalars(select(Notification.id).where(Notification.kind == "weekly_report",
                                                                 Notification.status == "pending")))
    assert all(delivery.deliver(i) for i in ids)


def test_the_weekly_email_is_rendered_when_queued_and_delivery_computes_nothing(world, sink, monkeypatch):
    week_of_work(world)
    weekly.add_subscription(world.t1.code, "chief@bureau.example", world.s_t1)
    world.s_t1.locale = "en"
    assert weekly.send_weekly(world.t1.code, WEEK, at=MONDAY_AFTER) == 2
    keys = set(db.session.scalars(select(PreparedMessage.key)))
    assert keys == {f"weekly:{world.t1.code}:{WEEK}:zh", f"weekly:{world.t1.code}:{WEEK}:en"}

    def no_computing(*args, **kwargs):
        raise AssertionError("delivery must not compute a report")

    monkeypatch.setattr(statistics, "compute", no_computing)
    monkeypatch.setattr(weekly, "ensure_snapshot", no_computing)
    deliver_pending()
    [chinese] = sink.to("chief@bureau.example")
    [english] = sink.to(world.s_t1.email)
    assert subject(chinese) == f"【枫桥经验周报】甲镇 {WEEK}"
    assert WEEK in subject(english) and "枫桥经验周报" not in subject(english)
    assert chinese["To"] == "chief@bureau.example" and english["To"] == world.s_t1.email
    assert chinese["Message-ID"] != english["Message-ID"]


def test_the_weekly_email_carries_the_right_figures_charts_and_workbook(world, sink):
    week_of_work(world)
    weekly.add_subscription(world.t1.code, "chief@bureau.example", world.s_t1)
    assert weekly.send_weekly(world.t1.code, WEEK, at=MONDAY_AFTER) == 2
    deliver_pending()
    [message] = sink.to("chief@bureau.example")
    assert subject(message) == f"【枫桥经验周报】甲镇 {WEEK}"

    text = message.get_body(("plain",)).get_content()
    assert "新收纠纷: 3  (上周 1, 变化 +2)" in text
    assert "调解成功率: 66.7%  (上周 100.0%, 变化 −33.3个百分点)" in text
    assert "协议涉及金额: ¥101,234.56  (上周 ¥10.00, 变化 +¥101,224.56)" in text
    assert "防止民转刑: 1 件，4 人" in text
    assert re.search(r"（2026）\S+调字第\d+号\s+一村人民调解委员会\s+受理期限\s+38 天", text)

    html = message.get_body(("html",)).get_content()
    for expected in ("66.7%", "¥101,234.56", "邻里", "村（社区）", "乡镇（街道）", "县级及以上", "防止民转刑",
                     "38 天", "一村人民调解委员会"):
        assert expected in html, expected
    cids = re.findall(r'src="cid:([^"]+)"', html)
    images = {part["Content-ID"].strip("<>"): part for part in message.walk()
              if part.get_content_type() == "image/png"}
    assert cids and set(cids) == set(images)
    for part in images.values():
        assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    related = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    assert related and related[0].get_body(("html",)) is not None

    [attachment] = [p for p in message.walk() if (p.get_filename() or "").endswith(".xlsx")]
    book = load_workbook(io.BytesIO(attachment.get_content()))
    summary = {row[0]: row[1:] for row in book["概要"].iter_rows(values_only=True) if row and row[0]}
    assert summary["新收纠纷"] == (3, 1)
    assert summary["调解成功率"] == (0.6667, 1.0)
    assert summary["协议涉及金额"] == (101234.56, 10.0)
    types = {row[0]: row[1:] for row in book["纠纷类型"].iter_rows(values_only=True)}
    assert types["邻里"] == (3, 1) and types["合计"] == (3, 1)
    levels = {row[0]: row[1:] for row in book["调委会层级"].iter_rows(values_only=True)}
    assert levels["村（社区）"][:2] == (2, 2) and levels["乡镇（街道）"][:3] == (1, 0, 1)
    assert {row[0]: row[1:] for row in book["预防"].iter_rows(values_only=True)}["防止民转刑"] == (1, 4)
    assert [row[3] for row in book["超期未结"].iter_rows(min_row=2, values_only=True)] == [38]

    raw = message.as_string()
    for secret in SECRETS:
        assert secret not in text_of(message) and secret not in raw

    [theirs] = sink.to(world.s_t1.email)
    assert subject(theirs) == subject(message)


def test_re_sending_sends_nothing_twice(world, sink):
    weekly.add_subscription(world.t1.code, "chief@bureau.example", world.s_t1)
    for _ in range(3):
        weekly.send_weekly(world.t1.code, WEEK, at=MONDAY_AFTER)
        deliver_pending()
    assert len(sink.to("chief@bureau.example")) == 1 and len(sink.to(world.s_t1.email)) == 1


def test_english_for_a_supervisor_whose_locale_is_en(world, sink):
    world.s_t1.locale = "en"
    db.session.commit()
    week_of_work(world)
    weekly.send_weekly(world.t1.code, WEEK, at=MONDAY_AFTER)
    deliver_pending()
    [message] = sink.to(world.s_t1.email)
    assert subject(message) == f"[Fengqiao weekly report] 甲镇 {WEEK}"
    text = message.get_body(("plain",)).get_content()
    assert "Received: 3  (Previous week 1, Change +2)" in text and "Success rate: 66.7%" in text


# -- the command and the Monday job -------------------------------------------------------------------
def test_command_prints_the_snapshot_and_sends_once(world, runner, sink):
    week_of_work(world)
    weekly.add_subscription(world.t1.code, "chief@bureau.example", world.s_t1)
    args = ["reports", "weekly", "--org", world.t1.code, "--week", WEEK, "--now", MONDAY_AFTER.isoformat()]
    shown = runner.invoke(args=args)
    assert shown.exit_code == 0, shown.output
    printed = json.loads(shown.output)
    assert printed["metrics"]["received"] == 3 and printed["week"] == WEEK and printed["sent_at"] is None
    assert not sink.messages
    sent = runner.invoke(args=[*args, "--send"])
    assert sent.exit_code == 0, sent.output
    assert "sent 2 email(s) (2 new notification(s), 0 failed)" in sent.output
    again = runner.invoke(args=[*args, "--send"])
    assert "sent 0 email(s) (0 new notification(s), 0 failed)" in again.output
    assert len(sink.messages) == 2
    bad = runner.invoke(args=["reports", "weekly", "--org", "NOPE", "--week", WEEK])
    assert bad.exit_code != 0 and "not_found" in bad.output
    unfinished = runner.invoke(args=["reports", "weekly", "--org", world.t1.code, "--week", WEEK, "--send",
                                     "--now", datetime(2026, 10, 9, tzinfo=LOCAL).isoformat()])
    assert unfinished.exit_code != 0 and "not over" in unfinished.output


def test_the_monday_job_sends_the_previous_week_to_every_org_with_subscribers(world):
    from mediation.tasks import send_weekly_reports

    weekly.add_subscription(world.v3.code, "village@bureau.example", world.admin)
    sent = send_weekly_reports(now=MONDAY_AFTER.astimezone(UTC).isoformat())
    mine = {code: n for code, n in sent.items() if code in {o.code for o in world.orgs.values()}}
    assert mine == {world.city.code: 1, world.county.code: 1, world.t1.code: 1, world.t2.code: 1, world.v3.code: 1}
    keys = set(db.session.scalars(select(Notification.dedupe_key).where(Notification.kind == "weekly_report")))
    assert f"weekly:{world.v3.code}:{WEEK}:village@bureau.example" in keys
    assert f"weekly:{world.t1.code}:{WEEK}:{world.s_t1.email.lower()}" in keys
    again = send_weekly_reports(now=MONDAY_AFTER.astimezone(UTC).isoformat())
    assert all(n == 0 for code, n in again.items() if code in mine)


def test_the_chart_by_type_shows_every_type_present(monkeypatch):
    """The table lists every type received this week or the last; the chart never cuts it to ten."""
    from mediation.models.enums import DISPUTE_TYPES
    from mediation.reports import charts, weekly_email

    keys = sorted(DISPUTE_TYPES)
    assert len(keys) > 10
    types = [{"key": k, "label": k, "value": i + 1, "previous": 0} for i, k in enumerate(keys)]
    seen = {}

    def capture(title, labels, series, font):
        seen["labels"], seen["series"] = list(labels), series
        return b"\x89PNG"

    monkeypatch.setattr(charts, "horizontal_bars", capture)
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    ctx = {"locale": "en", "types": types, "week": "2026-W45", "previous_week": "2026-W44",
           "levels": [], "t": weekly_email.LABELS["en"]}
    images = weekly_email.chart_images(ctx)
    assert len(images) == 1 and len(seen["labels"]) == len(keys)
    assert sum(seen["series"][0][1]) == sum(r["value"] for r in types)
