"""Booking: find the first slot free for both people and book the recurring 1-on-1.

A slot must sit inside the cadence's preferred window (manager's zone), inside both
people's working hours and days (each in their own zone) for the first few occurrences —
so a pairing across zones that change to summer time on different dates still fits — and
clear of both calendars' busy times. The series' uid is chosen and committed before the
provider is called, so booking twice (or retrying after a crash) books once.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.calendar import BusyInterval, SeriesSpec
from connectors.calendar.recurrence import occurrences, occurrences_from, utc_to_local
from connectors.errors import ConnectorError
from okrmail.app import AppContext
from okrmail.cadence import cadence_rrule
from okrmail.digests import schedule_digest
from okrmail.models import Meeting, Pairing, Person, Series
from okrmail.prompting import schedule_prompts

log = logging.getLogger(__name__)


class BookingError(Exception):
    """No slot could be found, or the provider refused for good."""


@dataclass(frozen=True)
class Slot:
    first_local: datetime  # naive, in the manager's zone
    rrule: str
    starts: tuple[datetime, ...]  # the checked occurrences, UTC


def new_series_uid() -> str:
    """Client-chosen event id: lower-case base32hex (a-v, 0-9), valid as a Google event id,
    a Graph transactionId and an iCalendar UID alike."""
    return base64.b32hexencode(secrets.token_bytes(15)).decode("ascii").lower()


def _within_hours(person: Person, start: datetime, end: datetime) -> bool:
    zone = ZoneInfo(person.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return (
        local_start.isoweekday() in person.work_days
        and local_start.date() == local_end.date()
        and person.work_start <= local_start.time()
        and local_end.time() <= person.work_end
    )


def _overlaps(busy: Sequence[BusyInterval], start: datetime, end: datetime) -> bool:
    return any(interval.start < end and start < interval.end for interval in busy)


def find_slot(
    ctx: AppContext, pairing: Pairing, after: datetime, busy: Sequence[BusyInterval]
) -> Slot | None:
    """The first slot after `after` that fits both people, or None."""
    settings = ctx.settings
    manager, report = pairing.manager, pairing.report
    zone = manager.timezone
    window = settings.cadence_window(pairing.cadence)
    window_start, window_end = window.bounds
    length = timedelta(minutes=settings.booking.duration_minutes)
    step = timedelta(minutes=settings.booking.slot_step_minutes)
    horizon = after + timedelta(days=400)
    # The first meeting leaves room for its prompt to go out a full lead time before it.
    not_before = after + timedelta(hours=settings.prompts.lead_hours)
    first_day = utc_to_local(not_before, zone).date() + timedelta(days=1)
    for offset in range(settings.booking.search_days):
        day = first_day + timedelta(days=offset)
        if day.isoweekday() not in window.days:
            continue
        for local_start in _candidate_times(day, window_start, window_end, length, step):
            rrule = cadence_rrule(pairing.cadence, local_start)
            starts = tuple(
                start
                for _, start in zip(
                    range(settings.booking.check_occurrences),
                    occurrences(rrule, local_start, zone, after, horizon),
                    strict=False,
                )
            )
            if starts and all(
                _within_hours(person, start, start + length)
                and not _overlaps(busy, start, start + length)
                for start in starts
                for person in (manager, report)
            ):
                return Slot(local_start, rrule, starts)
    return None


def _candidate_times(
    day: date, window_start: time, window_end: time, length: timedelta, step: timedelta
) -> list[datetime]:
    candidates = []
    current = datetime.combine(day, window_start)
    last = datetime.combine(day, window_end) - length
    while current <= last:
        candidates.append(current)
        current += step
    return candidates


# Busy times are read this far past the search window: far enough for the first several
# weekly occurrences, short enough for providers that cap a free/busy query's range.
BUSY_REACH_DAYS = 56


def _busy_window(ctx: AppContext, after: datetime) -> tuple[datetime, datetime]:
    return after, after + timedelta(days=ctx.settings.booking.search_days + BUSY_REACH_DAYS)


def _busy_for(ctx: AppContext, pairing: Pairing, after: datetime) -> list[BusyInterval]:
    """Both people's busy times over the span the checked occurrences can reach."""
    start, end = _busy_window(ctx, after)
    busy = ctx.calendar.free_busy([pairing.manager.email, pairing.report.email], start, end)
    return [interval for intervals in busy.values() for interval in intervals]


def book_pairing(ctx: AppContext, pairing_id: int) -> Series:
    """Book (or finish booking) the pairing's series; a no-op when it is already booked."""
    with ctx.transaction() as session:
        pairing = session.get(Pairing, pairing_id)
        if pairing is None or not pairing.active:
            raise BookingError(f"no active pairing #{pairing_id}")
        series = _open_series(session, pairing_id) or _reserve_series(ctx, session, pairing)
        session.flush()
        spec, status, series_id = _spec(series, pairing), series.status, series.id
    if status != "booking":
        return series
    # The uid is committed: only now is the provider called, and a retry reuses the uid.
    try:
        remote = ctx.calendar.create_series(spec)
    except ConnectorError as error:
        raise BookingError(f"calendar refused the booking: {error.message}") from error
    with ctx.transaction() as session:
        series = session.get_one(Series, series_id)
        if series.status == "booking":  # another worker may have finished it meanwhile
            series.remote_id = remote.remote_id
            series.status = "active"
            expand_series(ctx, session, series)
    return series


def _reserve_series(ctx: AppContext, session: Session, pairing: Pairing) -> Series:
    """Find the slot and add the series row with its client-chosen uid (status booking)."""
    now = ctx.now()
    slot = find_slot(ctx, pairing, now, _busy_for(ctx, pairing, now))
    if slot is None:
        raise BookingError(
            f"no free slot for {pairing.manager.email} and {pairing.report.email} in the "
            f"next {ctx.settings.booking.search_days} days within both working hours"
        )
    series = _new_series(ctx, pairing, slot)
    session.add(series)
    return series


def _new_series(ctx: AppContext, pairing: Pairing, slot: Slot) -> Series:
    """A series row in status `booking`, with its client-chosen uid."""
    return Series(
        pairing=pairing,
        provider=ctx.settings.calendar.provider,
        calendar_id=pairing.manager.email,
        uid=new_series_uid(),
        rrule=slot.rrule,
        timezone=pairing.manager.timezone,
        local_start=slot.first_local.time(),
        first_start=slot.starts[0],
        duration_minutes=ctx.settings.booking.duration_minutes,
        status="booking",
    )


def _open_series(session: Session, pairing_id: int) -> Series | None:
    return session.scalar(
        select(Series).where(Series.pairing_id == pairing_id, Series.status != "cancelled")
    )


def _spec(series: Series, pairing: Pairing) -> SeriesSpec:
    first_local = utc_to_local(series.first_start, series.timezone)
    return SeriesSpec(
        uid=series.uid,
        calendar_id=series.calendar_id,
        summary=f"1-on-1: {pairing.manager.name} / {pairing.report.name}",
        description="Recurring 1-on-1. Check-in questions arrive by email before each meeting.",
        first_start_local=first_local,
        timezone=series.timezone,
        rrule=series.rrule,
        duration_minutes=series.duration_minutes,
        attendees=(pairing.report.email,),
    )


def expand_series(ctx: AppContext, session: Session, series: Series) -> int:
    """Create the meetings (and their prompts) up to the horizon; returns how many."""
    until = ctx.now() + timedelta(days=ctx.settings.booking.horizon_days)
    since = series.expanded_until or series.first_start
    if series.status != "active" or since >= until:
        return 0
    existing = set(
        session.scalars(select(Meeting.original_start).where(Meeting.series_id == series.id))
    )
    created = 0
    for start in occurrences_from(series.rrule, series.first_start, series.timezone, since, until):
        if start in existing:
            continue
        new_meeting(ctx, session, series, start)
        created += 1
    series.expanded_until = until
    return created


def new_meeting(ctx: AppContext, session: Session, series: Series, start: datetime) -> Meeting:
    """The meeting in `series` at slot `start`, with its prompts and digest."""
    length = timedelta(minutes=series.duration_minutes)
    meeting = Meeting(
        series=series, original_start=start, start=start, end=start + length, status="scheduled"
    )
    session.add(meeting)
    schedule_prompts(ctx, session, meeting, series.pairing)
    schedule_digest(ctx, session, meeting, series.pairing)
    return meeting


def book_all(ctx: AppContext) -> tuple[list[Series], list[str]]:
    """Book every active pairing without a series, in bulk; returns (booked, problems).

    One free/busy query covers everyone involved (the provider splits it as its API
    requires), each slot found is marked busy before the next pairing is placed, and the
    series are created together (batched where the provider supports it). One failure does
    not stop the others, and each is reported.
    """
    now = ctx.now()
    problems: list[str] = []
    with ctx.transaction() as session:
        # A pairing whose series was cancelled (deleted or declined on the calendar) is not
        # booked again behind the people's backs: an admin rebooks it with `book --pairing`.
        booked_ids = select(Series.pairing_id)
        pairings = session.scalars(
            select(Pairing)
            .where(Pairing.active, Pairing.id.not_in(booked_ids))
            .order_by(Pairing.id)
        ).all()
        if pairings:
            emails = sorted(
                {p.manager.email for p in pairings} | {p.report.email for p in pairings}
            )
            start, end = _busy_window(ctx, now)
            busy = {
                email: list(spans)
                for email, spans in ctx.calendar.free_busy(emails, start, end).items()
            }
            length = timedelta(minutes=ctx.settings.booking.duration_minutes)
            for pairing in pairings:
                people = (pairing.manager.email, pairing.report.email)
                both = [span for email in people for span in busy.get(email, [])]
                slot = find_slot(ctx, pairing, now, both)
                if slot is None:
                    problems.append(
                        f"pairing #{pairing.id}: no free slot for {people[0]} and {people[1]}"
                    )
                    continue
                session.add(_new_series(ctx, pairing, slot))
                for email in people:  # the next pairing must not land on this one
                    busy.setdefault(email, []).extend(
                        BusyInterval(start, start + length) for start in slot.starts
                    )
        pending = session.scalars(select(Series).where(Series.status == "booking")).all()
        specs = {series.id: _spec(series, series.pairing) for series in pending}
    booked, failures = _create_remote(ctx, specs)
    return booked, problems + failures


def _create_remote(ctx: AppContext, specs: dict[int, SeriesSpec]) -> tuple[list[Series], list[str]]:
    """Create the reserved series on the provider and mark them active."""
    if not specs:
        return [], []
    ordered = list(specs.items())
    create_many = getattr(ctx.calendar, "create_series_many", None)
    if create_many is not None:
        results = create_many([spec for _, spec in ordered])
    else:
        results = []
        for _, spec in ordered:
            try:
                results.append(ctx.calendar.create_series(spec))
            except ConnectorError as error:
                results.append(error)
    booked: list[Series] = []
    failures: list[str] = []
    for (series_id, spec), result in zip(ordered, results, strict=True):
        if isinstance(result, ConnectorError):
            log.warning("series %s: %s", spec.uid, result.message)
            failures.append(f"series {spec.uid} ({spec.calendar_id}): {result.message}")
            continue
        with ctx.transaction() as session:
            series = session.get_one(Series, series_id)
            if series.status == "booking":
                series.remote_id = result.remote_id
                series.status = "active"
                expand_series(ctx, session, series)
            booked.append(series)
    return booked, failures
