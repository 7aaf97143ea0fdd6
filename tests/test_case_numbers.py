"""Case numbers （2026）<code>调字第00042号: gap-free and sequential per committee and year, also when many
mediators register at the same moment (DESIGN.md, Domain model)."""
from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from mediation.common.errors import DomainError
from mediation.disputes import cases
from mediation.models import CaseCounter, Dispute, Event
from tests import factories
from tests.core_helpers import NOW, T0, local, register

CASE_NUMBER = re.compile(r"^（(\d{4})）(.+)调字第(\d{5})号$")


def test_format(world):
    d = register(world.cv1, T0)
    assert d.case_number == f"（2026）{world.cv1.code}调字第00001号"
    year, code, seq = CASE_NUMBER.match(d.case_number).groups()
    assert (int(year), code, int(seq)) == (d.case_year, world.cv1.code, d.case_seq) == (2026, world.cv1.code, 1)
    assert cases.case_number(2026, "C001", 42) == "（2026）C001调字第00042号"


def test_sequential_per_committee_and_per_year(world):
    seqs = [register(world.cv1, T0).case_seq for _ in range(3)]
    assert seqs == [1, 2, 3]
    assert register(world.cv2, T0).case_seq == 1  # separate per committee
    last_year = register(world.cv1, local(2025, 6, 1, 9, 0))
    assert (last_year.case_year, last_year.case_seq) == (2025, 1)  # separate per year
    assert last_year.case_number.startswith("（2025）")
    assert register(world.cv1, T0).case_seq == 4


def test_the_year_is_the_year_in_asia_shanghai(world):
    new_year = register(world.cv1, datetime(2025, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 January
    assert new_year.case_year == 2026
    old_year = register(world.cv1, datetime(2025, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 on 31 December
    assert old_year.case_year == 2025


def test_a_refused_registration_uses_up_no_number(world):
    first = register(world.cv1, T0)
    with pytest.raises(DomainError):
        register(world.cv1, T0, parties=[{"role": "applicant", "name": "张三", "id_number": "110105194912310021"}])
    with pytest.raises(DomainError):
        register(world.cv1, T0, actor=world.m2)  # not their committee
    assert register(world.cv1, T0).case_seq == first.case_seq + 1


@pytest.mark.committed
def test_concurrent_registrations_into_one_committee(app, db):
    """Ten mediators register three disputes each at the same moment, each thread with its own app
    context, session and connection: 30 numbers, no duplicate, no gap."""
    world = factories.make_world()
    code, mediators = world.cv1.code, [world.m1.id, world.m1b.id]
    threads_n, each = 10, 3
    barrier = threading.Barrier(threads_n)
    made: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        with app.app_context():
            try:
                from mediation.models import User

                actor = db.session.get(User, mediators[n % 2])
                barrier.wait(timeout=60)
                for i in range(each):
                    body = {"committee": code, "dispute_type": "neighbourhood", "source": "walk_in",
                            "summary": f"并发登记 {n}-{i}", "received_at": T0.isoformat(),
                            "parties": factories.party_list()}
                    d = cases.register_dispute(body, actor=actor, at=NOW)
                    with lock:
                        made.append((d.case_seq, d.case_number))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [], errors
    seqs = sorted(seq for seq, _ in made)
    assert seqs == list(range(1, threads_n * each + 1))  # no duplicate, no gap
    assert len({number for _, number in made}) == threads_n * each
    db.session.remove()
    stored = db.session.execute(select(Dispute.case_seq, Dispute.case_number)
                                .where(Dispute.committee_id == world.cv1.id)).all()
    assert sorted(s for s, _ in stored) == seqs
    assert all(n == cases.case_number(2026, code, s) for s, n in stored)
    counter = db.session.get(CaseCounter, (world.cv1.id, 2026))
    assert counter.last_seq == threads_n * each
    registered = db.session.scalars(select(Event).where(Event.trigger == "register")).all()
    assert len(registered) == threads_n * each
