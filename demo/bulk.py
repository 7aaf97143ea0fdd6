"""Writes lived case files in bulk: ids reserved per batch, rows copied (PostgreSQL COPY) or executemany.

The rows are the case files' own (see demo/casefile.py), numbered gap-free per committee and year
under the case counters' row locks, exactly as intake numbers them one at a time.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Table,
    TypeDecorator,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from demo.casefile import CaseFile
from mediation.disputes.cases import case_number
from mediation.models import (
    Agreement,
    Assignment,
    CaseCounter,
    Deadline,
    Dispute,
    Event,
    FollowUp,
    MediationSession,
    Notification,
    Party,
    PreventionRecord,
    crypto,
)
from mediation.models.base import Encrypted
from mediation.models.dispute import normalised_for_index
from mediation.notifications.notify import channels_for

# The columns each table's rows carry, in order; "id" is given when the batch is written.
COLUMNS: dict[Table, tuple[str, ...]] = {
    Dispute.__table__: ("id", "case_number", "case_year", "case_seq", "workflow", "committee_id", "intake_org_id",
                        "dispute_type", "source", "summary", "amount", "risk_level", "state", "outcome",
                        "received_at", "accepted_at", "mediation_started_at", "concluded_at", "closed_at",
                        "last_event_at", "extensions_used", "version", "created_by_id", "created_at", "updated_at"),
    Party.__table__: ("id", "dispute_id", "role", "kind", "name", "id_number", "phone", "id_number_index",
                      "phone_index", "address"),
    Assignment.__table__: ("id", "dispute_id", "mediator_id", "lead", "assigned_at", "ended_at"),
    MediationSession.__table__: ("id", "dispute_id", "held_at", "mode", "location", "notes", "recorded_by_id",
                                 "recorded_at"),
    Agreement.__table__: ("id", "dispute_id", "form", "terms", "amount", "performance_due", "agreed_at",
                          "confirmation", "confirmation_court", "confirmation_requested_at",
                          "confirmation_decided_at"),
    FollowUp.__table__: ("id", "dispute_id", "performance", "method", "notes", "visited_at", "recorded_by_id"),
    PreventionRecord.__table__: ("id", "dispute_id", "kind", "people", "org_id", "occurred_at", "recorded_at",
                                 "recorded_by_id"),
    Deadline.__table__: ("id", "dispute_id", "kind", "due_at", "status", "met_at", "cancelled_at", "created_at"),
    Event.__table__: ("id", "dispute_id", "trigger", "from_state", "to_state", "actor_id", "committee_id", "org_id",
                      "occurred_at", "recorded_at", "amount", "due_at", "result", "people", "backdated", "payload"),
    Notification.__table__: ("id", "recipient_id", "address", "kind", "channel", "dispute_id", "deadline_id",
                             "dedupe_key", "status", "attempts", "payload", "created_at", "sent_at"),
}


class TableSink:
    """How rows of one table are written: its columns (ours, then any others' defaults) and their types."""

    def __init__(self, table: Table, dialect) -> None:
        self.table = table
        ours = COLUMNS[table]
        extra: list[tuple[str, Any]] = []
        for column in table.columns:  # columns added later by someone else: their default, as the ORM would
            if column.name in ours or column.server_default is not None or column.nullable:
                continue
            default = column.default
            if default is None:
                raise RuntimeError(f"the demo writer does not know how to fill {table.name}.{column.name}")
            extra.append((column.name, default.arg if default.is_scalar else default.arg(None)))
        self.names = list(ours) + [name for name, _ in extra]
        self.extra = tuple(value for _, value in extra)
        columns = [table.c[name] for name in self.names]
        self.postgres = dialect.name == "postgresql"
        # PostgreSQL: binary COPY, psycopg's own dumpers per column type; elsewhere SQLAlchemy's bind processing
        self.pg_types = [_pg_type(c) for c in columns] if self.postgres else []
        self.converters = [] if self.postgres else [_converter(c, dialect) for c in columns]

    def prepare(self, rows: Sequence[tuple]) -> list[tuple]:
        """The rows as the driver takes them: defaults appended, values converted."""
        if self.extra:
            rows = [row + self.extra for row in rows]
        if not any(self.converters):
            return list(rows)
        pairs = list(enumerate(self.converters))
        return [tuple(conv(row[i]) if conv and row[i] is not None else row[i] for i, conv in pairs) for row in rows]


class BulkWriter:
    """Inserts many rows per table in one transaction; knows the dialect's fastest way."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self.dialect = self.connection.dialect
        self.postgres = self.dialect.name == "postgresql"
        self.sinks = {table: TableSink(table, self.dialect) for table in COLUMNS}
        self.rows_written: Counter[str] = Counter()

    # -- ids and case numbers ------------------------------------------------------------------
    def reserve_ids(self, table: Table, count: int) -> int:
        """The first of `count` consecutive ids nobody else will be given."""
        if count == 0:
            return 0
        if self.postgres:
            last = self.connection.execute(text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'), nextval(pg_get_serial_sequence(:t, 'id')) + :n - 1)"),
                {"t": table.name, "n": count}).scalar_one()
            return last - count + 1
        return (self.connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1

    def reserve_case_numbers(self, wanted: Counter) -> dict[tuple[int, int], int]:
        """Takes `n` numbers from each (committee id, year) counter under its row lock; returns the first of each.

        Intake takes one number at a time the same way (`disputes._next_case_seq`), so numbers stay
        gap-free and in order per committee and year, even with intake running meanwhile.
        """
        if not wanted:
            return {}
        insert = pg_insert if self.postgres else sqlite_insert
        keys = sorted(wanted)
        self.connection.execute(insert(CaseCounter).on_conflict_do_nothing(),
                                [{"committee_id": c, "year": y, "last_seq": 0} for c, y in keys])
        committees = sorted({c for c, _ in keys})
        query = select(CaseCounter.committee_id, CaseCounter.year, CaseCounter.last_seq).where(
            CaseCounter.committee_id.in_(committees)).order_by(CaseCounter.committee_id, CaseCounter.year)
        if self.postgres:
            query = query.with_for_update()
        last = {(c, y): seq for c, y, seq in self.connection.execute(query)}
        self.connection.execute(
            update(CaseCounter).where(CaseCounter.committee_id == bindparam("c"), CaseCounter.year == bindparam("y"))
            .values(last_seq=bindparam("seq")),
            [{"c": c, "y": y, "seq": last[(c, y)] + wanted[(c, y)]} for c, y in keys])
        return {key: last[key] + 1 for key in keys}

    # -- foreign keys during a big load (PostgreSQL) -------------------------------------------
    def suspend_foreign_keys(self) -> list[tuple[str, str]]:
        """Drops the foreign keys of the tables written here; returns how to re-create them.

        PostgreSQL's own advice for bulk loads ("Populating a Database": remove foreign key
        constraints, load, re-create them): one set-based check at the end instead of a lookup per
        row, which is most of the server's work here. It happens inside the seeding transaction, so
        nothing outside ever sees the tables without them; it does lock those tables (and the ones
        they reference) until the commit. Elsewhere (SQLite) it does nothing.
        """
        if not self.postgres:
            return []
        found = self.connection.execute(text(
            "SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', c.relname, k.conname),"
            "       format('ALTER TABLE %I ADD CONSTRAINT %I ', c.relname, k.conname) || pg_get_constraintdef(k.oid)"
            "  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            " WHERE k.contype = 'f' AND c.relname = ANY(:tables) AND c.relnamespace = to_regnamespace(current_schema())"
            " ORDER BY c.relname, k.conname"), {"tables": [t.name for t in COLUMNS]}).all()
        for drop, _ in found:
            self.connection.execute(text(drop))
        return [(drop, add) for drop, add in found]

    def restore_foreign_keys(self, saved: list[tuple[str, str]]) -> None:
        """Re-creates the foreign keys `suspend_foreign_keys` dropped (each checks every row once)."""
        for _, add in saved:
            self.connection.execute(text(add))

    # -- writing -------------------------------------------------------------------------------
    def insert(self, table: Table, rows: list[tuple]) -> None:
        """Inserts rows (tuples in COLUMNS order) with COPY on PostgreSQL, executemany elsewhere."""
        if not rows:
            return
        sink = self.sinks[table]
        self.rows_written[table.name] += len(rows)
        rows = sink.prepare(rows)
        names = ", ".join(f'"{name}"' for name in sink.names)
        raw = self.connection.connection.driver_connection
        if self.postgres:
            with raw.cursor() as cursor, cursor.copy(
                    f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)') as copy:
                copy.set_types(sink.pg_types)
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in sink.names)
            cursor = raw.cursor()
            cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
            cursor.close()

    def write(self, rows: dict[str, list[tuple]]) -> None:
        """Writes one batch: dispute rows carry their ids, the other rows are given theirs here."""
        for table in COLUMNS:
            batch = rows.get(table.name, [])
            if table is not Dispute.__table__:
                start = self.reserve_ids(table, len(batch))
                batch = [(start + i,) + row for i, row in enumerate(batch)]
            self.insert(table, batch)


def batch_rows(cases: Iterable[tuple[CaseFile, int, str, int]], supervisors: dict[int, list]) -> dict[str, list]:
    """The rows of lived case files, each given as (case file, dispute id, committee code, case seq)."""
    rows: dict[Table, list[tuple]] = {table: [] for table in COLUMNS}
    for case, dispute_id, code, seq in cases:
        case_rows(case, dispute_id, case_number(case.case_year, code, seq), seq, rows, supervisors)
    return {table.name: batch for table, batch in rows.items()}


def case_rows(case: CaseFile, dispute_id: int, number: str, seq: int, rows: dict[Table, list[tuple]],
              supervisors: dict[int, list]) -> None:
    """The rows of one case file, as the services would have written them (ids of children left out)."""
    d = dispute_id
    rows[Dispute.__table__].append((
        d, number, case.case_year, seq, case.workflow, case.committee_id, case.intake_org_id, case.dispute_type,
        case.source, case.summary, case.amount, case.risk_level, case.state, case.outcome, case.received_at,
        case.accepted_at, case.mediation_started_at, case.concluded_at, case.closed_at, case.last_event_at,
        case.extensions_used, case.version, case.created_by_id, case.steps[0].at, case.last_event_at))
    rows[Party.__table__].extend((d, p.role, p.kind, p.name, *sealed_personal_data(p.id_number, p.phone), p.address)
                                 for p in case.parties)
    rows[Assignment.__table__].extend((d, a.mediator_id, a.lead, a.assigned_at, a.ended_at)
                                      for a in case.assignments)
    rows[MediationSession.__table__].extend((d, s.held_at, s.mode, s.location, s.notes, s.recorded_by_id,
                                             s.recorded_at) for s in case.sessions)
    rows[Agreement.__table__].extend((
        d, g.form, g.terms, g.amount, g.performance_due, g.agreed_at, g.confirmation, g.confirmation_court,
        g.confirmation_requested_at, g.confirmation_decided_at) for g in case.agreements)
    rows[FollowUp.__table__].extend((d, f.performance, f.method, f.notes, f.visited_at, f.recorded_by_id)
                                    for f in case.follow_ups)
    rows[PreventionRecord.__table__].extend((d, r.kind, r.people, r.org_id, r.occurred_at, r.recorded_at,
                                             r.recorded_by_id) for r in case.preventions)
    rows[Deadline.__table__].extend((d, x.kind, x.due_at, x.status, x.met_at, x.cancelled_at, x.created_at)
                                    for x in case.deadlines)
    register = {"case_number": number}
    rows[Event.__table__].extend((
        d, e.trigger, e.from_state, e.to_state, e.actor_id, e.committee_id, e.org_id, e.occurred_at, e.recorded_at,
        e.amount, e.due_at, e.result, e.people, e.backdated, register if e.trigger == "register" else e.payload)
        for e in case.events)
    if case.risk_level == "red":
        rows[Notification.__table__].extend(risk_alerts(case, d, number, supervisors))


def sealed_personal_data(id_number: Optional[str], phone: Optional[str]) -> tuple:
    """(id_number, phone, id_number_index, phone_index) as stored: encrypted under the active data key,
    indexed as intake indexes them (the Encrypted columns' own binding is skipped for these rows)."""
    ring = crypto.current()
    out = []
    for kind, value in (("id_number", id_number), ("phone", phone)):
        out.append(None if value is None else ring.encrypt(value, f"party.{kind}"))
    for kind, value in (("id_number", id_number), ("phone", phone)):
        normal = normalised_for_index(kind, value)
        out.append(None if normal is None else ring.blind_index(normal, kind))
    return tuple(out)


def risk_alerts(case: CaseFile, dispute_id: int, number: str, supervisors: dict[int, list]) -> list[tuple]:
    """`raise_risk_alert` at registration: each supervisor of the intake org and above, per channel.

    Written as delivered back then (in-app on creation, email a minute later), not queued anew.
    """
    users = sorted((u for org_id in case.intake_committee.org.ancestor_ids for u in supervisors.get(org_id, [])),
                   key=lambda u: u.id)
    sent = case.received_at
    out = []
    for user in users:
        for channel in channels_for(user):
            email = channel == "email"
            out.append((user.id, user.email if email else None, "risk_alert", channel, dispute_id, None,
                        f"risk_alert:{dispute_id}:v1:{user.id}:{channel}", "sent", 1 if email else 0,
                        {"case_number": number}, sent, sent + timedelta(minutes=1) if email else sent))
    return out


def _pg_type(column) -> str:
    """The PostgreSQL type whose binary format COPY sends for this column (the values are Python's own)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    for sa_type, name in ((JSON, "json"), (Boolean, "bool"), (BigInteger, "int8"), (Integer, "int4"),
                          (Numeric, "numeric"), (DateTime, "timestamptz" if getattr(kind, "timezone", False)
                                                 else "timestamp"), (Date, "date"), (String, "text")):
        if isinstance(kind, sa_type):
            return name
    raise RuntimeError(f"the demo writer cannot COPY {column.table.name}.{column.name} ({kind!r})")


def _converter(column, dialect) -> Optional[Callable[[Any], Any]]:
    """How a value becomes what the driver takes for this column (None: as it is)."""
    kind = column.type
    steps = []
    if isinstance(kind, Encrypted):  # sealed already (sealed_personal_data)
        kind = kind.impl_instance
    elif isinstance(kind, TypeDecorator):
        steps.append(lambda v, k=kind: k.process_bind_param(v, dialect))
        kind = kind.impl_instance
    bind = kind.bind_processor(dialect)
    if bind is not None:
        steps.append(bind)
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]
    first, second = steps
    return lambda v: second(first(v))
