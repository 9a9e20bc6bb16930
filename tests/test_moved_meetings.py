"""Reminders and the manager's digest following a meeting that moves or is cancelled after
they were planned (or sent), as people receive them: the tick over time with a manual
clock, mail through a real SMTP server on loopback (see tests/test_followup.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.chasing import MEETING_MOVED, TOLD_ALREADY
from okrmail.clock import ManualClock
from okrmail.meetings import cancel_meeting, move_meeting
from okrmail.models import Chase, Digest, Meeting
from tests.test_chasing import MORNING_DIGEST, html, scenario, sent_at, text
from tests.test_followup import (
    ANSWERS,
    BERLIN,
    MIA,
    NEW_YORK,
    ROB,
    RULES,
    Balance,
    Run,
    local,
    thursday,
)
from workers.dispatch import InlineDispatcher
from workers.jobs import JOBS

# The prompt a day ahead (Wednesday 14:00 for Thursday's 14:00 1-on-1): one reminder fits
# before Mia's 12:00 digest, at 10:00 on Thursday.
DAY_AHEAD = {"prompts": {"lead_hours": 24, "earliest_hours": 72}}
MONDAY_NEXT = datetime(2026, 11, 23, 14, 0, tzinfo=BERLIN).astimezone(UTC)


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def times(messages: list[EmailMessage]) -> list[datetime]:
    return [local(message, BERLIN).replace(tzinfo=None) for message in messages]


def first_meeting(run: Run) -> Meeting:
    with run.ctx.sessions() as session:
        return session.scalars(select(Meeting).order_by(Meeting.start)).first()


def digest_rows(run: Run, meeting: Meeting) -> list[tuple[datetime, str]]:
    with run.ctx.sessions() as session:
        rows = session.scalars(
            select(Digest).where(Digest.meeting_id == meeting.id).order_by(Digest.id)
        )
        return [(row.meeting_start, row.status) for row in rows]


def local_naive(year_day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, year_day, hour, minute)


def test_a_meeting_moved_later_after_its_digest_is_chased_and_briefed_again(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Thursday's 1-on-1 moved to next Monday half an hour after Mia's digest: Rob got no
    more reminders (the digest "had gone out") and Mia no digest before Monday's meeting."""
    run = scenario(ctx, clock, smtp_server, tmp_path, **DAY_AHEAD)
    run.until(thursday(12, 30))
    assert times(run.emails("chase", "rob@example.com")) == [local_naive(19, 10)]
    [first] = run.emails("digest", "mia@example.com")
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, MONDAY_NEXT)
    run.until(MONDAY_NEXT + timedelta(hours=1))

    # The reminder Rob had left goes before Monday's meeting (4 hours before it).
    assert times(run.emails("chase", "rob@example.com")) == [
        local_naive(19, 10),
        local_naive(23, 10),
    ]
    digests = run.emails("digest", "mia@example.com")
    assert times(digests) == [local_naive(19, 12), local_naive(23, 12)]
    fresh = digests[1]
    assert fresh["Message-ID"] != first["Message-ID"]
    assert "moved to Mon 23 Nov 14:00" in str(fresh["Subject"])
    assert "SINCE YOUR DIGEST OF Thu 19 Nov 12:00" in text(fresh)
    assert "Moved from Thu 19 Nov 14:00 to Mon 23 Nov 14:00." in text(fresh)
    assert "Reminded: Mon 23 Nov 10:00." in text(fresh)
    assert "NO CHECK-IN YET" in text(fresh)
    html = fresh.get_body(("html",)).get_content()
    assert "Moved from Thu 19 Nov 14:00 to Mon 23 Nov 14:00." in " ".join(html.split())
    checker = Balance()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert digest_rows(run, meeting) == [(thursday(14), "sent"), (MONDAY_NEXT, "sent")]


def test_an_answer_after_the_move_is_in_the_fresh_digest_and_stops_the_reminder(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    run = scenario(ctx, clock, smtp_server, tmp_path, **DAY_AHEAD)
    run.until(thursday(12, 30))
    meeting = first_meeting(run)
    move_meeting(run.ctx, meeting.id, MONDAY_NEXT)
    run.until(berlin(20, 10))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "Rob Report <rob@example.com>", ANSWERS).status == "checkin"

    run.until(MONDAY_NEXT + timedelta(hours=1))

    assert times(run.emails("chase", "rob@example.com")) == [local_naive(19, 10)]
    [_, fresh] = run.emails("digest", "mia@example.com")
    assert "Rob answered the check-in (Fri 20 Nov 10:00)." in text(fresh)
    assert "Blocked on the data export from finance" in text(fresh)
    assert "NO CHECK-IN YET" not in text(fresh) and "no check-in yet" not in str(fresh["Subject"])
    assert reminder_rows(run) == [(1, "sent", None), (2, "skipped", "the check-in was answered")]
    # Told on Thursday that the meeting moved to Monday, before he answered.
    [note] = run.emails("meeting_moved", "rob@example.com")
    assert local(note, BERLIN).replace(tzinfo=None) == local_naive(19, 13)


def test_no_second_digest_for_a_time_already_briefed(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Moved later, then back, then earlier, each job run twice: one digest per meeting
    time that needed one, never the same again."""

    class Twice(InlineDispatcher):
        def dispatch(self, job: str, ids: list[int]) -> None:
            super().dispatch(job, ids)
            super().dispatch(job, ids)

    run = scenario(ctx, clock, smtp_server, tmp_path, **DAY_AHEAD)
    twice = Twice(run.ctx)
    run.until(thursday(12, 30), dispatcher=twice)
    meeting = first_meeting(run)
    friday = berlin(20, 14)

    move_meeting(run.ctx, meeting.id, friday)  # later: a fresh digest on Friday at 12:00
    run.until(berlin(20, 12, 30), dispatcher=twice)
    move_meeting(run.ctx, meeting.id, berlin(20, 13))  # earlier: Friday's digest serves
    move_meeting(run.ctx, meeting.id, friday)  # back: Friday's digest was for this time
    run.until(berlin(20, 15), dispatcher=twice)

    digests = run.emails("digest", "mia@example.com")
    assert times(digests) == [local_naive(19, 12), local_naive(20, 12)]
    assert len({str(d["Message-ID"]) for d in digests}) == 2
    assert digest_rows(run, meeting) == [(thursday(14), "sent"), (friday, "sent")]


def test_a_meeting_moved_later_then_cancelled_gets_nothing_more(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    run = scenario(ctx, clock, smtp_server, tmp_path, **DAY_AHEAD)
    run.until(thursday(12, 30))
    meeting = first_meeting(run)
    move_meeting(run.ctx, meeting.id, MONDAY_NEXT)
    run.until(berlin(20, 9))
    cancel_meeting(run.ctx, meeting.id)

    run.until(MONDAY_NEXT + timedelta(hours=1))

    assert len(run.emails("chase", "rob@example.com")) == 1
    assert len(run.emails("digest", "mia@example.com")) == 1
    assert digest_rows(run, meeting) == [(thursday(14), "sent"), (MONDAY_NEXT, "cancelled")]
    assert [status for _, status, _ in reminder_rows(run)] == ["sent", "cancelled"]
    assert len(run.emails("meeting_moved", "rob@example.com")) == 1  # told of the move
    [note] = run.emails("meeting_cancelled", "rob@example.com")  # and that it is off
    assert str(note["Subject"]) == "Cancelled: your 1-on-1 with Mia Manager on Mon 23 Nov 14:00"


def test_a_meeting_moved_to_short_notice_waits_for_the_answer_before_the_digest(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Thursday's 1-on-1 moved on Monday at 10:00 to 11:30 the same day: Rob's prompt went
    at 10:05 and Mia's digest with it, saying he had not answered; his answer at 10:40
    reached no digest."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(16, 10))
    meeting = first_meeting(run)
    soon = berlin(16, 11, 30)
    move_meeting(run.ctx, meeting.id, soon)
    run.until(berlin(16, 10, 40), step=timedelta(minutes=5))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert local(prompt, BERLIN).replace(tzinfo=None) == local_naive(16, 10, 5)
    assert run.emails("digest") == []  # not yet: Rob has an hour to answer
    assert run.reply(prompt, "Rob Report <rob@example.com>", ANSWERS).status == "checkin"

    run.until(soon, step=timedelta(minutes=5))

    [digest] = run.emails("digest", "mia@example.com")
    # An hour after the prompt, and still 25 minutes before the meeting to read it.
    assert local(digest, BERLIN).replace(tzinfo=None) == local_naive(16, 11, 5)
    assert sent_at(digest) <= soon - timedelta(minutes=15)
    assert "Blocked on the data export from finance" in text(digest)
    assert "NO CHECK-IN YET" not in text(digest)
    assert run.emails("chase") == []  # no room: reminders go 4 hours before the meeting


def test_a_short_notice_digest_still_leaves_time_to_read_it(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Moved to 40 minutes ahead: the hour for Rob's answer does not fit, so the digest
    goes 15 minutes before the meeting, not with the prompt."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(16, 10))
    soon = berlin(16, 10, 40)
    move_meeting(run.ctx, first_meeting(run).id, soon)

    run.until(soon, step=timedelta(minutes=5))

    [prompt] = run.emails("prompt", "rob@example.com")
    [digest] = run.emails("digest", "mia@example.com")
    assert local(prompt, BERLIN).replace(tzinfo=None) == local_naive(16, 10, 5)
    assert local(digest, BERLIN).replace(tzinfo=None) == local_naive(16, 10, 25)
    assert "NO CHECK-IN YET" in text(digest)


def test_the_morning_digest_waits_for_a_prompt_sent_the_same_morning(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Morning mode: Thursday's meeting moved on Monday at 10:00 to 14:00 that day, after
    the 08:00 morning digest time; the digest went with the prompt at 10:05."""
    run = scenario(
        ctx,
        clock,
        smtp_server,
        tmp_path,
        digest=MORNING_DIGEST,
    )
    run.until(berlin(16, 10))
    move_meeting(run.ctx, first_meeting(run).id, berlin(16, 14))

    run.until(berlin(16, 14), step=timedelta(minutes=5))

    [prompt] = run.emails("prompt", "rob@example.com")
    [digest] = run.emails("digest", "mia@example.com")
    assert local(prompt, BERLIN).replace(tzinfo=None) == local_naive(16, 10, 5)
    assert local(digest, BERLIN).replace(tzinfo=None) == local_naive(16, 11, 5)


def test_a_fresh_digest_with_nothing_new_says_so_and_reminders_stay_capped(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob was reminded twice (max_per_prompt) before Thursday's digest; the meeting then
    moved to Monday. No third reminder, and Mia's digest before Monday says nothing new
    came, rather than nothing at all going out."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(12, 30))
    assert len(run.emails("chase", "rob@example.com")) == 2
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, MONDAY_NEXT)
    run.until(MONDAY_NEXT + timedelta(hours=1))

    assert len(run.emails("chase", "rob@example.com")) == 2
    [_, fresh] = run.emails("digest", "mia@example.com")
    assert local(fresh, BERLIN).replace(tzinfo=None) == local_naive(23, 12)
    assert "Moved from Thu 19 Nov 14:00 to Mon 23 Nov 14:00." in text(fresh)
    assert "Nothing new from Rob: still no check-in." in text(fresh)
    assert "Reminded: Wed 18 Nov 14:00, Thu 19 Nov 10:00" in text(fresh)


def test_a_managers_note_skipped_before_the_move_is_planned_again_after_it(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Mia's note about Rob was skipped (her digest went first, both due at 12:00); the
    meeting then moved to Monday. Planning the note again took the skipped note's number:
    the move failed on the database's unique key."""
    run = scenario(
        ctx,
        clock,
        smtp_server,
        tmp_path,
        **DAY_AHEAD,
        chase={**RULES["chase"], "notify_manager": True},
    )
    held: list[list[int]] = []

    class DigestsFirst(InlineDispatcher):
        def dispatch(self, job: str, ids: list[int]) -> None:
            if job == "send_chases" and run.clock.now() >= thursday(12):
                held.append(ids)  # a slower worker: the digest job runs first
            else:
                super().dispatch(job, ids)

    run.until(thursday(12), dispatcher=DigestsFirst(run.ctx))
    for ids in held:
        JOBS["send_chases"](run.ctx, ids)
    run.until(thursday(12, 30))
    assert run.emails("chase", "mia@example.com") == []
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, MONDAY_NEXT)
    run.until(MONDAY_NEXT + timedelta(hours=1))

    assert times(run.emails("chase", "rob@example.com")) == [
        local_naive(19, 10),
        local_naive(23, 10),
    ]
    [note] = run.emails("chase", "mia@example.com")
    assert local(note, BERLIN).replace(tzinfo=None) == local_naive(23, 12)
    assert "after 2 reminders" in text(note)
    [_, fresh] = run.emails("digest", "mia@example.com")
    assert sent_at(note) <= sent_at(fresh)
    with run.ctx.sessions() as session:
        notes = session.scalars(
            select(Chase).where(Chase.kind == "manager_note").order_by(Chase.number)
        ).all()
        assert [(n.number, n.status) for n in notes] == [(1, "skipped"), (2, "sent")]


def test_a_small_move_the_same_day_after_the_digest_sends_no_second_digest(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Thursday's 1-on-1 moved from 14:00 to 15:00 half an hour after Mia's digest, with
    nothing new from Rob: a second digest at 13:00 only said "Nothing new"."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(12, 30))
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, thursday(15))
    run.until(thursday(16))

    assert times(run.emails("digest", "mia@example.com")) == [local_naive(19, 12)]
    # The fresh one, due at 13:00, found nothing answered since 12:00.
    assert digest_rows(run, meeting) == [(thursday(14), "sent"), (thursday(15), "skipped")]
    assert len(run.emails("chase", "rob@example.com")) == 2  # max_per_prompt: both before


def test_a_small_move_after_an_answer_that_came_after_the_digest_sends_it(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob answered after Mia's digest, then the meeting moved an hour later: the fresh
    digest has something to tell, so it goes."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(12, 30))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "Rob Report <rob@example.com>", ANSWERS).status == "checkin"
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, thursday(15))
    run.until(thursday(16))

    [_, fresh] = run.emails("digest", "mia@example.com")
    assert local(fresh, BERLIN).replace(tzinfo=None) == local_naive(19, 13)
    assert "Rob answered the check-in (Thu 19 Nov 12:30)." in text(fresh)
    assert "Blocked on the data export from finance" in text(fresh)


def test_a_move_by_more_than_a_few_hours_the_same_day_sends_a_fresh_digest(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """From 14:00 to 17:30 the same day: the morning's digest is stale by then."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(12, 30))
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, thursday(17, 30))
    run.until(thursday(18))

    digests = run.emails("digest", "mia@example.com")
    assert times(digests) == [local_naive(19, 12), local_naive(19, 15, 30)]
    assert "Moved from Thu 19 Nov 14:00 to Thu 19 Nov 17:30." in text(digests[1])


def test_small_moves_add_up_from_the_time_the_digest_was_for(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """14:00 to 15:00, then to 16:00, then to 17:30: each small, but the last is three and a
    half hours from the 14:00 Mia's digest was for."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(12, 30))
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, thursday(15))
    move_meeting(run.ctx, meeting.id, thursday(16))
    run.until(thursday(13, 30))
    assert len(run.emails("digest", "mia@example.com")) == 1
    move_meeting(run.ctx, meeting.id, thursday(17, 30))
    run.until(thursday(18))

    digests = run.emails("digest", "mia@example.com")
    assert times(digests) == [local_naive(19, 12), local_naive(19, 15, 30)]
    assert "Moved from Thu 19 Nov 14:00 to Thu 19 Nov 17:30." in text(digests[1])


# Three reminders two hours apart: two go before Thursday's 12:00 digest, the third fits
# only if the meeting moves later.
THIRD_REMINDER = {**DAY_AHEAD, "chase": {**RULES["chase"], "min_gap_hours": 2, "max_per_prompt": 3}}


def moved_three_hours_after_the_digest(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> tuple[Run, Meeting]:
    """Mia's digest went at 12:00 for the 14:00 1-on-1, after two reminders to Rob; at
    12:30 the meeting moved to 17:00 the same day."""
    run = scenario(ctx, clock, smtp_server, tmp_path, **THIRD_REMINDER)
    run.until(thursday(12, 30))
    assert times(run.emails("chase", "rob@example.com")) == [
        local_naive(18, 16, 30),
        local_naive(19, 10),
    ]
    assert times(run.emails("digest", "mia@example.com")) == [local_naive(19, 12)]
    meeting = first_meeting(run)
    move_meeting(run.ctx, meeting.id, thursday(17))
    return run, meeting


def test_a_small_move_leaves_the_report_the_reminders_the_new_time_has_room_for(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob's third reminder was skipped as "too late: the manager's digest has gone out",
    as if the 12:00 digest were the last word on a meeting now at 17:00."""
    run, meeting = moved_three_hours_after_the_digest(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(18))

    assert times(run.emails("chase", "rob@example.com"))[2:] == [local_naive(19, 13)]
    assert reminder_rows(run)[2] == (3, "sent", None)
    # Nothing answered by 15:00: no second digest saying only "Nothing new".
    assert times(run.emails("digest", "mia@example.com")) == [local_naive(19, 12)]
    assert digest_rows(run, meeting) == [(thursday(14), "sent"), (thursday(17), "skipped")]


def test_an_answer_after_a_small_move_reaches_the_manager_before_the_meeting(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob answered at 14:00, after the move: the 12:00 digest had been taken to serve the
    17:00 meeting when it moved, so Mia never saw his answer before it."""
    run, meeting = moved_three_hours_after_the_digest(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(14))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "Rob Report <rob@example.com>", ANSWERS).status == "checkin"

    run.until(thursday(18))

    [_, fresh] = run.emails("digest", "mia@example.com")
    assert local(fresh, BERLIN).replace(tzinfo=None) == local_naive(19, 15)
    assert "moved to Thu 19 Nov 17:00" in str(fresh["Subject"])
    assert "Moved from Thu 19 Nov 14:00 to Thu 19 Nov 17:00." in text(fresh)
    assert "Rob answered the check-in (Thu 19 Nov 14:00)." in text(fresh)
    assert "Blocked on the data export from finance" in text(fresh)
    assert digest_rows(run, meeting) == [(thursday(14), "sent"), (thursday(17), "sent")]


def test_a_skipped_digest_is_planned_again_when_the_meeting_moves_again(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """The 17:00 digest was skipped at 15:00; the meeting then moved to Friday: one fresh
    digest for Friday (the skipped row taken again, not a second row for one meeting)."""
    run, meeting = moved_three_hours_after_the_digest(ctx, clock, smtp_server, tmp_path)
    run.until(thursday(15, 30))
    move_meeting(run.ctx, meeting.id, berlin(20, 14))
    run.until(berlin(20, 15))

    digests = run.emails("digest", "mia@example.com")
    assert times(digests) == [local_naive(19, 12), local_naive(20, 12)]
    assert "Moved from Thu 19 Nov 14:00 to Fri 20 Nov 14:00." in text(digests[1])
    assert digest_rows(run, meeting) == [(thursday(14), "sent"), (berlin(20, 14), "sent")]


def reminder_rows(run: Run) -> list[tuple[int, str, str | None]]:
    with run.ctx.sessions() as session:
        rows = session.scalars(select(Chase).where(Chase.kind == "reminder").order_by(Chase.number))
        return [(row.number, row.status, row.reason) for row in rows]


def test_a_reminder_a_move_leaves_no_room_for_is_kept_as_skipped_with_why(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Moved on Tuesday afternoon from Thursday to Wednesday 16:00: one reminder fits (at
    12:00, four hours before); the other one's row was deleted, leaving no trace of it."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 15))
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, berlin(18, 16))
    run.until(berlin(18, 17))

    assert times(run.emails("chase", "rob@example.com")) == [local_naive(18, 12)]
    assert reminder_rows(run) == [(1, "sent", None), (2, "skipped", MEETING_MOVED)]


def test_reminders_a_move_skipped_come_back_when_it_moves_back(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Moved to Wednesday 11:00 (no room for a reminder), then back to Thursday 14:00: the
    skipped reminders are planned again, with no clash on their numbers (unique)."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 15))
    meeting = first_meeting(run)

    move_meeting(run.ctx, meeting.id, berlin(18, 11))
    assert reminder_rows(run) == [(1, "skipped", MEETING_MOVED), (2, "skipped", MEETING_MOVED)]
    move_meeting(run.ctx, meeting.id, thursday(14))
    run.until(thursday(15))

    assert times(run.emails("chase", "rob@example.com")) == [
        local_naive(18, 14),
        local_naive(19, 10),
    ]
    assert reminder_rows(run) == [(1, "sent", None), (2, "sent", None)]


def test_a_reminder_claimed_before_a_move_goes_at_its_new_time(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """The tick claimed Wednesday's 14:00 reminder; the meeting moved to Friday before the
    job ran. The row, re-timed (no longer deleted), must not go early with the old claim."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    held: list[list[int]] = []

    class Holding(InlineDispatcher):
        def dispatch(self, job: str, ids: list[int]) -> None:
            if job == "send_chases":
                held.append(ids)
            else:
                super().dispatch(job, ids)

    run.until(berlin(18, 14), dispatcher=Holding(run.ctx))
    assert held
    move_meeting(run.ctx, first_meeting(run).id, berlin(20, 15))
    for ids in held:
        JOBS["send_chases"](run.ctx, ids)
    assert run.emails("chase") == []

    run.until(berlin(20, 16))

    assert times(run.emails("chase", "rob@example.com")) == [local_naive(20, 11)]


# -- the report told when their 1-on-1 moves to another day before they answered ---------


class Twice(InlineDispatcher):
    """Every job run twice, as a retried or duplicated job would be."""

    def dispatch(self, job: str, ids: list[int]) -> None:
        super().dispatch(job, ids)
        super().dispatch(job, ids)


def test_a_report_not_yet_answered_is_told_their_meeting_moved_to_another_day(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob's prompt of Tuesday said Thursday 14:00; on Tuesday evening the meeting moved to
    Monday. Nothing told him until a reminder named the new day, and that a reply to the
    old prompt still counts. Now a note goes in the prompt's thread the next morning (his
    quiet hours), once however often the jobs run, and the reminders name Monday."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    twice = Twice(run.ctx)
    run.until(berlin(17, 20), dispatcher=twice)
    [prompt] = run.emails("prompt", "rob@example.com")
    assert "Thursday 19 November 2026, 14:00–14:30" in text(prompt)

    move_meeting(run.ctx, first_meeting(run).id, MONDAY_NEXT)
    run.until(berlin(18, 12), dispatcher=twice)

    [note] = run.emails("meeting_moved", "rob@example.com")
    assert local(note, BERLIN).replace(tzinfo=None) == local_naive(18, 9)
    assert str(note["Subject"]) == "Your 1-on-1 with Mia Manager moved to Mon 23 Nov 14:00"
    assert note["In-Reply-To"] == prompt["Message-ID"]
    assert note["Reply-To"] == prompt["Reply-To"]
    body = text(note)
    assert "moved from Thursday 19 November 2026, 14:00 to" in body
    assert "Monday 23 November 2026, 14:00–14:30 (Europe/Berlin)" in body
    assert "your reply to the questions still counts" in body
    assert "Monday 23 November 2026, 14:00–14:30 (Europe/Berlin)" in html(note)

    run.until(MONDAY_NEXT + timedelta(hours=1), dispatcher=twice)

    assert len(run.emails("meeting_moved")) == 1
    chases = run.emails("chase", "rob@example.com")
    # Four hours after the note at the earliest; each names the meeting's new time.
    assert times(chases) == [local_naive(18, 14), local_naive(23, 10)]
    for chase in chases:
        assert "Monday 23 November 2026, 14:00–14:30" in text(chase)
    with run.ctx.sessions() as session:
        notes = session.scalars(select(Chase).where(Chase.kind == "meeting_moved")).all()
        assert [(n.number, n.status) for n in notes] == [(1, "sent")]


def test_a_reply_to_the_note_is_the_check_in(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 15))
    move_meeting(run.ctx, first_meeting(run).id, MONDAY_NEXT)
    run.until(berlin(17, 16))
    [note] = run.emails("meeting_moved", "rob@example.com")

    assert run.reply(note, "Rob Report <rob@example.com>", ANSWERS).status == "checkin"
    run.until(MONDAY_NEXT + timedelta(hours=1))

    assert run.emails("chase", "rob@example.com") == []
    [digest] = run.emails("digest", "mia@example.com")
    assert "Blocked on the data export from finance" in text(digest)


def test_no_note_for_a_move_the_same_day_or_after_the_answer(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Thursday 14:00 to 16:00 tells Rob nothing his prompt did not (the reminders give the
    time); once he has answered, a move to Monday is his calendar's business."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 15))
    meeting = first_meeting(run)
    move_meeting(run.ctx, meeting.id, thursday(16))
    run.until(berlin(18, 15))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "Rob Report <rob@example.com>", ANSWERS).status == "checkin"
    move_meeting(run.ctx, meeting.id, MONDAY_NEXT)

    run.until(MONDAY_NEXT + timedelta(hours=1))

    assert run.emails("meeting_moved") == []
    [chase] = run.emails("chase", "rob@example.com")
    assert "Thursday 19 November 2026, 16:00–16:30" in text(chase)


def test_a_note_for_a_meeting_cancelled_or_moved_back_before_it_went_is_not_sent(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Moved to Monday in the evening, back to Thursday overnight: nothing to tell by
    morning. Moved to Monday again, then cancelled: no note that it moved, no reminder;
    only the note that it is off."""
    run = scenario(ctx, clock, smtp_server, tmp_path)
    run.until(berlin(17, 20))
    meeting = first_meeting(run)
    move_meeting(run.ctx, meeting.id, MONDAY_NEXT)
    run.until(berlin(17, 23))
    move_meeting(run.ctx, meeting.id, thursday(14))
    run.until(berlin(18, 10))
    assert run.emails("meeting_moved") == []
    with run.ctx.sessions() as session:
        [note] = session.scalars(select(Chase).where(Chase.kind == "meeting_moved")).all()
        assert (note.status, note.reason) == ("skipped", TOLD_ALREADY)

    move_meeting(run.ctx, meeting.id, MONDAY_NEXT)
    cancel_meeting(run.ctx, meeting.id)
    run.until(MONDAY_NEXT + timedelta(hours=1))

    assert run.emails("meeting_moved") == []
    assert run.emails("chase") == []
    assert len(run.emails("meeting_cancelled", "rob@example.com")) == 1
    with run.ctx.sessions() as session:
        rows = session.scalars(select(Chase).order_by(Chase.kind, Chase.number)).all()
        assert {row.status for row in rows if row.kind != "cancel_note"} == {"cancelled"}


def test_the_note_is_in_the_reports_own_zone_and_hours(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob in New York, Mia in Berlin: moved on Tuesday at 23:30 Berlin time, 17:30 for
    Rob, after his reminder hours; the note goes at 09:00 his time and gives his times."""
    rob_in_new_york = ROB.replace("Europe/Berlin", "America/New_York")
    weekly = {"window": "15:00-16:00", "days": [4]}  # 09:00 for Rob
    run = scenario(
        ctx,
        clock,
        smtp_server,
        tmp_path,
        MIA,
        rob_in_new_york,
        cadences={**RULES["cadences"], "weekly": weekly},
    )
    run.until(berlin(17, 23, 30))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert "Thursday 19 November 2026, 09:00–09:30 (America/New_York)" in text(prompt)

    move_meeting(run.ctx, first_meeting(run).id, berlin(23, 15))
    run.until(berlin(18, 16))

    [note] = run.emails("meeting_moved", "rob@example.com")
    assert local(note, NEW_YORK).replace(tzinfo=None) == local_naive(18, 9)
    assert str(note["Subject"]) == "Your 1-on-1 with Mia Manager moved to Mon 23 Nov 09:00"
    assert "moved from Thursday 19 November 2026, 09:00 to" in text(note)
    assert "Monday 23 November 2026, 09:00–09:30 (America/New_York)" in text(note)
