"""How the workers are wired: beat schedule from config, queues per kind of work, `make run`'s processes."""
from __future__ import annotations

from datetime import datetime

from celery.schedules import crontab

from mediation.commands.runner import processes
from mediation.common.clock import LOCAL
from mediation.infra.jobs import QUEUES
from tests.live import app_context, free_port, live_app


def test_beat_runs_the_scan_and_the_weekly_report_as_configured(app):
    custom = live_app(app, REMINDER_SCAN_MINUTES=7, WEEKLY_REPORT_CRON="30 9 * * tue")
    with app_context(custom, app):
        conf = custom.extensions["celery"].conf
        scan = conf.beat_schedule["scan-reminders"]
        assert scan["task"] == "mediation.scan_reminders" and scan["schedule"] == 7 * 60
        assert scan["options"]["expires"] == 7 * 60
        weekly = conf.beat_schedule["weekly-reports"]
        assert weekly["task"] == "mediation.send_weekly_reports"
        cron: crontab = weekly["schedule"]
        assert (cron.minute, cron.hour, cron.day_of_week) == ({30}, {9}, {2})
        assert conf.timezone == "Asia/Shanghai"


def test_the_default_weekly_report_is_monday_eight_in_shanghai(app):
    conf = app.extensions["celery"].conf
    cron: crontab = conf.beat_schedule["weekly-reports"]["schedule"]
    assert (cron.minute, cron.hour, cron.day_of_week) == ({0}, {8}, {1})
    assert conf.beat_schedule["scan-reminders"]["schedule"] == 5 * 60
    for last_run, next_run in [(datetime(2026, 11, 22, 23, 0, tzinfo=LOCAL), datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL)),
                               (datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL), datetime(2026, 11, 30, 8, 0, tzinfo=LOCAL))]:
        start, delta, _ = cron.remaining_delta(last_run)
        assert start + delta == next_run


def test_each_queue_has_its_own_route_and_make_run_consumes_all_of_them(app):
    routes = app.extensions["celery"].conf.task_routes
    assert routes["mediation.scan_reminders"]["queue"] == "reminders"
    assert routes["mediation.deliver_notifications"]["queue"] == "email"
    assert routes["mediation.send_weekly_reports"]["queue"] == "reports"
    started = dict(processes(app, "127.0.0.1", "5000"))
    consumed = []
    for name, argv in started.items():
        if name.startswith("worker-"):
            assert argv[argv.index("-n") + 1] != "", name
            consumed.append(argv[argv.index("-Q") + 1])
    assert sorted(consumed) == sorted(QUEUES)  # one worker per queue: a slow report never delays a reminder
    assert "beat" in started and "web" in started



def test_with_the_broker_down_sending_returns_false_and_health_says_down(app):
    down = live_app(app, CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    with app_context(down, app):
        from mediation.health import broker_status
        from mediation.infra.tasks_seam import send_task, send_tasks

        assert send_task("mediation.scan_reminders", queue="reminders") is False
        assert send_tasks([("mediation.deliver_notifications", ([1],), "email")] * 3) == 0
        assert broker_status() == "down"
        assert down.test_client().get("/healthz").get_json()["broker"] == "down"
