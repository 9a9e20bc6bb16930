"""Transactions as the application opens them, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from okrmail.app import AppContext
from okrmail.models import PeriodicTask


def test_a_transaction_opened_inside_another_on_one_thread_goes_through(ctx: AppContext) -> None:
    """Booking asks the calendar inside its transaction, and a calendar account found broken
    is marked in a transaction of its own. Had every transaction locked SQLite for writing
    from its start, the inner one would wait 30 seconds for the outer and fail."""
    started = time.monotonic()
    with ctx.transaction() as outer:
        outer.scalar(select(func.count()).select_from(PeriodicTask))
        with ctx.transaction() as inner:
            inner.add(PeriodicTask(name="marked-broken", next_run_at=ctx.now()))
    assert time.monotonic() - started < 5
    with ctx.sessions() as session:
        assert session.scalar(select(PeriodicTask.name)) == "marked-broken"


def test_an_immediate_transaction_writes_what_it_read_for(ctx: AppContext) -> None:
    with ctx.transaction(immediate=True) as session:
        count = session.scalar(select(func.count()).select_from(PeriodicTask))
        session.add(PeriodicTask(name=f"task-{count}", next_run_at=ctx.now()))
    with ctx.sessions() as session:
        assert session.scalar(select(PeriodicTask.name)) == "task-0"
