"""The tick: find due work with indexed queries, claim it in the database, hand ids out.

The database is the truth and the queue a hint: claims are leases (`claim_expires_at`), so
work whose job was lost is handed out again by a later tick, and every job re-reads its
rows and is safe to run twice. Ids are dispatched only after the claim has committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.calendar_sync import claim_sync
from okrmail.inbound.fetching import claim_fetch
from okrmail.inbound.quarantine import claim_report
from okrmail.models import Chase, Digest, Meeting, OutboxMessage, Prompt, Series

CHUNK = 50  # ids per job: one mail connection serves a chunk


class Dispatcher(Protocol):
    def dispatch(self, job: str, ids: list[int]) -> None:
        """Run (or enqueue) job `job` for `ids`."""
        ...


@dataclass
class TickReport:
    dispatched: dict[str, int] = field(default_factory=dict)

    def add(self, job: str, count: int) -> None:
        if count:
            self.dispatched[job] = self.dispatched.get(job, 0) + count

    def __str__(self) -> str:
        if not self.dispatched:
            return "nothing due"
        return ", ".join(f"{job}: {count}" for job, count in sorted(self.dispatched.items()))


def _claim(
    session: Session, query: Select[Any], model: Any, now: datetime, lease: timedelta
) -> list[int]:
    """Lease the rows `query` selects; returns the ids this tick now holds.

    On PostgreSQL the select skips rows another tick holds locked; everywhere, the UPDATE
    re-checks the lease so two ticks never both hold a row.
    """
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    unclaimed = or_(model.claim_expires_at.is_(None), model.claim_expires_at < now)
    claimed = session.scalars(
        update(model)
        .where(model.id.in_(ids), unclaimed)
        .values(claim_expires_at=now + lease)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def due_prompts(now: datetime, limit: int) -> Select[Any]:
    return (
        select(Prompt.id)
        .where(Prompt.status == "pending", Prompt.send_at <= now)
        .where(or_(Prompt.claim_expires_at.is_(None), Prompt.claim_expires_at < now))
        .order_by(Prompt.send_at)
        .limit(limit)
    )


def due_outbox(now: datetime, limit: int) -> Select[Any]:
    return (
        select(OutboxMessage.id)
        .where(outbox.due_filter(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )


def series_to_extend(now: datetime, horizon: timedelta, limit: int) -> Select[Any]:
    return (
        select(Series.id)
        .where(Series.status == "active", Series.expanded_until < now + horizon - timedelta(days=1))
        .limit(limit)
    )


def due_chases(now: datetime, limit: int) -> Select[Any]:
    return (
        select(Chase.id)
        .where(Chase.status == "pending", Chase.send_at <= now)
        .where(or_(Chase.claim_expires_at.is_(None), Chase.claim_expires_at < now))
        .order_by(Chase.send_at)
        .limit(limit)
    )


def due_digests(now: datetime, limit: int) -> Select[Any]:
    return (
        select(Digest.id)
        .where(Digest.status == "pending", Digest.send_at <= now)
        .where(or_(Digest.claim_expires_at.is_(None), Digest.claim_expires_at < now))
        .order_by(Digest.manager_id, Digest.send_at)
        .limit(limit)
    )


def meetings_to_push(limit: int) -> Select[Any]:
    return select(Meeting.id).where(Meeting.push_pending.is_(True)).limit(limit)


def tick(ctx: AppContext, dispatcher: Dispatcher) -> TickReport:
    """One pass over all due work."""
    now = ctx.now()
    settings = ctx.settings
    lease = timedelta(seconds=settings.tick.claim_lease_seconds)
    limit = settings.tick.batch_size
    horizon = timedelta(days=settings.booking.horizon_days)
    with ctx.transaction() as session:
        prompt_ids = _claim(session, due_prompts(now, limit), Prompt, now, lease)
        outbox_ids = _claim(session, due_outbox(now, limit), OutboxMessage, now, lease)
        chase_ids = _claim(session, due_chases(now, limit), Chase, now, lease)
        digest_ids = _claim(session, due_digests(now, limit), Digest, now, lease)
        series_ids = list(session.scalars(series_to_extend(now, horizon, limit)))
        meeting_ids = list(session.scalars(meetings_to_push(limit)))
        fetch_ids = claim_fetch(ctx, session, now, lease)  # at most once per interval
        sync_ids = claim_sync(ctx, session, now, lease)  # likewise
        report_ids = claim_report(ctx, session, now, lease)  # likewise
    report = TickReport()
    for job, ids in (
        ("extend_series", series_ids),
        ("push_meetings", meeting_ids),
        ("send_prompts", prompt_ids),
        ("send_chases", chase_ids),
        ("send_digests", digest_ids),
        ("deliver_outbox", outbox_ids),
        ("fetch_mail", fetch_ids),
        ("sync_calendars", sync_ids),
        ("report_quarantine", report_ids),
    ):
        for chunk in chunks(ids, CHUNK):
            dispatcher.dispatch(job, chunk)
        report.add(job, len(ids))
    return report


def chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]
