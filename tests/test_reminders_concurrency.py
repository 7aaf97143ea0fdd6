"""Two reminder scans at the same time, on real connections, committed: nothing is created twice."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mediation.models import Notification
from mediation.notifications import reminders
from tests.live import DAY, T0, registered

pytestmark = pytest.mark.committed


@pytest.mark.parametrize("serialized", [True, False], ids=["advisory-lock", "unique-key-alone"])
def test_two_concurrent_scans_create_each_notification_once(app, db, world, monkeypatch, serialized):
    if not serialized:  # without the lock that queues scans, the unique key alone must hold
        monkeypatch.setattr(reminders, "_one_scan_at_a_time", lambda session: None)
    for committee in (world.cv1, world.cv2, world.cv3, world.ct1):
        registered(world, committee)
        registered(world, committee, at=T0 + timedelta(hours=30))
    at = T0 + 5 * DAY  # all overdue, the earlier ones escalated too
    start = threading.Barrier(2)
    results: list[reminders.ScanResult] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            with app.app_context():  # its own session, its own connection
                start.wait(10)
                results.append(reminders.scan(at))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and len(results) == 2

    db.session.commit()  # a fresh snapshot
    total = db.session.scalar(select(func.count()).select_from(Notification))
    keys = db.session.scalar(select(func.count(func.distinct(Notification.dedupe_key))))
    assert total == keys == sum(r.total for r in results)
    if serialized:
        assert min(r.total for r in results) == 0  # the second scan found everything done
    overdue_rows = db.session.scalar(select(func.count()).where(Notification.kind == "overdue"))
    assert overdue_rows == 2 * 2 * (2 + 1 + 1 + 1)  # 2 disputes per committee × its mediators × 2 channels
    assert reminders.scan(at).total == 0
