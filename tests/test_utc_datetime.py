"""UTCDateTime binds what SQLAlchemy's own processing would, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from okrmail.app import AppContext
from okrmail.models import PeriodicTask
from okrmail.models.base import UTCDateTime

ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/St_Johns"), ZoneInfo("Asia/Kolkata")]


def _dates(count: int) -> list[datetime]:
    pick = random.Random(20261116)
    return [
        datetime(
            pick.randint(1, 9998),
            pick.randint(1, 12),
            pick.randint(1, 28),
            pick.randint(0, 23),
            pick.randint(0, 59),
            pick.randint(0, 59),
            pick.choice([0, pick.randint(0, 999_999)]),
            tzinfo=pick.choice(ZONES),
            fold=pick.randint(0, 1),
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_a_date_binds_as_sqlalchemy_binds_it(dialect: object) -> None:
    column = UTCDateTime().dialect_impl(dialect)  # type: ignore[arg-type]
    ours = column.bind_processor(dialect)  # type: ignore[arg-type]
    theirs = TypeDecorator.bind_processor(column, dialect)  # type: ignore[arg-type]
    assert ours is not None and theirs is not None
    for value in _dates(5000):
        assert ours(value) == theirs(value), value
        assert ours(value) == theirs(value), value  # remembered: the same again
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2026, 11, 16, 9, 30))


def test_a_date_comes_back_as_the_same_instant_in_utc(ctx: AppContext) -> None:
    written = datetime(2026, 11, 16, 10, 30, 0, 250, tzinfo=ZoneInfo("Europe/Berlin"))
    with ctx.transaction() as session:
        session.add(PeriodicTask(name="probe", next_run_at=written))
    with ctx.sessions() as session:
        read = session.scalar(select(PeriodicTask.next_run_at))
    assert read == written and read is not None and read.tzinfo is UTC
    assert read - written == timedelta(0)
