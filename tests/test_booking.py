from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from connectors.calendar import SeriesSpec
from okrmail.app import AppContext
from okrmail.booking import book_all, book_pairing
from okrmail.clock import ManualClock
from okrmail.imports.people import import_people
from okrmail.models import LocalCalendarEvent, Meeting, Pairing, Prompt, Series
from tests.conftest import PEOPLE_HEADER, write_csv

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")


def import_pair(ctx: AppContext, tmp_path: Path, manager_row: str, report_row: str) -> int:
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, manager_row, report_row)
    with ctx.transaction() as session:
        import_people(session, path, ctx.settings.templates_path)
        return session.scalars(select(Pairing.id)).one()


def test_new_york_and_berlin_across_march(
    ctx: AppContext, clock: ManualClock, tmp_path: Path
) -> None:
    """The US moves its clocks on 8 March 2026, Europe on 29 March: for three weeks the gap
    is five hours instead of six. The meeting stays put in the manager's zone all along, and
    the slot chosen still fits the Berlin report's working hours during those weeks."""
    clock.set(datetime(2026, 2, 20, 12, 0, tzinfo=UTC))
    pairing_id = import_pair(
        ctx,
        tmp_path,
        "nina@example.com,Nina NY,,America/New_York,09:00-17:00,Mon-Fri,,",
        "bernd@example.com,Bernd Berlin,nina@example.com,Europe/Berlin,09:00-17:00,Mon-Fri,weekly,",
    )
    series = book_pairing(ctx, pairing_id)
    with ctx.sessions() as session:
        meetings = session.scalars(
            select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.start)
        ).all()
    assert len(meetings) >= 5
    new_york = [meeting.start.astimezone(NEW_YORK) for meeting in meetings]
    berlin = [meeting.start.astimezone(BERLIN) for meeting in meetings]
    assert {local.time() for local in new_york} == {new_york[0].time()}, "same local time in NY"
    offsets = {(b.hour - n.hour) for n, b in zip(new_york, berlin, strict=True)}
    assert offsets == {5, 6}, "Berlin sees the meeting an hour earlier during the gap weeks"
    for local in berlin:
        assert time(9) <= local.time() and (local + timedelta(minutes=30)).time() <= time(17)
    gap = [
        b
        for b in berlin
        if datetime(2026, 3, 9, tzinfo=BERLIN) <= b < datetime(2026, 3, 28, tzinfo=BERLIN)
    ]
    assert len(gap) == 3 and {b.hour for b in gap} == {new_york[0].hour + 5}


def test_slot_finder_looks_past_the_first_dst_change(
    ctx: AppContext, clock: ManualClock, tmp_path: Path
) -> None:
    """A Berlin report who works 15:30-18:00: in February NY 09:30 is 15:30 in Berlin, but
    from 8 March it is 14:30 — outside their hours. Only a finder that checks occurrences
    across the US change picks a slot that fits every week (NY 10:30 or later)."""
    clock.set(datetime(2026, 2, 20, 12, 0, tzinfo=UTC))
    pairing_id = import_pair(
        ctx,
        tmp_path,
        "nina@example.com,Nina NY,,America/New_York,09:00-17:00,Mon-Fri,,",
        "bernd@example.com,Bernd Berlin,nina@example.com,Europe/Berlin,15:30-18:00,Mon-Fri,weekly,",
    )
    series = book_pairing(ctx, pairing_id)
    assert series.local_start == time(10, 30)
    with ctx.sessions() as session:
        for meeting in session.scalars(select(Meeting).where(Meeting.series_id == series.id)):
            local = meeting.start.astimezone(BERLIN)
            assert time(15, 30) <= local.time() and local.time() <= time(17, 30)


def test_booking_twice_books_once(org: AppContext) -> None:
    booked, problems = book_all(org)
    assert problems == [] and len(booked) == 10
    again, _ = book_all(org)
    assert again == []
    with org.sessions() as session:
        pairing_id = session.scalars(select(Pairing.id)).first()
    book_pairing(org, pairing_id)  # a direct second booking of one pairing is a no-op too
    with org.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Series)) == 10
        masters = session.scalar(
            select(func.count())
            .select_from(LocalCalendarEvent)
            .where(LocalCalendarEvent.recurrence_id.is_(None))
        )
        assert masters == 10


def test_a_crash_between_reserving_and_creating_does_not_duplicate(org: AppContext) -> None:
    """The uid is committed before the provider is called; a retry after the call
    succeeded but before we recorded it must find the event, not make a second one."""
    with org.sessions() as session:
        pairing_id = session.scalars(select(Pairing.id).order_by(Pairing.id)).first()
    series = book_pairing(org, pairing_id)
    with org.transaction() as session:  # simulate: provider call done, our update lost
        row = session.get_one(Series, series.id)
        row.status = "booking"
    book_pairing(org, pairing_id)
    with org.sessions() as session:
        assert session.get_one(Series, series.id).status == "active"
        events = session.scalars(
            select(LocalCalendarEvent).where(LocalCalendarEvent.uid == series.uid)
        ).all()
        assert len(events) == 1
        meetings = session.scalar(
            select(func.count()).select_from(Meeting).where(Meeting.series_id == series.id)
        )
        assert meetings == len(
            {m.original_start for m in session.get_one(Series, series.id).meetings}
        )


def test_slots_avoid_busy_times_and_each_other(org: AppContext) -> None:
    ana = "ana.keller@example.com"
    org.calendar.create_series(
        SeriesSpec(
            uid="existingstandup0",
            calendar_id=ana,
            summary="Standup",
            description="",
            first_start_local=datetime(2026, 11, 16, 9, 0),
            timezone="Europe/Berlin",
            rrule="FREQ=DAILY",
            duration_minutes=60,
            attendees=(),
        )
    )
    _, problems = book_all(org)
    assert not problems
    with org.sessions() as session:
        starts = [
            (series.calendar_id, series.first_start) for series in session.scalars(select(Series))
        ]
    ana_starts = sorted(start for calendar, start in starts if calendar == ana)
    for start in ana_starts:
        assert start.astimezone(BERLIN).time() >= time(10), "the daily standup 09:00-10:00 is busy"
    assert len(set(ana_starts)) == len(ana_starts), "two 1-on-1s of one manager never collide"


def test_every_cadence_books_its_rrule(org: AppContext) -> None:
    book_all(org)
    with org.sessions() as session:
        rules = {s.pairing.cadence: s.rrule for s in session.scalars(select(Series))}
    assert rules["weekly"].startswith("FREQ=WEEKLY;INTERVAL=1;BYDAY=")
    assert rules["biweekly"].startswith("FREQ=WEEKLY;INTERVAL=2;BYDAY=")
    assert rules["monthly"].startswith("FREQ=MONTHLY;INTERVAL=1;BYDAY=")
    assert rules["quarterly"].startswith("FREQ=MONTHLY;INTERVAL=3;BYDAY=")


def test_no_slot_is_reported_not_raised(ctx: AppContext, tmp_path: Path) -> None:
    import_pair(
        ctx,
        tmp_path,
        "early@example.com,Early,,Asia/Tokyo,06:00-09:00,Mon-Fri,,",
        "late@example.com,Late,early@example.com,America/Los_Angeles,09:00-12:00,Mon-Fri,weekly,",
    )
    booked, problems = book_all(ctx)
    assert booked == [] and len(problems) == 1 and "no free slot" in problems[0]


def test_each_persons_ics_file_is_valid_icalendar(org: AppContext) -> None:
    book_all(org)
    folder = org.settings.data_path(org.settings.calendar.ics_dir)
    lena = Calendar.from_ical((folder / "lena.vogel@example.com.ics").read_bytes())
    events = [component for component in lena.walk("VEVENT")]
    assert len(events) == 1
    event = events[0]
    assert str(event["ORGANIZER"]) == "mailto:ana.keller@example.com"
    assert "FREQ" in event["RRULE"] and event["DTSTART"].dt.tzinfo is not None
    assert [tz["TZID"] for tz in lena.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert str(event["UID"]) and str(event["DTSTAMP"])


@pytest.mark.parametrize("cadence", ["weekly", "biweekly", "monthly", "quarterly"])
def test_prompts_hang_off_every_meeting(ctx: AppContext, tmp_path: Path, cadence: str) -> None:
    pairing_id = import_pair(
        ctx,
        tmp_path,
        "m@example.com,Manager,,Europe/Paris,09:00-17:00,Mon-Fri,,",
        f"r@example.com,Report,m@example.com,Europe/Paris,09:00-17:00,Mon-Fri,{cadence},",
    )
    book_pairing(ctx, pairing_id)
    with ctx.sessions() as session:
        meetings = session.scalars(select(Meeting)).all()
        prompts = session.scalars(select(Prompt)).all()
        assert meetings and {p.meeting_id for p in prompts} == {m.id for m in meetings}
        for prompt in prompts:
            assert prompt.send_at < prompt.meeting.start


def test_a_cancelled_series_is_not_rebooked_behind_peoples_backs(org: AppContext) -> None:
    book_all(org)
    with org.transaction() as session:
        series = session.scalars(select(Series).order_by(Series.id)).first()
        series.status = "cancelled"  # e.g. deleted or declined on the calendar
        pairing_id, old_uid = series.pairing_id, series.uid
    assert book_all(org) == ([], [])
    rebooked = book_pairing(org, pairing_id)  # what `okrmail book --pairing ID` does
    assert rebooked.status == "active" and rebooked.uid != old_uid
