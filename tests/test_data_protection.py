"""Personal data at rest: no public default secret, owner-only instance/, ID and phone numbers
encrypted (AES-GCM) with keyed blind indexes, key rotation, the migration of plaintext rows, and a
database dump that shows neither number."""
from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from mediation import config, create_app
from mediation.disputes import parties
from mediation.extensions import db as _db
from mediation.models import AccessLog, Event, Party, crypto
from tests import factories
from tests.conftest import TEST_DATA_KEYS

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- 1. no public default secret; instance/ and the SQLite file owner-only ----------------------------
def _loaded(instance: Path, monkeypatch, **test_config) -> Flask:
    for key in ("SECRET_KEY", "DATA_KEYS", "DATABASE_URL", "CELERY_BROKER_URL"):
        monkeypatch.delenv(key, raising=False)
    app = Flask("probe", instance_path=str(instance))
    config.load(app, test_config or None)
    return app


def test_without_secret_key_one_random_key_is_generated_and_kept(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    first = _loaded(instance, monkeypatch).config["SECRET_KEY"]
    assert first and first != "dev-only-not-secret" and len(first) >= 48
    assert mode(instance) == 0o700 and mode(instance / "secret_key") == 0o600
    assert _loaded(instance, monkeypatch).config["SECRET_KEY"] == first  # the next process: the same key
    other = _loaded(tmp_path / "elsewhere", monkeypatch).config["SECRET_KEY"]
    assert other != first  # another install: another key
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = Flask("probe", instance_path=str(instance))
    config.load(app)
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_processes_starting_together_agree_on_one_key(tmp_path):
    instance = tmp_path / "instance"
    script = ("import sys; from flask import Flask; from mediation import config; "
              "app = Flask('p', instance_path=sys.argv[1]); config.load(app); print(app.config['SECRET_KEY'])")
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(instance)], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env=env) for _ in range(6)]
    keys = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(keys) == 1 and "" not in keys
    assert (instance / "secret_key").read_text().strip() in keys


def test_instance_and_sqlite_file_are_owner_only(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)  # an install from before: opened up
    database = instance / "mediation.sqlite3"
    database.write_bytes(b"")
    os.chmod(database, 0o644)
    _loaded(instance, monkeypatch)
    assert mode(instance) == 0o700 and mode(database) == 0o600
    fresh = tmp_path / "fresh"
    app = _loaded(fresh, monkeypatch)
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("fresh/mediation.sqlite3")
    assert mode(fresh / "mediation.sqlite3") == 0o600  # made owner-only before SQLite first opens it


def test_the_app_creates_its_data_key_file_owner_only(tmp_path, monkeypatch, redis_url):
    monkeypatch.delenv("DATA_KEYS", raising=False)
    # the session's broker: the extensions are process-wide, and a second app rebinds the rate limiter
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}",
                      "CELERY_DISABLED": True, "CELERY_BROKER_URL": redis_url, "SECRET_KEY": "x"})
    app.instance_path = str(tmp_path / "inst")
    from mediation.infra import keys

    app.extensions["data_keys"] = keys.RingSource(None, app.instance_path)
    with app.app_context():
        ring = crypto.current()
        assert mode(tmp_path / "inst" / "data_keys") == 0o600
        assert crypto.current().active == ring.active  # read once, kept
        sealed = ring.encrypt("13800138000", "party.phone")
        assert crypto.unseal(sealed, "party.phone") == "13800138000"


# -- 2. the cipher and the blind index ------------------------------------------------------------
def test_values_are_sealed_with_authenticated_encryption():
    ring = crypto.KeyRing.parse(TEST_DATA_KEYS)
    a, b = ring.encrypt("330102198001010018", "party.id_number"), ring.encrypt("330102198001010018", "party.id_number")
    assert a != b and a.startswith("test0001:") and "330102" not in a  # a fresh nonce each time
    assert ring.decrypt(a, "party.id_number") == "330102198001010018"
    with pytest.raises(crypto.DataKeyError):
        ring.decrypt(a, "party.phone")  # moved to another column: refused
    key_id, _, body = a.partition(":")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-1] ^= 1
    with pytest.raises(crypto.DataKeyError):
        ring.decrypt(key_id + ":" + base64.urlsafe_b64encode(bytes(raw)).decode(), "party.id_number")
    with pytest.raises(crypto.DataKeyError):
        ring.decrypt("nokey:" + body, "party.id_number")


def test_blind_index_is_keyed_and_separate_from_the_cipher():
    ring = crypto.KeyRing.parse(TEST_DATA_KEYS)
    other = crypto.KeyRing([crypto.new_key()])
    index = ring.blind_index("13800138000", "phone")
    assert index == ring.blind_index("13800138000", "phone") and len(index) == 32
    assert index != other.blind_index("13800138000", "phone")  # without the key nobody can compute it
    assert index != ring.blind_index("13800138000", "id_number")
    assert ring.active.index_key != ring.active.master  # derived apart from the encryption key
    both = crypto.KeyRing([other.active, ring.active])
    assert both.blind_indexes("13800138000", "phone") == [other.blind_index("13800138000", "phone"), index]


def test_key_ring_spelling():
    ring = crypto.KeyRing([crypto.new_key(), crypto.new_key()])
    again = crypto.KeyRing.parse(ring.spelled())
    assert [k.key_id for k in again.keys] == [k.key_id for k in ring.keys]
    for bad in ("nocolon", "k1:bm90MzJieXRlcw==", "k1:" + base64.urlsafe_b64encode(b"x" * 32).decode() + ",k1:"
                + base64.urlsafe_b64encode(b"y" * 32).decode()):
        with pytest.raises(crypto.DataKeyError):
            crypto.KeyRing.parse(bad)


# -- stored encrypted, found through the index ------------------------------------------------------
def _raw_party(party_id: int) -> tuple:
    return _db.session.execute(text("SELECT id_number, phone, id_number_index, phone_index FROM party WHERE id = :i"),
                               {"i": party_id}).one()


def test_party_numbers_are_stored_encrypted_and_read_back_plain(world):
    d = factories.make_dispute(world.cv1, parties=factories.party_list(3))
    applicant = d.parties[0]
    raw_id, raw_phone, id_index, phone_index = _raw_party(applicant.id)
    assert raw_id.startswith("test0001:") and factories.VALID_IDS[0] not in raw_id
    assert raw_phone.startswith("test0001:") and "13800138000" not in raw_phone
    assert id_index and phone_index and factories.VALID_IDS[0] not in id_index
    _db.session.expire_all()
    again = _db.session.get(Party, applicant.id)
    assert (again.id_number, again.phone) == (factories.VALID_IDS[0], "13800138000")
    assert d.parties[2].id_number is None and _raw_party(d.parties[2].id)[2] is None  # nothing to index


def test_search_by_id_or_phone_in_any_spelling_within_scope(world):
    person = resident_id("33010219850505123")
    mine = factories.make_dispute(world.cv1, parties=[
        {"role": "applicant", "kind": "person", "name": "王五", "id_number": person, "phone": "+86 137-0000-1111"},
        factories.party_list()[1]])
    theirs = factories.make_dispute(world.cv3, parties=[
        {"role": "applicant", "kind": "person", "name": "王五", "id_number": person.lower(), "phone": "13700001111"},
        factories.party_list()[1]])
    factories.make_dispute(world.cv1)  # someone else
    found = parties.search_disputes_by_person(world.m1, id_number=person.lower())
    assert [d.id for d in found["items"]] == [mine.id] and found["total"] == 1
    found = parties.search_disputes_by_person(world.s_co, phone="0086 137 0000 1111")
    assert {d.id for d in found["items"]} == {mine.id, theirs.id}
    assert parties.search_disputes_by_person(world.s_t2, phone="13700001111")["total"] == 1
    assert parties.search_disputes_by_person(world.m1, phone="13700001112")["total"] == 0
    logged = _db.session.scalars(select(AccessLog).order_by(AccessLog.id)).all()
    assert [(r.actor_id, r.action, r.results) for r in logged] == [
        (world.m1.id, "search", 1), (world.s_co.id, "search", 2), (world.s_t2.id, "search", 1),
        (world.m1.id, "search", 0)]
    assert logged[0].query == "id_number=" + person[:4] + "*" * 10 + person[-4:]
    assert logged[1].query == "phone=137****1111"
    assert all(person not in r.query and "13700001111" not in r.query for r in logged)


def test_reveal_and_download_are_access_records(world):
    d = factories.make_dispute(world.cv1)
    shown = parties.reveal_party(d.id, d.parties[1].id, world.m1)
    assert (shown.id_number, shown.phone) == (factories.VALID_IDS[1], "13912345678")
    full = parties.parties_in_full(d.id, world.s_t1, "agreement")
    assert [p.id_number for p in full][:2] == factories.VALID_IDS[:2]
    events = _db.session.scalars(select(Event).where(Event.dispute_id == d.id, Event.trigger.in_(("reveal", "download")))
                                 .order_by(Event.id)).all()
    assert [(e.trigger, e.actor_id, e.payload) for e in events] == [
        ("reveal", world.m1.id, {"party_id": d.parties[1].id}),
        ("download", world.s_t1.id, {"purpose": "agreement", "party_ids": [p.id for p in d.parties]})]
    from mediation.common.errors import NotFound

    for actor in (world.m3, world.s_t2):
        with pytest.raises(NotFound):
            parties.reveal_party(d.id, d.parties[0].id, actor)
        with pytest.raises(NotFound):
            parties.parties_in_full(d.id, actor, "agreement")
    masked = parties.parties_masked(d)
    assert masked[0].id_number == "1101**********002X" and masked[0].phone == "138****8000"


# -- rotation --------------------------------------------------------------------------------------
def test_rotation_reencrypts_every_row_and_reindexes(app, world, runner, tmp_path, monkeypatch):
    from mediation.infra import keys

    d = factories.make_dispute(world.cv1)
    file_source = keys.RingSource(None, str(tmp_path))
    file_source.save(crypto.KeyRing.parse(TEST_DATA_KEYS))  # this install keeps its keys in instance/
    monkeypatch.setitem(app.extensions, "data_keys", file_source)
    result = runner.invoke(args=["keys", "rotate", "--retire"])
    assert result.exit_code == 0, result.output
    ring = crypto.current()
    assert ring.active.key_id != "test0001" and [k.key_id for k in ring.keys] == [ring.active.key_id]
    assert mode(tmp_path / "data_keys") == 0o600
    raw_id, raw_phone, id_index, _ = _raw_party(d.parties[0].id)
    assert raw_id.startswith(ring.active.key_id + ":") and raw_phone.startswith(ring.active.key_id + ":")
    assert id_index == ring.blind_index(factories.VALID_IDS[0], "id_number")
    assert "retired test0001" in result.output
    _db.session.expire_all()
    assert _db.session.get(Party, d.parties[0].id).id_number == factories.VALID_IDS[0]
    assert d.id in {x.id for x in parties.search_disputes_by_person(world.m1, id_number=factories.VALID_IDS[0])["items"]}
    status = runner.invoke(args=["keys", "status"])
    assert f"{ring.active.key_id} (active)" in status.output and "NOT in the ring" not in status.output


def test_rotation_with_keys_from_the_environment(app, world, runner, monkeypatch):
    from mediation.infra import keys

    d = factories.make_dispute(world.cv1)
    generated = runner.invoke(args=["keys", "generate"]).output.strip()
    new = crypto.parse_key(generated)
    monkeypatch.setitem(app.extensions, "data_keys", keys.RingSource(generated + "," + TEST_DATA_KEYS, "/nowhere"))
    # between the restart and the rotation, people are still found (the search tries every key)
    assert parties.search_disputes_by_person(world.m1, phone="13912345678")["total"] >= 1
    result = runner.invoke(args=["keys", "rotate", "--retire"])
    assert result.exit_code == 0, result.output
    assert "remove from DATA_KEYS on every host: test0001" in result.output
    assert _raw_party(d.parties[1].id)[1].startswith(new.key_id + ":")
    assert not (Path("/nowhere") / "data_keys").exists()


# -- the migration of plaintext rows ------------------------------------------------------------------
BACKENDS = ["sqlite", "postgresql"] if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres") else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def scratch_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plain.sqlite3'}"
        return
    url = make_url(os.environ["TEST_DATABASE_URL"].replace("postgres://", "postgresql://", 1))
    name = f"{url.database}_plain_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migration_encrypts_existing_plaintext_and_downgrade_restores_it(scratch_url, redis_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch_url, "CELERY_DISABLED": True,
                      "CELERY_BROKER_URL": redis_url, "SECRET_KEY": "x", "DATA_KEYS": TEST_DATA_KEYS})
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["db", "upgrade", "0006_prepared_message"]).exit_code == 0
        with _db.engine.begin() as conn:
            conn.execute(text("INSERT INTO org_unit (id, code, name, level, path, depth) "
                              "VALUES (1, 'V1', '一村', 'village', '/1/', 0)"))
            conn.execute(text("INSERT INTO committee (id, code, name, org_id, kind, specialties, active) "
                              "VALUES (1, 'C1', '一村调委会', 1, 'people', '[]', true)"))
            conn.execute(text(
                "INSERT INTO dispute (id, case_number, case_year, case_seq, workflow, committee_id, intake_org_id, "
                "dispute_type, source, summary, risk_level, state, received_at, last_event_at, extensions_used, "
                "version, created_at, updated_at) VALUES (1, 'N1', 2026, 1, 'standard', 1, 1, 'other', 'walk_in', "
                "'s', 'none', 'registered', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 1, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO party (id, dispute_id, role, kind, name, id_number, phone) VALUES "
                              "(1, 1, 'applicant', 'person', '张三', '330102198001010018', '13912345678'), "
                              "(2, 1, 'respondent', 'person', '李四', NULL, '0571-88886666')"))
        done = runner.invoke(args=["db", "upgrade"])
        assert done.exit_code == 0, done.output
        with _db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id_number, phone, id_number_index, phone_index FROM party ORDER BY id")).all()
        ring = crypto.KeyRing.parse(TEST_DATA_KEYS)
        assert ring.decrypt(rows[0][0], "party.id_number") == "330102198001010018"
        assert ring.decrypt(rows[0][1], "party.phone") == "13912345678"
        assert rows[0][2] == ring.blind_index("330102198001010018", "id_number")
        assert rows[1][0] is None and rows[1][2] is None
        assert rows[1][3] == ring.blind_index("057188886666", "phone")
        assert ring.decrypt(rows[1][1], "party.phone") == "0571-88886666"
        assert runner.invoke(args=["db", "downgrade", "0006_prepared_message"]).exit_code == 0
        with _db.engine.connect() as conn:
            assert conn.execute(text("SELECT id_number, phone FROM party ORDER BY id")).all() == [
                ("330102198001010018", "13912345678"), (None, "0571-88886666")]
        _db.engine.dispose()


# -- black box: a dump of the database shows neither number ---------------------------------------------
@pytest.mark.committed
def test_a_database_dump_shows_no_registered_id_or_phone(app, world, tmp_path):
    from mediation.orgs import users
    from tests.api.conftest import ApiClient

    person, phone = resident_id("52010219770707456"), "13598765432"
    api = ApiClient(app.test_client(), users.issue_token(world.m1)[0])
    r = api.post("/disputes", {"committee": world.cv1.code, "dispute_type": "other", "source": "walk_in",
                               "summary": "借款纠纷", "parties": [
                                   {"role": "applicant", "kind": "person", "name": "赵六", "id_number": person,
                                    "phone": phone},
                                   {"role": "respondent", "kind": "person", "name": "钱七"}]})
    assert r.status_code == 201, r.get_json()
    found = api.get(f"/parties?phone={phone}")
    assert [d["id"] for d in found.get_json()["items"]] == [r.get_json()["id"]]
    _db.session.remove()
    url = _db.engine.url
    if url.get_backend_name() == "postgresql":
        dump = subprocess.run(["pg_dump", "--data-only", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                               "-U", url.username or "postgres", url.database], capture_output=True, check=True,
                              timeout=120).stdout
        assert b"COPY public.party" in dump and "赵六".encode() in dump  # the dump holds the party's row
    else:
        # read by another process: closing a file of the database in this one would drop SQLite's
        # POSIX locks on it (every later connection of the suite then meets "disk I/O error")
        path = Path(url.database)
        files = [str(p) for p in (path, Path(f"{path}-wal")) if p.exists()]
        dump = subprocess.run(["cat", *files], capture_output=True, check=True, timeout=60).stdout
        assert "赵六".encode() in dump
    for needle in (person, phone, person[:17], phone[3:]):
        assert needle.encode() not in dump, needle
