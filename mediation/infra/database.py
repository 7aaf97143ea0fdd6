"""Database wiring: SQLite pragmas and write locking, and the unit of work services run in.

On SQLite a write transaction is opened with BEGIN IMMEDIATE, so a dozen writers queue on the
busy timeout instead of failing with "database is locked" when a read transaction tries to
upgrade; WAL lets readers go on meanwhile.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mediation.extensions import db

log = logging.getLogger(__name__)
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_installed = False


def init_app(app) -> None:
    global _installed
    db.init_app(app)
    if not _installed:
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
        _installed = True


def _on_connect(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: switching to WAL may itself have to wait
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One service call, one transaction: commits at the end, rolls back on any error.

    Nested use joins the outer unit. Callbacks registered with `after_commit` run only once the
    outermost unit has committed (that is where tasks are queued).
    """
    session = db.session()
    depth = session.info.get("uow_depth", 0)
    if depth:
        session.info["uow_depth"] = depth + 1
        try:
            yield session
        finally:
            session.info["uow_depth"] = depth
        return
    if session.in_transaction():
        session.commit()  # end a read transaction so that the write one starts as a writer
    token = _write_intent.set(True)
    session.info["uow_depth"] = 1
    session.info["after_commit"] = []
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        session.info["after_commit"] = []
        raise
    finally:
        session.info["uow_depth"] = 0
        _write_intent.reset(token)
    callbacks, session.info["after_commit"] = session.info["after_commit"], []
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the rows are committed; a later scan picks them up
            log.warning("after-commit callback %s failed", getattr(callback, "__name__", callback), exc_info=True)


def after_commit(callback: Callable[[], None]) -> None:
    """Runs `callback` once the current unit of work commits (immediately outside one)."""
    session = db.session()
    if session.info.get("uow_depth"):
        session.info.setdefault("after_commit", []).append(callback)
    else:
        callback()
