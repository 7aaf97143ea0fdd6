"""The demo data generator: what it seeds, the command, reruns, and the parallel path."""
from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from demo.city.places import NAMED_USERS, jurisdiction
from demo.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from demo.stories.showcase import SHOWCASE
from mediation.common.personal import id_number_problem, phone_problem
from mediation.extensions import db as _db
from mediation.models import (
    Agreement,
    CaseCounter,
    Committee,
    Deadline,
    Dispute,
    Event,
    FollowUp,
    OrgUnit,
    Party,
    PreventionRecord,
    User,
)
from mediation.models.enums import OUTCOMES
from mediation.orgs import tree, users
from tests.test_demo_replay import IGNORED, dump
from workflows.dispute import STATES

AT = datetime(2026, 10, 16, 9, 30, tzinfo=UTC)
CASE_NO = re.compile(r"^（(\d{4})）(.+)调字第(\d{5})号$")


def count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_showcase_alone_holds_every_state_outcome_and_path(db):
    result = seed_demo(cases=len(SHOWCASE), seed=1, at=AT)
    assert set(result.states) == set(STATES)
    assert set(result.outcomes) == set(OUTCOMES)
    triggers = Counter(_db.session.scalars(select(Event.trigger)))
    for trigger in ("escalate", "extend", "reassign", "reopen", "request_confirmation", "record_confirmation",
                    "fail", "withdraw", "reject"):
        assert triggers[trigger] >= 1, trigger
    escalated_twice = _db.session.execute(select(Event.dispute_id).where(Event.trigger == "escalate")
                                          .group_by(Event.dispute_id).having(func.count() >= 2)).all()
    assert escalated_twice  # village → township → county
    assert {r for (r,) in _db.session.execute(select(Event.result).where(Event.trigger == "reject"))} == {
        "party_refused", "out_of_scope", "already_handled", "other"}
    assert set(_db.session.scalars(select(Agreement.form))) == {"oral", "written"}
    assert {"requested", "confirmed", "denied"} <= set(_db.session.scalars(select(Agreement.confirmation)))
    assert set(_db.session.scalars(select(FollowUp.performance))) == {"full", "partial", "none"}
    assert set(_db.session.scalars(select(PreventionRecord.kind))) == {"civil_to_criminal", "suicide",
                                                                      "group_petition", "group_fight"}
    assert {"orange", "red"} <= set(_db.session.scalars(select(Dispute.risk_level)))
    overdue = set(_db.session.scalars(select(Deadline.kind).where(Deadline.status == "open", Deadline.due_at < AT)))
    assert {"acceptance", "mediation", "follow_up"} <= overdue  # something for the reminders to say
    assert count(Deadline, Deadline.status == "open", Deadline.due_at > AT) > 0  # and some still running
    # closed and rejected disputes leave no deadline open
    finished = select(Dispute.id).where(Dispute.state.in_(("closed", "rejected")))
    assert count(Deadline, Deadline.dispute_id.in_(finished), Deadline.status == "open") == 0


def test_a_bigger_demo_is_a_plausible_year(db):
    result = seed_demo(cases=600, seed=2, at=AT)
    assert sum(result.states.values()) == 600
    received = list(_db.session.scalars(select(Dispute.received_at)))
    assert min(received) >= AT - timedelta(days=366) and max(received) <= AT
    assert (max(received) - min(received)).days > 300
    assert result.states["closed"] > 0.6 * 600  # most of a year's disputes are done
    assert result.outcomes["agreement"] > 0.8 * sum(result.outcomes.values())
    types = Counter(_db.session.scalars(select(Dispute.dispute_type)))
    assert types.most_common(1)[0][0] in ("neighbourhood", "marriage_family") and len(types) >= 12
    assert len(set(_db.session.scalars(select(Dispute.source)))) >= 6
    levels = Counter(_db.session.scalars(select(OrgUnit.level).join(Committee, Committee.org_id == OrgUnit.id)
                                         .join(Dispute, Dispute.committee_id == Committee.id)))
    assert levels["village"] > levels["county"] and levels["township"] > 0
    # acceptance within days, conclusion mostly within the mediation deadline
    accepted = _db.session.execute(select(Dispute.received_at, Dispute.accepted_at)
                                   .where(Dispute.accepted_at.isnot(None))).all()
    assert sorted((a - r).days for r, a in accepted)[len(accepted) // 2] <= 2
    concluded = _db.session.execute(select(Event.occurred_at, Event.due_at).where(
        Event.trigger.in_(("reach_agreement", "fail")))).all()
    on_time = sum(1 for when, due in concluded if when <= due)
    assert 0.8 < on_time / len(concluded) < 1
    assert count(Event, Event.trigger == "escalate") > 0 and count(Event, Event.trigger == "extend") > 0


def test_personal_data_is_well_formed(db):
    seed_demo(cases=80, seed=3, at=AT)
    for kind, id_number, phone in _db.session.execute(select(Party.kind, Party.id_number, Party.phone)):
        if kind == "person":
            assert id_number_problem(id_number) is None
        if phone:
            assert phone_problem(phone) is None
    # written by COPY / executemany, yet stored as intake stores them: sealed, with their blind indexes
    from mediation.models import crypto
    from mediation.models.dispute import blind_index

    ring = crypto.current()
    raw = _db.session.execute(text("SELECT id, id_number, phone, id_number_index, phone_index FROM party")).all()
    assert raw
    for party_id, id_number, phone, id_index, phone_index in raw:
        plain = _db.session.get(Party, party_id)
        assert id_number is None or (id_number.startswith(ring.active.key_id + ":") and plain.id_number not in id_number)
        assert phone is None or (phone.startswith(ring.active.key_id + ":") and plain.phone not in phone)
        assert (id_index, phone_index) == (blind_index("id_number", plain.id_number), blind_index("phone", plain.phone))


def test_case_numbers_are_gap_free_per_committee_and_year_and_match_the_counters(db):
    seed_demo(cases=300, seed=4, at=AT)
    seqs: dict[tuple[str, int], list[int]] = {}
    for number, year, seq in _db.session.execute(select(Dispute.case_number, Dispute.case_year, Dispute.case_seq)):
        m = CASE_NO.match(number)
        assert m and int(m.group(1)) == year and int(m.group(3)) == seq
        seqs.setdefault((m.group(2), year), []).append(seq)
    codes = {code: cid for code, cid in _db.session.execute(select(Committee.code, Committee.id))}
    counters = {(c, y): s for c, y, s in _db.session.execute(
        select(CaseCounter.committee_id, CaseCounter.year, CaseCounter.last_seq))}
    for (code, year), numbers in seqs.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), (code, year)
        assert counters[(codes[code], year)] == len(numbers)
    # numbers follow the order of receipt within a committee's year
    rows = _db.session.execute(select(Dispute.case_number, Dispute.received_at, Dispute.case_seq)
                               .order_by(Dispute.received_at, Dispute.id)).all()
    last: dict[str, int] = {}
    for number, _, seq in rows:
        key = CASE_NO.match(number).group(2, 1)
        assert seq > last.get(key, 0)
        last[key] = seq


def test_demo_logins_log_in(db):
    seed_demo(cases=0, at=AT)
    listed = [u for u, _ in DEMO_LOGINS if not u.startswith("(")]
    assert listed == [u for u, *_ in NAMED_USERS] and "zhang.tj" in listed and "admin" in listed
    for username in listed:
        assert users.authenticate(username, DEMO_PASSWORD).username == username
    zhang = users.authenticate("zhang.tj", DEMO_PASSWORD)
    assert zhang.role == "mediator" and zhang.committee.name == "城关镇枫桥村人民调解委员会"
    admin = users.authenticate("admin", DEMO_PASSWORD)
    assert admin.role == "admin" and admin.org_id is None
    # every other staff account has the same password, and every committee has mediators
    other = _db.session.scalar(select(User).where(User.username == "lx-xk-sx.1"))
    assert users.authenticate(other.username, DEMO_PASSWORD).id == other.id
    spec = jurisdiction()
    assert count(OrgUnit) >= len(spec.orgs) and count(Committee) >= len(spec.committees)
    for committee in _db.session.scalars(select(Committee)):
        assert count(User, User.committee_id == committee.id, User.role == "mediator") >= 2, committee.code
    levels = Counter(_db.session.scalars(select(OrgUnit.level).join(User, User.org_id == OrgUnit.id)
                                         .where(User.role == "supervisor")))
    assert levels["city"] and levels["county"] and levels["township"]


def test_parallel_workers_write_the_same_rows_as_one_process(db):
    one = seed_demo(cases=50, seed=6, at=AT, batch=20, workers=1)
    first = _db.session.scalar(select(func.max(Dispute.id)))
    two = seed_demo(cases=50, seed=6, at=AT, batch=20, workers=2)
    assert one.workers == 1 and two.workers == 2 and one.states == two.states
    ids = list(_db.session.scalars(select(Dispute.id).order_by(Dispute.id)))
    before, after = [i for i in ids if i <= first], [i for i in ids if i > first]
    assert len(before) == len(after) == 50
    for a, b in zip(before, after, strict=True):
        assert dump(a) == dump(b)
    assert "case_number" in IGNORED  # the second run numbers on from the first


def test_seed_demo_command_if_empty_and_rerun(runner, db):
    first = runner.invoke(args=["seed-demo", "--cases", "20", "--if-empty", "--seed", "9"])
    assert first.exit_code == 0, first.output
    assert "seed-demo: 20 disputes" in first.output and "zhang.tj" in first.output
    assert count(Dispute) == 20
    again = runner.invoke(args=["seed-demo", "--cases", "20", "--if-empty"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert count(Dispute) == 20
    orgs_before, users_before = count(OrgUnit), count(User)
    more = runner.invoke(args=["seed-demo", "--cases", "15", "--seed", "10"])  # reuses the tree
    assert more.exit_code == 0, more.output
    assert count(Dispute) == 35 and count(OrgUnit) == orgs_before and count(User) == users_before


def test_seed_demo_refuses_a_tree_that_means_something_else(runner, db):
    tree.create_org("339900", "别的市", "city", None)
    tree.create_org("339921", "别的县", "county", "339900")
    tree.create_org("339921101", "别的镇", "township", "339921")
    tree.create_org("339902", "另一个县", "county", "339900")
    tree.create_org("339921102", "错位的镇", "township", "339902")  # the demo has it under 339921
    result = runner.invoke(args=["seed-demo", "--cases", "5"])
    assert result.exit_code == 1
    assert "339921102" in result.output and "empty database" in result.output
    assert count(Dispute) == 0


def test_seed_demo_command_checks_its_arguments(runner, db):
    result = runner.invoke(args=["seed-demo", "--cases", "-3"])
    assert result.exit_code == 2 and "--cases" in result.output
    assert count(Dispute) == 0


def _foreign_keys() -> list[tuple]:
    inspector = inspect(_db.session.connection())
    return sorted((table, fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
                   tuple(fk["referred_columns"]))
                  for table in ("dispute", "party", "event", "deadline", "assignment", "agreement", "notification")
                  for fk in inspector.get_foreign_keys(table))


def test_foreign_keys_suspended_for_a_big_load_are_back_and_bite(db):
    before = _foreign_keys()
    assert len(before) >= 10
    result = seed_demo(cases=40, seed=8, at=AT, suspend_keys_from=1)
    assert sum(result.states.values()) == 40
    assert _foreign_keys() == before
    with pytest.raises(IntegrityError), _db.session.begin_nested():
        _db.session.add(Deadline(dispute_id=10**9, kind="acceptance", due_at=AT, status="open"))
        _db.session.flush()
