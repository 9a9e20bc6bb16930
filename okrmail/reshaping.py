"""Following a series changed as a whole on the provider's side.

Two edits in a calendar change every occurrence from one on:

- "all events": the series keeps its id, and its rule, time or length change;
- "this and following events": the series is ended (an UNTIL) at the occurrence edited,
  and a new series, split off it, carries on from there with the new rule and time.

Either way each meeting still to come goes to the nearest occurrence of the rule as it is
now, keeping their order (`_match`: the pairing that moves meetings least, where leaving
a meeting or an occurrence without a partner costs half the series' spacing). So a
meeting keeps its prompts, reminders and digest, which follow it to its new time, and a
prompt already sent or answered stays with it: nobody is prompted twice for one meeting.
A meeting that took place lately takes up an occurrence near it (moved from 08:00 to 10:00
just after today's 08:00 meeting: today's 10:00 is not a new meeting). Meetings the new
rule has no room for are cancelled (`cancelled_by` "series-ended": a split-off series
takes them up again); occurrences with no meeting near get new meetings with their
prompts.

An occurrence moved on its own before stays where it was moved while its slot stays; once
its slot moves, it goes with it (its exception names a slot the rule no longer has). A
cancelled occurrence stays cancelled, at its new slot.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.calendar import OccurrenceChange
from connectors.calendar.recurrence import occurrences_from, utc_to_local
from okrmail.app import AppContext
from okrmail.booking import new_meeting
from okrmail.meetings import apply_cancel, apply_move, apply_restore
from okrmail.models import Meeting, Series

log = logging.getLogger(__name__)

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
        return list(occurrences_from(self.rrule, self.first_start, self.timezone, start, end))


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
    when its shape changed; returns how many meetings changed. A series cancelled by a
    decline is reshaped too, so that accepting it again brings its meetings back at the
    new times."""
    shape = series_shape_change(changes)
    following = series.status == "active" or series.cancelled_by == "declined"
    if not following or shape is None or shape == Shape.of_series(series):
        return 0
    gap = _spacing(series.meetings)
    shape.give_to(series)
    now = ctx.now()
    coming = [meeting for meeting in series.meetings if meeting.start > now]
    held = {meeting.original_start for meeting in series.meetings if meeting.start <= now}
    slots = [slot for slot in _slots_to_come(ctx, series, shape, coming) if slot not in held]
    return _hand_over(
        ctx, session, coming, _lately_held(series.meetings, now, gap), series, slots, gap
    )


def follow_split(
    ctx: AppContext, session: Session, ended: Series, change: OccurrenceChange
) -> tuple[Series | None, int]:
    """The series split off `ended` ("this and following"), made ours: it takes up the
    meetings the end of `ended` cancelled. (The series, meetings changed); (None, 0) when
    the change does not say when the new series' occurrences are."""
    shape = Shape.of_change(change)
    if shape is None:
        log.warning("series %s split off %s: no start, rule or zone given", change.uid, ended.uid)
        return None, 0
    split = Series(
        pairing_id=ended.pairing_id,
        provider=ended.provider,
        calendar_id=ended.calendar_id,
        uid=change.uid,
        remote_id=change.uid,
        status="active",
        split_from_id=ended.id,
        expanded_until=ended.expanded_until,
    )
    shape.give_to(split)
    session.add(split)
    session.flush()
    now = ctx.now()
    # Of the pairing, not only of `ended`: whatever its series ended is what this one goes on
    # with, whichever id the provider gave the series it split off.
    of_pairing = session.scalars(
        select(Meeting).join(Series).where(Series.pairing_id == ended.pairing_id)
    ).all()
    waiting = [m for m in of_pairing if m.cancelled_by == ENDED and m.start > now]
    gap = _spacing(ended.meetings)
    slots = _slots_to_come(ctx, split, shape, waiting)
    changed = _hand_over(
        ctx, session, waiting, _lately_held(of_pairing, now, gap), split, slots, gap
    )
    return split, changed


def _spacing(meetings: Sequence[Meeting]) -> timedelta:
    """The usual time between the series' occurrences (a week when it cannot tell)."""
    starts = sorted({meeting.start for meeting in meetings})
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    return median(gaps) if gaps else timedelta(weeks=1)


def _lately_held(meetings: Sequence[Meeting], now: datetime, gap: timedelta) -> list[Meeting]:
    """Meetings that took place within half a spacing before now and were not cancelled:
    an occurrence near one of them is that meeting, already held."""
    return [m for m in meetings if now - gap / 2 < m.start <= now and m.status != "cancelled"]


def _slots_to_come(
    ctx: AppContext, series: Series, shape: Shape, meetings: Sequence[Meeting]
) -> list[datetime]:
    """The occurrences from now to where the series' meetings have been made (or the
    last of `meetings`, made further out for a change seen there)."""
    now = ctx.now()
    until = series.expanded_until or now + timedelta(days=ctx.settings.booking.horizon_days)
    until = max([until, *(meeting.original_start + timedelta(seconds=1) for meeting in meetings)])
    return shape.slots(now, until)


# An out-of-the-way slot per meeting while slots are handed round: two meetings of one
# series may not hold the same slot even for a moment (a unique key). A meeting left over
# whose old slot another meeting now holds (or a new one is made at) keeps its parked one.
_PARKED = datetime(1900, 1, 1, tzinfo=UTC)


def _hand_over(
    ctx: AppContext,
    session: Session,
    coming: Sequence[Meeting],
    held: Sequence[Meeting],
    series: Series,
    slots: Sequence[datetime],
    gap: timedelta,
) -> int:
    """Give the meetings to come the slots `_match` pairs them with, in `series`; cancel
    the ones left over and make meetings for the slots left over (but those a meeting in
    `held` took place at). Returns how many meetings changed."""
    session.flush()  # every meeting has its id (see _PARKED)
    pairs, left_over, free = _match(coming, held, slots, gap)
    taken = {slot for _, slot in pairs} | set(free)
    rekeyed = [(m, slot) for m, slot in pairs if m.series is not series or m.original_start != slot]
    parked = [m for m in left_over if m.series is series and m.original_start in taken]
    for meeting in [m for m, _ in rekeyed] + parked:
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
            changed += meeting.id not in moved_slot
    for meeting in left_over:
        if meeting.status != "cancelled":
            apply_cancel(ctx, session, meeting, ENDED)
            changed += 1
    for slot in free:
        new_meeting(ctx, session, series, slot)
        changed += 1
    return changed


def _match(
    coming: Sequence[Meeting], held: Sequence[Meeting], slots: Sequence[datetime], gap: timedelta
) -> tuple[list[tuple[Meeting, datetime]], list[Meeting], list[datetime]]:
    """Meetings to come paired with slots, in order, moving them as little as possible
    (an alignment, as of two sequences); meetings `held` lately may take up a slot near
    them (they stay as they are). Leaving a meeting to come or a slot unpaired costs half
    the spacing, so a meeting goes to a slot less than a spacing away rather than be
    cancelled while another is made. (Pairs, meetings to come left over, slots left over.)
    A few dozen of each at most: the table is small."""
    meetings = sorted([*held, *coming], key=lambda meeting: meeting.start)
    was_held = {meeting.id for meeting in held}
    alone = gap.total_seconds() / 2
    rows, columns = len(meetings), len(slots)
    infinity = float("inf")
    cost = [[infinity] * (columns + 1) for _ in range(rows + 1)]
    step: list[list[str]] = [[""] * (columns + 1) for _ in range(rows + 1)]
    cost[0][0] = 0.0
    for i in range(rows + 1):
        for j in range(columns + 1):
            here = cost[i][j]
            if here == infinity:
                continue
            if i < rows:  # meeting i unpaired: nothing for a held one, cancelled if to come
                skip = here + (0.0 if meetings[i].id in was_held else alone)
                if skip < cost[i + 1][j]:
                    cost[i + 1][j], step[i + 1][j] = skip, "meeting"
            if j < columns:  # slot j unpaired: a new meeting
                skip = here + alone
                if skip < cost[i][j + 1]:
                    cost[i][j + 1], step[i][j + 1] = skip, "slot"
            if i < rows and j < columns:
                distance = abs((slots[j] - meetings[i].start).total_seconds())
                if meetings[i].id not in was_held or distance < alone:
                    paired = here + distance
                    if paired < cost[i + 1][j + 1]:
                        cost[i + 1][j + 1], step[i + 1][j + 1] = paired, "pair"
    pairs: list[tuple[Meeting, datetime]] = []
    left_over: list[Meeting] = []
    free: list[datetime] = []
    i, j = rows, columns
    while i or j:
        taken = step[i][j]
        if taken == "pair":
            i, j = i - 1, j - 1
            if meetings[i].id not in was_held:
                pairs.append((meetings[i], slots[j]))
        elif taken == "meeting":
            i -= 1
            if meetings[i].id not in was_held:
                left_over.append(meetings[i])
        else:
            j -= 1
            free.append(slots[j])
    return pairs[::-1], left_over[::-1], free[::-1]


def _put(
    ctx: AppContext, session: Session, meeting: Meeting, start: datetime, length: timedelta
) -> None:
    """The meeting at `start` for `length`; a live one's prompts and digest follow."""
    if meeting.status == "cancelled":  # nothing pending to follow it
        meeting.start, meeting.end = start, start + length
        return
    meeting.end = meeting.start + length  # apply_move keeps the meeting's length
    apply_move(ctx, session, meeting, start)
