"""Following the calendar: every calendar that holds series is synced by sync token.

`sync_calendar` lists the provider's changes since the stored token (the whole calendar
the first time, or when the token expired), reflects them in the Meeting rows and their
prompts through `meetings.apply_changes` (idempotent, so a replayed or full listing
changes nothing twice and creates no duplicates), and stores the new token in the same
transaction. `sync_due` is what the tick calls: calendars a push notification flagged,
and the others when their polling interval has passed. One calendar failing never stops
the others, and a failed calendar waits for the (short) polling interval: no spinning.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.calendar import OccurrenceChange
from connectors.errors import ConnectorError
from okrmail.app import AppContext
from okrmail.meetings import apply_changes
from okrmail.models import CalendarSyncState, Series
from okrmail.reshaping import follow_shape, follow_split

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    calendars: int = 0
    applied: int = 0  # meeting changes made
    full_resyncs: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # calendar -> reason

    def __str__(self) -> str:
        text = f"synced {self.calendars - len(self.failed)} of {self.calendars} calendars, "
        text += f"{self.applied} meeting changes"
        if self.full_resyncs:
            text += f", {self.full_resyncs} full resyncs"
        return text


def calendars_with_series(ctx: AppContext) -> list[str]:
    """Calendars holding an active series of the configured provider."""
    with ctx.sessions() as session:
        return list(
            session.scalars(
                select(Series.calendar_id)
                .where(Series.provider == ctx.settings.calendar.provider)
                .where(Series.status == "active")
                .distinct()
                .order_by(Series.calendar_id)
            )
        )


def sync_state(session: Session, provider: str, calendar_id: str) -> CalendarSyncState:
    """The calendar's sync state row, created on first use. (Two workers creating it at
    once: the unique constraint fails one, which is retried at the next interval.)"""
    state = session.scalar(
        select(CalendarSyncState).where(
            CalendarSyncState.provider == provider, CalendarSyncState.calendar_id == calendar_id
        )
    )
    if state is None:
        state = CalendarSyncState(provider=provider, calendar_id=calendar_id)
        session.add(state)
        session.flush()
    return state


def sync_calendar(ctx: AppContext, calendar_id: str) -> tuple[int, bool]:
    """Apply the calendar's changes since its stored token; (meeting changes, full resync).

    Raises ConnectorError when the provider cannot be read; nothing is stored then.
    """
    provider = ctx.settings.calendar.provider
    with ctx.transaction() as session:
        state = sync_state(session, provider, calendar_id)
        token = state.sync_token
        # Cleared before listing: a notification that lands meanwhile flags it again. On
        # failure it stays cleared; the short polling interval brings the retry.
        state.sync_requested_at = None
    change_set = ctx.calendar.list_changes(calendar_id, token)
    with ctx.transaction() as session:
        applied = _apply(ctx, session, calendar_id, change_set.changes)
        state = sync_state(session, provider, calendar_id)
        if state.sync_token == token:  # a twin that synced meanwhile keeps its newer token
            state.sync_token = change_set.next_token
        state.synced_at, state.last_error = ctx.now(), None
    return applied, change_set.full_resync


def _apply(
    ctx: AppContext, session: Session, calendar_id: str, changes: Sequence[OccurrenceChange]
) -> int:
    """Hand each known series its changes, then take up the series split off them ("this
    and following events"); changes to other events we did not book are ignored."""
    by_uid: dict[str, list[OccurrenceChange]] = defaultdict(list)
    for change in changes:
        by_uid[change.uid].append(change)
    if not by_uid:
        return 0
    series_rows = session.scalars(
        select(Series)
        .where(Series.calendar_id == calendar_id, Series.uid.in_(list(by_uid)))
        .order_by(Series.id)
    ).all()
    applied = 0
    for series in series_rows:
        # The series' shape first: its occurrences' changes name the slots it has now.
        applied += follow_shape(ctx, session, series, by_uid[series.uid])
        applied += apply_changes(ctx, session, series, by_uid[series.uid])
    known = {series.uid for series in series_rows}
    for uid, said in by_uid.items():
        if uid not in known:
            applied += _take_up_split(ctx, session, calendar_id, said)
    return applied


def _take_up_split(
    ctx: AppContext, session: Session, calendar_id: str, changes: Sequence[OccurrenceChange]
) -> int:
    """A new series split off one of ours, made ours with the meetings it carries on."""
    split = next((c for c in changes if c.original_start is None and c.status == "confirmed"), None)
    if split is None or split.continues is None:
        return 0
    ended = session.scalar(
        select(Series).where(Series.calendar_id == calendar_id, Series.uid == split.continues)
    )
    if ended is None:
        return 0
    series, applied = follow_split(ctx, session, ended, split)
    if series is None:
        return 0
    log.info("series %s was split on the calendar; %s carries it on", ended.uid, series.uid)
    return applied + apply_changes(ctx, session, series, changes)


def sync_all(ctx: AppContext, calendar_ids: Sequence[str] | None = None) -> SyncReport:
    """Sync the given calendars (default: every calendar with series), each on its own."""
    calendar_ids = calendars_with_series(ctx) if calendar_ids is None else calendar_ids
    report = SyncReport(calendars=len(calendar_ids))
    for calendar_id in calendar_ids:
        try:
            applied, full = sync_calendar(ctx, calendar_id)
        except Exception as error:  # one calendar must never stop the tick
            reason = error.message if isinstance(error, ConnectorError) else repr(error)
            if not isinstance(error, ConnectorError):
                log.exception("calendar %s: sync failed unexpectedly", calendar_id)
            else:
                log.warning("calendar %s: sync failed: %s", calendar_id, reason)
            report.failed[calendar_id] = reason
            _record_failure(ctx, calendar_id, reason)
            continue
        report.applied += applied
        report.full_resyncs += int(full)
    return report


def _record_failure(ctx: AppContext, calendar_id: str, reason: str) -> None:
    with ctx.transaction() as session:
        state = sync_state(session, ctx.settings.calendar.provider, calendar_id)
        state.last_error = reason[:2000]
        state.synced_at = ctx.now()  # the next try waits for the polling interval


def sync_due(ctx: AppContext) -> SyncReport:
    """Sync the calendars that are due: flagged by a notification, never synced, or past
    their polling interval (long when a live push channel covers them)."""
    now = ctx.now()
    google = ctx.settings.google
    intervals = (timedelta(minutes=google.poll_minutes), timedelta(hours=google.push_poll_hours))
    with ctx.sessions() as session:
        states = {
            state.calendar_id: state
            for state in session.scalars(
                select(CalendarSyncState).where(
                    CalendarSyncState.provider == ctx.settings.calendar.provider
                )
            )
        }
    due = [
        calendar_id
        for calendar_id in calendars_with_series(ctx)
        if _is_due(states.get(calendar_id), now, *intervals)
    ]
    return sync_all(ctx, due)


def _is_due(
    state: CalendarSyncState | None, now: datetime, poll: timedelta, push_poll: timedelta
) -> bool:
    if state is None or state.synced_at is None or state.sync_requested_at is not None:
        return True
    # A live channel makes polling a rare safety net, unless the last sync failed.
    pushed = state.channel_expires_at is not None and state.channel_expires_at > now
    return state.synced_at <= now - (push_poll if pushed and not state.last_error else poll)


# -- the tick's periodic job -------------------------------------------------------------

TASK = "calendar-sync"
# How often the tick starts a sync pass; each pass syncs only the calendars that are due.
PASS_EVERY = timedelta(minutes=1)


def claim_sync(ctx: AppContext, session: Session, now: datetime, lease: timedelta) -> list[int]:
    """The periodic task's id when a sync pass is due; [] for the embedded local calendar,
    whose changes are all made by okrmail itself."""
    if ctx.settings.calendar.provider == "local":
        return []
    from okrmail import periodic

    return periodic.claim(session, TASK, now, lease)


def sync_pass(ctx: AppContext, task_ids: Sequence[int]) -> None:
    """One pass: sync due calendars, renew push channels about to expire."""
    from okrmail import periodic
    from okrmail.webhooks import renew_channels

    for task_id in task_ids:
        error = None
        try:
            report = sync_due(ctx)
            renew_channels(ctx)
            if report.failed:
                error = "; ".join(
                    f"{calendar}: {reason}" for calendar, reason in report.failed.items()
                )
        finally:
            periodic.finish(ctx, task_id, PASS_EVERY, error)
