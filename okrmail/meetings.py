"""Following meetings: a moved or cancelled occurrence moves or suppresses its prompts.

Local changes (from the CLI or the web) are committed first with `push_pending` set, then
written to the calendar provider; a failed push is retried by the tick. Changes seen on the
provider's side (a sync) are applied through the same functions, without a push back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.calendar import OccurrenceChange
from connectors.calendar.recurrence import occurrences_from
from connectors.errors import ConnectorError
from okrmail.app import AppContext
from okrmail.booking import new_meeting
from okrmail.chasing import (
    MEETING_CANCELLED,
    cancel_chases,
    plan_cancel_notes,
    restore_chases,
    retime_chases,
)
from okrmail.digests import cancel_digest, restore_digest, retime_digest
from okrmail.models import Meeting, Series
from okrmail.prompting import cancel_prompts, restore_prompts, retime_prompts

log = logging.getLogger(__name__)


class MeetingError(Exception):
    pass


def _meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingError(f"no meeting #{meeting_id}")
    return meeting


def apply_move(ctx: AppContext, session: Session, meeting: Meeting, new_start: datetime) -> None:
    length = meeting.end - meeting.start
    meeting.start, meeting.end = new_start, new_start + length
    meeting.status = "scheduled" if new_start == meeting.original_start else "moved"
    # In this order: the digest waits for a prompt sent late, the reminders for the digest.
    retime_prompts(ctx, session, meeting)
    retime_digest(ctx, session, meeting)
    retime_chases(ctx, session, meeting)


def apply_cancel(
    ctx: AppContext, session: Session, meeting: Meeting, cancelled_by: str | None = None
) -> None:
    """Cancel an occurrence; `cancelled_by` says when that can be undone (see Meeting).
    A report already asked the questions is told there is no need to answer (unless they
    declined it themselves)."""
    meeting.status, meeting.cancelled_by = "cancelled", cancelled_by
    cancel_prompts(session, meeting)
    cancel_chases(session, meeting, MEETING_CANCELLED)
    cancel_digest(session, meeting)
    plan_cancel_notes(ctx, session, meeting)


def apply_restore(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """Undo a decline: the occurrence, its prompts, reminders and digest are back."""
    meeting.status = "scheduled" if meeting.start == meeting.original_start else "moved"
    meeting.cancelled_by = None
    restore_prompts(ctx, session, meeting)
    restore_digest(ctx, session, meeting)
    restore_chases(ctx, session, meeting)


def move_meeting(ctx: AppContext, meeting_id: int, new_start: datetime) -> Meeting:
    """Move one occurrence; its pending prompts are re-timed; the calendar follows."""
    with ctx.transaction() as session:
        meeting = _meeting(session, meeting_id)
        if meeting.status == "cancelled":
            raise MeetingError(f"meeting #{meeting_id} is cancelled; it cannot be moved")
        if new_start <= ctx.now():
            raise MeetingError("a meeting can only be moved to a time in the future")
        apply_move(ctx, session, meeting, new_start)
        meeting.push_pending = True
    push_meetings(ctx, [meeting_id])
    return meeting


def cancel_meeting(ctx: AppContext, meeting_id: int) -> Meeting:
    """Cancel one occurrence; prompts not yet sent are cancelled; the calendar follows."""
    with ctx.transaction() as session:
        meeting = _meeting(session, meeting_id)
        if meeting.status == "cancelled":
            return meeting
        apply_cancel(ctx, session, meeting)
        meeting.push_pending = True
    push_meetings(ctx, [meeting_id])
    return meeting


def push_meetings(ctx: AppContext, meeting_ids: Sequence[int]) -> int:
    """Write pending local changes to the provider; returns how many were written.

    A transient failure leaves `push_pending` set for the next tick; a permanent one is
    logged and cleared so it does not spin.
    """
    pushed = 0
    for meeting_id in meeting_ids:
        with ctx.sessions() as session:
            meeting = session.get(Meeting, meeting_id)
            if meeting is None or not meeting.push_pending:
                continue
            series = meeting.series
            snapshot = (
                series.calendar_id,
                series.uid,
                meeting.original_start,
                meeting.start,
                meeting.status,
                series.duration_minutes,
            )
        calendar_id, uid, original_start, start, status, minutes = snapshot
        try:
            if status == "cancelled":
                ctx.calendar.cancel_occurrence(calendar_id, uid, original_start)
            else:
                ctx.calendar.move_occurrence(calendar_id, uid, original_start, start, minutes)
        except ConnectorError as error:
            if not error.permanent:
                log.warning("meeting %s: calendar push will be retried: %s", meeting_id, error)
                continue
            log.error("meeting %s: calendar refused the change: %s", meeting_id, error)
        else:
            pushed += 1
        with ctx.transaction() as session:
            session.get_one(Meeting, meeting_id).push_pending = False
    return pushed


def apply_changes(
    ctx: AppContext, session: Session, series: Series, changes: Sequence[OccurrenceChange]
) -> int:
    """Reflect provider-side changes of one series in its meetings and prompts.

    The changes of one event come together: its state (confirmed or cancelled) and a
    "declined" per attendee who declined it. So they are taken per occurrence (or for the
    series), and a declined event is cancelled whatever else it says; an event confirmed
    with no one declining brings back what an earlier decline cancelled.
    """
    applied = 0
    for original_start, said in _by_occurrence(changes).items():
        if original_start is None:
            applied += _apply_to_series(ctx, session, series, said)
            continue
        meeting = session.scalar(
            select(Meeting).where(
                Meeting.series_id == series.id, Meeting.original_start == original_start
            )
        )
        if meeting is None:
            meeting = _unexpanded_meeting(ctx, session, series, original_start)
            if meeting is None:
                continue
        applied += _apply_to_meeting(ctx, session, meeting, said)
    return applied


def _by_occurrence(
    changes: Sequence[OccurrenceChange],
) -> dict[datetime | None, dict[str, OccurrenceChange]]:
    """Each occurrence's changes (None: the series'), by status, in the order first seen."""
    grouped: dict[datetime | None, dict[str, OccurrenceChange]] = {}
    for change in changes:
        grouped.setdefault(change.original_start, {}).setdefault(change.status, change)
    return grouped


def _apply_to_series(
    ctx: AppContext, session: Session, series: Series, said: dict[str, OccurrenceChange]
) -> int:
    now = ctx.now()
    if "cancelled" in said or "declined" in said:
        # The report declining the whole series ends it as surely as a deletion does, but
        # accepting it again brings it back.
        if series.status == "cancelled":
            return 0
        declined = "cancelled" not in said
        series.status, series.cancelled_by = "cancelled", "declined" if declined else None
        for meeting in series.meetings:
            if meeting.start > now and meeting.status != "cancelled":
                apply_cancel(ctx, session, meeting, "series-declined" if declined else None)
        return 1
    if series.status != "cancelled" or series.cancelled_by != "declined":
        return 0
    if _other_open_series(session, series):
        return 0  # rebooked meanwhile: the new series stands
    series.status, series.cancelled_by = "active", None
    for meeting in series.meetings:
        if meeting.start > now and meeting.cancelled_by == "series-declined":
            apply_restore(ctx, session, meeting)
    return 1


def _other_open_series(session: Session, series: Series) -> bool:
    """Whether the pairing was booked again: an open series of it outside this one's
    family (the series split off it, or it off them, however many times: a split carries
    the one 1-on-1 on)."""
    of_pairing = session.scalars(select(Series).where(Series.pairing_id == series.pairing_id))
    links = [(row.id, row.split_from_id) for row in of_pairing if row.split_from_id]
    family = {series.id}
    while True:
        more = {a for a, b in links if b in family} | {b for a, b in links if a in family}
        if more <= family:
            break
        family |= more
    return (
        session.scalar(
            select(Series.id).where(
                Series.pairing_id == series.pairing_id,
                Series.id.not_in(family),
                Series.status != "cancelled",
            )
        )
        is not None
    )


def _apply_to_meeting(
    ctx: AppContext, session: Session, meeting: Meeting, said: dict[str, OccurrenceChange]
) -> int:
    if "cancelled" in said or "declined" in said:
        if meeting.status == "cancelled":
            return 0
        apply_cancel(ctx, session, meeting, None if "cancelled" in said else "declined")
        return 1
    confirmed = said.get("confirmed")
    if confirmed is None:
        return 0
    applied = 0
    if meeting.cancelled_by == "declined" and meeting.start > ctx.now():
        apply_restore(ctx, session, meeting)
        applied = 1
    if meeting.status != "cancelled" and confirmed.start and confirmed.start != meeting.start:
        apply_move(ctx, session, meeting, confirmed.start)
        applied = 1
    return applied


def _unexpanded_meeting(
    ctx: AppContext, session: Session, series: Series, original_start: datetime
) -> Meeting | None:
    """The row for an occurrence past `expanded_until` that changed on the provider's side,
    created now (with its prompts and digest) so the change applies to it and the later
    expansion, which skips existing rows, cannot bring it back unchanged. None if not an
    occurrence."""
    if series.expanded_until is None or original_start < series.expanded_until:
        return None
    slot = original_start + timedelta(seconds=1)
    if original_start not in occurrences_from(
        series.rrule, series.first_start, series.timezone, original_start, slot
    ):
        return None
    return new_meeting(ctx, session, series, original_start)


def upcoming(session: Session, now: datetime, days: int = 14) -> Sequence[Meeting]:
    return session.scalars(
        select(Meeting)
        .where(Meeting.start >= now, Meeting.start < now + timedelta(days=days))
        .order_by(Meeting.start)
    ).all()
