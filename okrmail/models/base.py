"""Declarative base and the column types every model shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations match on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every backend; always read back as aware UTC.

    One representation everywhere keeps comparisons and indexes identical on SQLite (which
    has no time zones) and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; make it aware first")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """The usual processing (ours, then the dialect's), remembering the last value.

        A batch binds the same few datetimes on every row ("now", when a reply was
        written): converting and, on SQLite, formatting each again cost more than the rest
        of binding a row. The memo is one (value, result) tuple, replaced whole, so
        threads sharing the processor never see a value with another's result; it holds
        the value, whose identity therefore cannot be reused by another object.
        """
        process = super().bind_processor(dialect)
        if process is None:
            return None
        convert = _as_sqlite_text if _writes_sqlite_text(process) else process
        last: tuple[Any, Any] = (_NOTHING, None)

        def remembering(value: Any) -> Any:
            nonlocal last
            if value is None:  # binds as NULL everywhere; remembering it would evict a date
                return None
            seen, result = last
            if value is seen:
                return result
            result = convert(value)
            last = (value, result)
            return result

        return remembering


_NOTHING = object()


def _as_sqlite_text(value: datetime) -> str:
    """What SQLite's DATETIME stores for `value` (its default format, "2026-11-16
    09:30:00.000000", naive UTC), made the quick way: the dialect fills its format from a
    dict of the fields, which took more than half of binding a date."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; make it aware first")
    if value.tzinfo is not UTC:  # most are UTC already: converting would copy them
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _writes_sqlite_text(process: Callable[[Any], Any]) -> bool:
    """Whether `process` (our conversion, then the dialect's) writes what `_as_sqlite_text`
    writes: SQLite with its default DATETIME format. Asked of a date in each part of it,
    away from UTC, so that another format or another database never takes the quick way."""
    probe = datetime(987, 6, 5, 4, 3, 2, 1, tzinfo=timezone(timedelta(hours=-7, minutes=-30)))
    return bool(process(probe) == _as_sqlite_text(probe))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}
