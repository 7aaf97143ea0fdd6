"""The declarative base: one MetaData with a naming convention so constraint names are stable."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_check(column: str, values) -> str:
    """SQL for a CHECK constraint that keeps an enum column within its values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Encrypted(TypeDecorator):
    """Personal data encrypted at rest (AES-256-GCM under the data key ring, mediation.models.crypto).

    Python sees the plain value; the database only `<key id>:<ciphertext>`. `context` (the
    column's name) is bound into each value, so a value moved to another column fails to decrypt.
    Equality searches go through the blind index columns, never through this one.
    """

    impl = String(255)
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value, dialect):
        from mediation.models import crypto

        return crypto.seal(value, self.context)

    def process_result_value(self, value, dialect):
        from mediation.models import crypto

        return crypto.unseal(value, self.context)
