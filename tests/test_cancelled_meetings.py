"""A meeting cancelled after its prompt went out: the report who has not answered yet is
told there is no need to, once, in their hours and in the prompt's thread; nothing is sent
when they declined it themselves, had answered, or the cancellation was undone first.
Mail goes through a real SMTP server on loopback (see tests/test_followup.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.chasing import BACK_ON, CANCEL_NOTE, MEETING_CANCELLED
from okrmail.clock import ManualClock
from okrmail.meetings import apply_cancel, apply_restore, cancel_meeting
from okrmail.models import Chase, Meeting
from tests.test_chasing import html, scenario, text
from tests.test_followup import ANSWERS, BERLIN, Run, local, thursday
from tests.test_moved_meetings import Twice, berlin, first_meeting, local_naive


def chase_rows(run: Run) -> list[tuple[str, str, str | None]]:
    with run.ctx.sessions() as session:
        rows = session.scalars(select(Chase).order_by(Chase.kind, Chase.number)).all()
        return [(row.kind, row.status, row.reason) for row in rows]


def assert_no_note(run: Run) -> None:
    """No note that the meeting is off was sent, nor planned."""
    assert run.emails("meeting_cancelled") == []
    assert CANCEL_NOTE not in {kind for kind, _, _ in chase_rows(run)}


def cancel_as(run: Run, meeting: Meeting, cancelled_by: str | None) -> None:
    """The cancellation as a calendar sync applies it (`declined`: the report declined)."""
    with run.ctx.transaction() as session:
        apply_cancel(run.ctx, session, session.get(Meeting, meeting.id), cancelled_by)


def test_a_report_not_yet_answered_is_told_the_meeting_is_off(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob's prompt of Tuesday asked about Thursday 14:00; Mia cancels on Tuesday at 20:00.
    The note goes at 09:00 on Wednesday (his quiet hours end), in the prompt's thread, once
    however often the jobs run; no reminder and no digest follow."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    twice = Twice(run.ctx)
    run.until(berlin(17, 20), dispatcher=twice)
    [prompt] = run.emails("prompt", "rob@example.com")

    cancel_meeting(run.ctx, first_meeting(run).id)
    run.until(thursday(15), dispatcher=twice)

    [note] = run.emails("meeting_cancelled", "rob@example.com")
    assert local(note, BERLIN).replace(tzinfo=None) == local_naive(18, 9)
    assert str(note["Subject"]) == "Cancelled: your 1-on-1 with Mia Manager on Thu 19 Nov 14:00"
    assert note["In-Reply-To"] == prompt["Message-ID"]
    assert note["Reply-To"] == prompt["Reply-To"]
    body = text(note)
    assert "on Thursday 19 November 2026, 14:00–14:30 (Europe/Berlin) has been cancelled" in (
        " ".join(body.split())
    )
    assert "no need to answer the questions" in body
    assert "has been <strong>cancelled</strong>" in html(note)
    assert run.emails("chase") == []
    assert run.emails("digest") == []
    assert run.emails("meeting_cancelled", "mia@example.com") == []
    assert (CANCEL_NOTE, "sent", None) in chase_rows(run)
    assert {status for kind, status, _ in chase_rows(run) if kind != CANCEL_NOTE} == {"cancelled"}


def test_answers_sent_after_the_note_are_kept_as_the_check_in(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 15))
    cancel_meeting(run.ctx, first_meeting(run).id)
    run.until(berlin(17, 16))
    [note] = run.emails("meeting_cancelled", "rob@example.com")

    assert run.reply(note, "Rob Report <rob@example.com>", ANSWERS).status == "checkin"
    run.until(thursday(15))

    [confirmation] = run.emails("confirm", "rob@example.com")
    assert "has since been cancelled; your check-in is kept all the same" in text(confirmation)


def test_no_note_when_the_report_declined_it(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob declining the meeting knows it is off."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 15))
    cancel_as(run, first_meeting(run), "declined")
    run.until(thursday(15))
    assert_no_note(run)


def test_no_note_after_the_answer(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Once Rob has answered there is nothing to spare him."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 15))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "Rob Report <rob@example.com>", ANSWERS).status == "checkin"
    cancel_meeting(run.ctx, first_meeting(run).id)
    run.until(thursday(15))
    assert_no_note(run)


def test_a_cancellation_undone_before_the_note_went_sends_none_and_the_reminders_resume(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Cancelled on Tuesday evening by the series ending (a new cadence), then restored
    overnight: by morning there is nothing to tell; the reminders go as planned. Cancelled
    again: the note skipped before is planned again, and goes."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 20))
    meeting = first_meeting(run)
    cancel_as(run, meeting, "series-ended")
    run.until(berlin(17, 22))
    with run.ctx.transaction() as session:
        apply_restore(run.ctx, session, session.get(Meeting, meeting.id))
    run.until(berlin(18, 15))

    assert run.emails("meeting_cancelled") == []
    assert (CANCEL_NOTE, "skipped", BACK_ON) in chase_rows(run)
    assert len(run.emails("chase", "rob@example.com")) == 1  # Wednesday 14:00's

    cancel_as(run, meeting, "series-ended")
    run.until(thursday(15))

    [note] = run.emails("meeting_cancelled", "rob@example.com")
    assert local(note, BERLIN).replace(tzinfo=None) == local_naive(18, 15, 30)  # next tick
    notes = [row for row in chase_rows(run) if row[0] == CANCEL_NOTE]
    assert notes == [(CANCEL_NOTE, "sent", None)]
    assert ("reminder", "cancelled", MEETING_CANCELLED) in chase_rows(run)


def test_no_note_in_the_last_half_hour_before_the_meetings_time(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(13, 40))
    cancel_meeting(run.ctx, first_meeting(run).id)
    run.until(thursday(15))
    assert_no_note(run)


def test_a_note_held_by_quiet_hours_past_the_meetings_time_is_skipped(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Cancelled on Wednesday at 22:00 for Thursday 09:15: the first time Rob's hours allow
    is 09:00, in the last half hour: no note is planned at all."""
    early = {"weekly": {"window": "09:15-10:00", "days": [4]}}
    run = scenario(ctx, clock, smtp_server, tmp_path, cadences=early)
    run.until(berlin(18, 22))
    assert run.emails("prompt", "rob@example.com")
    cancel_meeting(run.ctx, first_meeting(run).id)
    run.until(berlin(19, 12))
    assert_no_note(run)


def test_the_note_waits_for_the_reports_hours_and_is_sent_before_the_meeting(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(18, 23))
    cancel_meeting(run.ctx, first_meeting(run).id)
    run.until(thursday(15))
    [note] = run.emails("meeting_cancelled", "rob@example.com")
    assert local(note, BERLIN).replace(tzinfo=None) == local_naive(19, 9)
    assert local(note, BERLIN) < thursday(14).astimezone(BERLIN) - timedelta(minutes=30)
