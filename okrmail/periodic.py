"""Named tasks the tick starts at most once per interval, whichever process ticks.

The row is the truth: the tick leases it with a conditional UPDATE when it is due, the job
runs and sets the next due time. A job that dies leaves the lease to expire, and the next
tick hands the task out again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from okrmail.app import AppContext
from okrmail.models.periodic import PeriodicTask


def claim(session: Session, name: str, now: datetime, lease: timedelta) -> list[int]:
    """[the task's id] when it is due and this tick now holds it, else []."""
    if session.scalar(select(PeriodicTask.id).where(PeriodicTask.name == name)) is None:
        try:
            with session.begin_nested():
                session.add(PeriodicTask(name=name, next_run_at=now))
        except IntegrityError:
            pass  # another tick created it first
    unclaimed = or_(PeriodicTask.claim_expires_at.is_(None), PeriodicTask.claim_expires_at < now)
    claimed = session.scalars(
        update(PeriodicTask)
        .where(PeriodicTask.name == name, PeriodicTask.next_run_at <= now, unclaimed)
        .values(claim_expires_at=now + lease)
        .returning(PeriodicTask.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed)


def finish(ctx: AppContext, task_id: int, every: timedelta, error: str | None = None) -> None:
    """Release the task and make it due again `every` from now."""
    now = ctx.now()
    with ctx.transaction() as session:
        session.execute(
            update(PeriodicTask)
            .where(PeriodicTask.id == task_id)
            .values(
                next_run_at=now + every, claim_expires_at=None, last_run_at=now, last_error=error
            )
        )
