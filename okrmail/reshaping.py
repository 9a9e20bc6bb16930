"""Following a series changed as a whole on the provider's side.

Two edits in a calendar change every occurrence from one on:

- "all events": the series keeps its id, and its rule, time or length change;
- "this and following events": the series is ended (an UNTIL) at the occurrence edited,
  and a new series, split off it, carries on from there with the new rule and time.

Either way the meetings still to come are handed, in order, to the occurrences of the
rule as it is now: the first meeting to come takes the first occurrence to come, and so
on. So a meeting keeps its prompts, reminders and digest, which follow it to its new
time, and a prompt already answered stays with the next meeting that happens; nobody is
prompted twice for one meeting. Meetings the new rule has no room for are cancelled
(`cancelled_by` "series-ended": a split-off series takes them up again); occurrences the
old rule had no meeting for get new meetings with their prompts.

An occurrence moved on its own before stays where it was moved while its slot stays; once
its slot moves, it goes with it (calendars drop such exceptions on a change to all
events). A cancelled occurrence stays cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.calendar import OccurrenceChange
from connectors.calendar.recurrence import occurrences, utc_to_local
from okrmail.app import AppContext
from okrmail.booking import new_meeting
from okrmail.meetings import apply_cancel, apply_move, apply_restore
from okrmail.models import Meeting, Series

ENDED = "series-ended"  # Meeting.cancelled_by: its series ended before it


@dataclass(frozen=True)
class Shape:
    """When a series' occurrences are: its rule from its first start, in its zone."""

    rrule: str
    timezone: str
    first_start: datetime
    duration_minutes: int

    @classmethod
    def of_change(cls, change: OccurrenceChange) -> Shape | None:
        """The shape a confirmed series change reports; None if it reports none."""
        if not (change.rrule and change.timezone and change.start and change.end):
            return None
        minutes = int((change.end - change.start).total_seconds() // 60)
        return cls(change.rrule, change.timezone, change.start.astimezone(UTC), minutes)

    @classmethod
    def of_series(cls, series: Series) -> Shape:
        return cls(series.rrule, series.timezone, series.first_start, series.duration_minutes)

    def give_to(self, series: Series) -> None:
        series.rrule, series.timezone = self.rrule, self.timezone
        series.first_start, series.duration_minutes = self.first_start, self.duration_minutes
        series.local_start = utc_to_local(self.first_start, self.timezone).time()

    def slots(self, start: datetime, end: datetime) -> list[datetime]:
        """The occurrences starting in [start, end)."""
        first_local = utc_to_local(self.first_start, self.timezone)
        return list(occurrences(self.rrule, first_local, self.timezone, start, end))


def series_shape_change(changes: Sequence[OccurrenceChange]) -> Shape | None:
    """The shape the provider reports for a series that still stands, from its changes."""
    said = {change.status: change for change in changes if change.original_start is None}
    if "cancelled" in said or "confirmed" not in said:
        return None
    return Shape.of_change(said["confirmed"])


def follow_shape(
    ctx: AppContext, session: Session, series: Series, changes: Sequence[OccurrenceChange]
) -> int:
    """Hand the series' meetings to come to its occurrences as the provider now has them,
    when its shape changed; returns how many meetings changed."""
    shape = series_shape_change(changes)
    if series.status != "active" or shape is None or shape == Shape.of_series(series):
        return 0
    now = ctx.now()
    shape.give_to(series)
    coming = [meeting for meeting in series.meetings if meeting.start > now]
    held = {meeting.original_start for meeting in series.meetings if meeting.start <= now}
    slots = [slot for slot in _slots_to_come(ctx, series, shape) if slot not in held]
    return _hand_over(ctx, session, coming, series, slots)


def follow_split(
    ctx: AppContext, session: Session, ended: Series, change: OccurrenceChange
) -> tuple[Series | None, int]:
    """The series split off `ended` ("this and following"), made ours: it takes up the
    meetings the end of `ended` cancelled. (The series, meetings changed); (None, 0) when
    the change does not say when the new series' occurrences are."""
    shape = Shape.of_change(change)
    if shape is None:
        return None, 0
    split = Series(
        pairing_id=ended.pairing_id,
        provider=ended.provider,
        calendar_id=ended.calendar_id,
        uid=change.uid,
        remote_id=change.uid,
        status="active",
        expanded_until=ended.expanded_until,
    )
    shape.give_to(split)
    session.add(split)
    session.flush()
    # Of the pairing, not only of `ended`: whatever its series ended is what this one goes on
    # with, whichever id the provider gave the series it split off.
    waiting = session.scalars(
        select(Meeting)
        .join(Series)
        .where(
            Series.pairing_id == ended.pairing_id,
            Meeting.cancelled_by == ENDED,
            Meeting.start > ctx.now(),
        )
        .order_by(Meeting.original_start)
    ).all()
    return split, _hand_over(ctx, session, waiting, split, _slots_to_come(ctx, split, shape))


def _slots_to_come(ctx: AppContext, series: Series, shape: Shape) -> list[datetime]:
    """The occurrences from now to where the series' meetings have been made."""
    now = ctx.now()
    until = series.expanded_until or now + timedelta(days=ctx.settings.booking.horizon_days)
    return shape.slots(now, until)


# An out-of-the-way slot per meeting while slots are handed round: two meetings of one
# series may not hold the same slot even for a moment (a unique key).
_PARKED = datetime(1900, 1, 1, tzinfo=UTC)


def _hand_over(
    ctx: AppContext,
    session: Session,
    meetings: Sequence[Meeting],
    series: Series,
    slots: Sequence[datetime],
) -> int:
    """Give the meetings, in order, the slots in `series`, in order; cancel the meetings left
    over and make meetings for the slots left over. Returns how many meetings changed."""
    session.flush()  # every meeting has its id (see _PARKED)
    meetings = sorted(meetings, key=lambda meeting: meeting.original_start)
    pairs = list(zip(meetings, slots, strict=False))
    rekeyed = [(m, slot) for m, slot in pairs if m.series is not series or m.original_start != slot]
    for meeting, _ in rekeyed:
        meeting.original_start = _PARKED + timedelta(seconds=meeting.id)
    session.flush()
    for meeting, slot in rekeyed:
        meeting.series, meeting.original_start = series, slot
    changed = len(rekeyed)
    length = timedelta(minutes=series.duration_minutes)
    moved_slot = {meeting.id for meeting, _ in rekeyed}
    for meeting, slot in pairs:
        start = slot if meeting.id in moved_slot else meeting.start
        if (meeting.start, meeting.end) != (start, start + length):
            changed += meeting.id not in moved_slot
            _put(ctx, session, meeting, start, length)
        if meeting.cancelled_by == ENDED:
            apply_restore(ctx, session, meeting)
    for meeting in meetings[len(slots) :]:
        if meeting.status != "cancelled":
            apply_cancel(session, meeting, ENDED)
            changed += 1
    for slot in slots[len(meetings) :]:
        new_meeting(ctx, session, series, slot)
        changed += 1
    return changed


def _put(
    ctx: AppContext, session: Session, meeting: Meeting, start: datetime, length: timedelta
) -> None:
    """The meeting at `start` for `length`; a live one's prompts and digest follow."""
    if meeting.status == "cancelled":  # nothing pending to follow it
        meeting.start, meeting.end = start, start + length
        return
    meeting.end = meeting.start + length  # apply_move keeps the meeting's length
    apply_move(ctx, session, meeting, start)
