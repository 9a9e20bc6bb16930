"""The embedded `local` calendar: events in our own database, exported as .ics files.

Nothing to connect: the default for a single machine and for the demo. Each person's
calendar is also written as a standards-valid iCalendar file (`<email>.ics`) that any
calendar app can import; a moved occurrence is an override VEVENT with RECURRENCE-ID, a
cancelled one an EXDATE on the master.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vRecur
from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from connectors.calendar import (
    BusyInterval,
    ChangeSet,
    OccurrenceChange,
    ProviderDeps,
    RemoteSeries,
    SeriesSpec,
    calendar_providers,
)
from connectors.calendar.recurrence import local_to_utc, occurrences_from
from connectors.errors import ConnectorError
from okrmail.models import LocalCalendarEvent

PRODID = "-//okrmail//local calendar//EN"


@dataclass(frozen=True)
class LocalCalendarConfig:
    ics_dir: Path | None = None  # None: do not write .ics files


@calendar_providers.register("local")
class LocalCalendar:
    """Calendars kept in the `local_calendar_events` table."""

    name = "local"

    def __init__(self, deps: ProviderDeps) -> None:
        if deps.session_factory is None:
            raise ConnectorError("the local calendar needs a database", permanent=True)
        self._sessions = deps.session_factory
        self._clock = deps.clock
        config = deps.config or LocalCalendarConfig()
        self._ics_dir: Path | None = config.ics_dir

    # -- reading -------------------------------------------------------------------------

    def free_busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]:
        with self._sessions() as session:
            busy: dict[str, list[BusyInterval]] = {}
            for calendar_id in calendar_ids:
                events = self._events_involving(session, calendar_id)
                busy[calendar_id] = sorted(
                    _busy_intervals(events, start, end), key=lambda interval: interval.start
                )
            return busy

    def list_changes(self, calendar_id: str, sync_token: str | None) -> ChangeSet:
        since = int(sync_token) if sync_token and sync_token.isdigit() else 0
        with self._sessions() as session:
            rows = session.scalars(
                select(LocalCalendarEvent)
                .where(LocalCalendarEvent.calendar_id == calendar_id)
                .where(LocalCalendarEvent.change_seq > since)
                .order_by(LocalCalendarEvent.change_seq)
            ).all()
            latest = max([since, *(row.change_seq for row in rows)])
            return ChangeSet([_as_change(row) for row in rows], str(latest))

    # -- writing -------------------------------------------------------------------------

    def create_series(self, spec: SeriesSpec) -> RemoteSeries:
        with self._sessions.begin() as session:
            existing = self._master(session, spec.uid)
            if existing is not None:
                return RemoteSeries(spec.uid, spec.uid, created=False)
            session.add(
                LocalCalendarEvent(
                    calendar_id=spec.calendar_id,
                    uid=spec.uid,
                    recurrence_id=None,
                    summary=spec.summary,
                    description=spec.description,
                    start=local_to_utc(spec.first_start_local, spec.timezone),
                    duration_minutes=spec.duration_minutes,
                    timezone=spec.timezone,
                    rrule=spec.rrule,
                    attendees=list(spec.attendees),
                    status="confirmed",
                    change_seq=_next_seq(session),
                )
            )
        self._export_for(spec.calendar_id, *spec.attendees)
        return RemoteSeries(spec.uid, spec.uid, created=True)

    def move_occurrence(
        self,
        calendar_id: str,
        uid: str,
        original_start: datetime,
        new_start: datetime,
        duration_minutes: int,
    ) -> None:
        self._write_override(uid, original_start, "confirmed", new_start, duration_minutes)

    def cancel_occurrence(self, calendar_id: str, uid: str, original_start: datetime) -> None:
        self._write_override(uid, original_start, "cancelled", None, None)

    def cancel_series(self, calendar_id: str, uid: str) -> None:
        with self._sessions.begin() as session:
            master = self._master(session, uid)
            if master is None or master.status == "cancelled":
                return  # already deleted counts as success
            master.status = "cancelled"
            master.sequence += 1
            master.change_seq = _next_seq(session)
            people = [master.calendar_id, *master.attendees]
        self._export_for(*people)

    def _write_override(
        self,
        uid: str,
        original_start: datetime,
        status: str,
        new_start: datetime | None,
        duration_minutes: int | None,
    ) -> None:
        with self._sessions.begin() as session:
            master = self._master(session, uid)
            if master is None:
                raise ConnectorError(f"no series with uid {uid!r}", permanent=True)
            change_seq = _next_seq(session)  # before adding a row, which autoflush would insert
            override = session.scalar(
                select(LocalCalendarEvent).where(
                    LocalCalendarEvent.uid == uid,
                    LocalCalendarEvent.recurrence_id == original_start,
                )
            )
            if override is None:
                override = LocalCalendarEvent(
                    calendar_id=master.calendar_id,
                    uid=uid,
                    recurrence_id=original_start,
                    summary=master.summary,
                    description=master.description,
                    timezone=master.timezone,
                    rrule=None,
                    attendees=list(master.attendees),
                    sequence=0,
                )
                session.add(override)
            override.status = status
            override.start = new_start or original_start
            override.duration_minutes = duration_minutes or master.duration_minutes
            override.sequence = (override.sequence or 0) + 1
            override.change_seq = change_seq
            people = [master.calendar_id, *master.attendees]
        self._export_for(*people)

    # -- iCalendar export ----------------------------------------------------------------

    def export_ics(self, calendar_id: str, path: Path) -> Path:
        """Write every event `calendar_id` organises or attends as one .ics file."""
        with self._sessions() as session:
            events = self._events_involving(session, calendar_id)
            calendar = build_ics(events, self._now())
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".ics.tmp")
        temporary.write_bytes(calendar.to_ical())
        temporary.replace(path)  # atomic: a calendar app never reads half a file
        return path

    def _export_for(self, *calendar_ids: str) -> None:
        if self._ics_dir is None:
            return
        for calendar_id in dict.fromkeys(calendar_ids):
            self.export_ics(calendar_id, self._ics_dir / f"{calendar_id}.ics")

    # -- helpers -------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    @staticmethod
    def _master(session: Session, uid: str) -> LocalCalendarEvent | None:
        return session.scalar(
            select(LocalCalendarEvent).where(
                LocalCalendarEvent.uid == uid, LocalCalendarEvent.recurrence_id.is_(None)
            )
        )

    @staticmethod
    def _events_involving(session: Session, calendar_id: str) -> list[LocalCalendarEvent]:
        """Masters and overrides organised or attended by `calendar_id`."""
        attendee = f'%"{calendar_id}"%'
        return list(
            session.scalars(
                select(LocalCalendarEvent)
                .where(
                    or_(
                        LocalCalendarEvent.calendar_id == calendar_id,
                        cast(LocalCalendarEvent.attendees, Text).like(attendee),
                    )
                )
                .order_by(LocalCalendarEvent.id)
            )
        )


def _next_seq(session: Session) -> int:
    current = session.scalar(select(func.max(LocalCalendarEvent.change_seq)))
    return (current or 0) + 1


def _as_change(row: LocalCalendarEvent) -> OccurrenceChange:
    end = row.start + timedelta(minutes=row.duration_minutes)
    status = "cancelled" if row.status == "cancelled" else "confirmed"
    return OccurrenceChange(row.uid, row.recurrence_id, status, row.start, end)  # type: ignore[arg-type]


def _busy_intervals(
    events: Iterable[LocalCalendarEvent], start: datetime, end: datetime
) -> Iterable[BusyInterval]:
    events = list(events)
    overrides = {(row.uid, row.recurrence_id): row for row in events if row.recurrence_id}
    for row in events:
        if row.recurrence_id is not None or row.status == "cancelled":
            continue
        length = timedelta(minutes=row.duration_minutes)
        starts = [row.start]
        if row.rrule:
            # Widen the window so an occurrence moved *into* it from outside is seen.
            starts = list(
                occurrences_from(
                    row.rrule,
                    row.start,
                    row.timezone,
                    start - timedelta(days=35),
                    end + timedelta(days=35),
                )
            )
        for occurrence in starts:
            override = overrides.get((row.uid, occurrence))
            if override is not None:
                if override.status == "cancelled":
                    continue
                occurrence, length = override.start, timedelta(minutes=override.duration_minutes)
            if occurrence < end and occurrence + length > start:
                yield BusyInterval(occurrence, occurrence + length)


def build_ics(events: Sequence[LocalCalendarEvent], stamp: datetime) -> Calendar:
    """An RFC 5545 VCALENDAR of masters (with RRULE, EXDATE) and their moved overrides."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    cancelled_by_uid: dict[str, list[datetime]] = {}
    for row in events:
        if row.recurrence_id is not None and row.status == "cancelled":
            cancelled_by_uid.setdefault(row.uid, []).append(row.recurrence_id)
    for row in events:
        if row.recurrence_id is None and row.status == "cancelled":
            continue
        if row.recurrence_id is not None and row.status == "cancelled":
            continue  # expressed as an EXDATE on the master
        calendar.add_component(_vevent(row, stamp, cancelled_by_uid.get(row.uid, [])))
    calendar.add_missing_timezones()
    return calendar


def _vevent(row: LocalCalendarEvent, stamp: datetime, exdates: list[datetime]) -> Event:
    zone = ZoneInfo(row.timezone)
    event = Event()
    event.add("uid", row.uid)
    event.add("dtstamp", stamp)
    event.add("sequence", row.sequence)
    event.add("summary", row.summary)
    if row.description:
        event.add("description", row.description)
    event.add("dtstart", row.start.astimezone(zone))
    event.add("dtend", (row.start + timedelta(minutes=row.duration_minutes)).astimezone(zone))
    event.add("status", "CONFIRMED")
    organizer = vCalAddress(f"mailto:{row.calendar_id}")
    event.add("organizer", organizer)
    for attendee in row.attendees:
        address = vCalAddress(f"mailto:{attendee}")
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = "ACCEPTED"
        event.add("attendee", address, encode=False)
    if row.recurrence_id is not None:
        event.add("recurrence-id", row.recurrence_id.astimezone(zone))
    elif row.rrule:
        event.add("rrule", vRecur.from_ical(row.rrule))
        for excluded in sorted(exdates):
            event.add("exdate", excluded.astimezone(zone))
    return event
