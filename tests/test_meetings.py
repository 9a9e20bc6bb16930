from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.booking import book_all
from okrmail.meetings import cancel_meeting, move_meeting
from okrmail.models import LocalCalendarEvent, Meeting, Prompt


def first_meeting_of(ctx: AppContext, report: str) -> Meeting:
    with ctx.sessions() as session:
        meetings = session.scalars(select(Meeting).order_by(Meeting.start)).all()
        return next(m for m in meetings if m.series.pairing.report.email == report)


def ics_events(ctx: AppContext, email: str) -> list:  # type: ignore[type-arg]
    folder = ctx.settings.data_path(ctx.settings.calendar.ics_dir)
    return list(Calendar.from_ical((folder / f"{email}.ics").read_bytes()).walk("VEVENT"))


def test_moving_an_occurrence_moves_its_prompts_and_the_calendar(org: AppContext) -> None:
    book_all(org)
    meeting = first_meeting_of(org, "lena.vogel@example.com")
    with org.sessions() as session:
        before = (
            session.scalars(select(Prompt).where(Prompt.meeting_id == meeting.id)).one().send_at
        )
    new_start = meeting.start + timedelta(days=2, hours=1)
    move_meeting(org, meeting.id, new_start)
    with org.sessions() as session:
        moved = session.get_one(Meeting, meeting.id)
        assert (moved.start, moved.status, moved.push_pending) == (new_start, "moved", False)
        prompt = session.scalars(select(Prompt).where(Prompt.meeting_id == meeting.id)).one()
        assert prompt.status == "pending" and prompt.send_at > before
        assert prompt.send_at < new_start
    events = ics_events(org, "lena.vogel@example.com")
    override = [event for event in events if "RECURRENCE-ID" in event]
    assert len(override) == 1
    assert override[0]["RECURRENCE-ID"].dt == meeting.original_start
    assert override[0]["DTSTART"].dt == new_start


def test_cancelling_an_occurrence_cancels_its_prompts_and_shows_as_exdate(org: AppContext) -> None:
    book_all(org)
    meeting = first_meeting_of(org, "tom.hughes@example.com")
    cancel_meeting(org, meeting.id)
    with org.sessions() as session:
        assert session.get_one(Meeting, meeting.id).status == "cancelled"
        statuses = set(
            session.scalars(select(Prompt.status).where(Prompt.meeting_id == meeting.id))
        )
        assert statuses == {"cancelled"}
        other = session.scalars(
            select(Prompt)
            .join(Meeting)
            .where(Meeting.id != meeting.id, Meeting.series_id == meeting.series_id)
        ).all()
        assert other and {p.status for p in other} == {"pending"}
    master = next(e for e in ics_events(org, "tom.hughes@example.com") if "RRULE" in e)
    exdates = [value.dt for value in master["EXDATE"].dts]
    assert exdates == [meeting.original_start]


def test_a_failed_calendar_push_is_retried_by_the_tick(org: AppContext, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from connectors.errors import ConnectorError
    from okrmail.tick import tick
    from workers.dispatch import InlineDispatcher

    book_all(org)
    meeting = first_meeting_of(org, "dana.wright@example.com")
    calendar = org.calendar
    real_cancel = calendar.cancel_occurrence

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectorError("503 from the calendar", permanent=False)

    monkeypatch.setattr(calendar, "cancel_occurrence", flaky)
    cancel_meeting(org, meeting.id)
    with org.sessions() as session:
        assert session.get_one(Meeting, meeting.id).push_pending is True
    monkeypatch.setattr(calendar, "cancel_occurrence", real_cancel)
    report = tick(org, InlineDispatcher(org))
    assert report.dispatched.get("push_meetings") == 1
    with org.sessions() as session:
        assert session.get_one(Meeting, meeting.id).push_pending is False
        override = session.scalars(
            select(LocalCalendarEvent).where(
                LocalCalendarEvent.recurrence_id == meeting.original_start
            )
        ).one()
        assert override.status == "cancelled"
