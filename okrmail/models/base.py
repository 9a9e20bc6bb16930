"""Declarative base and the column types every model shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
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
        convert = process
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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}
