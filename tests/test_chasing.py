"""When reminders and the manager's note go out, as people receive them: through the tick,
a real SMTP server on loopback and the injectable clock (see tests/test_followup.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.clock import ManualClock
from okrmail.models import Chase
from okrmail.tick import tick
from tests.test_followup import (
    BERLIN,
    MIA,
    MONDAY,
    NEW_YORK,
    ROB,
    RULES,
    Run,
    local,
    scenario_with,
    smtp_context,
    thursday,
)
from workers.dispatch import InlineDispatcher
from workers.jobs import JOBS

# Rob's 1-on-1 with Mia at 09:30 on Thursday: 4 hours before it is 05:30, long before Rob's
# working day (09:00-17:00) starts, and Mia's digest goes at 07:30.
EARLY = {**RULES["cadences"], "weekly": {"window": "09:30-10:00", "days": [4]}}
EARLY_MEETING = thursday(9, 30)

# The manager's digests at 08:00 on the meeting's day, all in one email.
MORNING_DIGEST = {**RULES["digest"], "mode": "morning", "morning_time": "08:00"}


def sent_at(message: EmailMessage) -> datetime:
    return parsedate_to_datetime(str(message["Date"]))


def text(message: EmailMessage) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split())


def html(message: EmailMessage) -> str:
    return " ".join(message.get_body(("html",)).get_content().split())


def scenario(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path, *rows: str, **rules: Any
) -> Run:
    clock.set(MONDAY)
    settings = smtp_context(ctx, clock, smtp_server, **rules)
    return scenario_with(settings, clock, smtp_server[2], tmp_path, *(rows or (MIA, ROB)))


def chase_rows(run: Run) -> list[Chase]:
    with run.ctx.sessions() as session:
        return list(session.scalars(select(Chase).order_by(Chase.send_at)))


def test_the_last_reminder_before_an_early_meeting_goes_the_working_day_before(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """The last reminder went on Thursday at 09:00: 30 minutes before the meeting, an hour
    and a half after Mia's digest had told her Rob had not answered."""
    run = scenario(ctx, clock, smtp_server, tmp_path, cadences=EARLY)

    run.until(EARLY_MEETING + timedelta(hours=1))

    [prompt] = run.emails("prompt", "rob@example.com")
    assert local(prompt, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 17, 9, 30)
    chases = run.emails("chase", "rob@example.com")
    [digest] = run.emails("digest", "mia@example.com")
    assert local(digest, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 19, 7, 30)
    # The first a day after the prompt; the last at the end of Wednesday, Rob's last working
    # hour at least 4 hours before the meeting (half an hour before his day ends).
    assert [local(chase, BERLIN).replace(tzinfo=None) for chase in chases] == [
        datetime(2026, 11, 18, 9, 30),
        datetime(2026, 11, 18, 16, 30),
    ]
    for chase in chases:
        assert sent_at(chase) <= EARLY_MEETING - timedelta(hours=4)
        assert sent_at(chase) < sent_at(digest)
    assert "Reminded: Wed 18 Nov 09:30, Wed 18 Nov 16:30" in text(digest)


def test_no_reminder_after_a_morning_digest_and_the_managers_note_before_it(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Mia's digest goes at 08:00 on the meeting's day (morning mode); Rob was still reminded
    at 10:00, and Mia told at 12:00 that he had not answered, both after her digest. (Her
    note is not sent when it cannot come before the digest.)"""
    run = scenario(
        ctx,
        clock,
        smtp_server,
        tmp_path,
        digest=MORNING_DIGEST,
        chase={**RULES["chase"], "notify_manager": True},
    )

    run.until(thursday(15))

    [digest] = run.emails("digest", "mia@example.com")
    assert local(digest, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 19, 8, 0)
    # Both reminders by the end of Wednesday (half an hour before Rob's day ends), 4 hours
    # apart (the first moved earlier to make room for the last, rather than the last left
    # out).
    chases = run.emails("chase", "rob@example.com")
    assert [local(chase, BERLIN).replace(tzinfo=None) for chase in chases] == [
        datetime(2026, 11, 18, 12, 30),
        datetime(2026, 11, 18, 16, 30),
    ]
    assert all(sent_at(chase) < sent_at(digest) for chase in chases)
    # The note would need Rob to have two hours to answer the last reminder, in Mia's
    # hours, before her digest: Thursday 09:00 is after it, so the digest alone says so.
    assert run.emails("chase", "mia@example.com") == []
    assert [row.kind for row in chase_rows(run)] == ["reminder", "reminder"]
    assert "Reminded: Wed 18 Nov 12:30, Wed 18 Nov 16:30" in text(digest)
    assert "ESCALATION: no answer after every reminder" in text(digest)


@pytest.mark.parametrize(
    "back_at",
    [
        datetime(2026, 11, 18, 17, 10, tzinfo=BERLIN),  # the reminder's hour just passed
        datetime(2026, 11, 19, 9, 0, tzinfo=BERLIN),  # overnight: the digest is out
    ],
    ids=["after-hours", "next-morning"],
)
def test_a_reminder_missed_while_the_service_was_down_is_not_sent_too_late(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path, back_at: datetime
) -> None:
    """The service is down from 16:20 on Wednesday, across the last reminder's 16:30. It
    used to go when the service came back within Rob's hours: Thursday at 09:00, half an
    hour before the meeting, after Mia's digest."""
    run = scenario(ctx, clock, smtp_server, tmp_path, cadences=EARLY)
    run.until(datetime(2026, 11, 18, 16, 20, tzinfo=BERLIN).astimezone(UTC))

    clock.set(back_at.astimezone(UTC))
    tick(run.ctx, InlineDispatcher(run.ctx))
    run.until(EARLY_MEETING + timedelta(hours=1))

    chases = run.emails("chase", "rob@example.com")
    assert [local(chase, BERLIN).replace(tzinfo=None) for chase in chases] == [
        datetime(2026, 11, 18, 9, 30)
    ]
    last = chase_rows(run)[-1]
    assert last.status == "skipped"
    assert last.reason == "too late: reminders go at least 4 hours before the meeting"
    [digest] = run.emails("digest", "mia@example.com")
    assert "Reminded: Wed 18 Nov 09:30" in text(digest)
    assert "Next reminder" not in text(digest)


def test_the_managers_note_gives_the_meeting_in_the_managers_own_zone(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Mia (Berlin) was told of her 15:00 meeting as "09:00–09:30 (America/New_York)", Rob's
    time."""
    rob_in_new_york = ROB.replace("Europe/Berlin", "America/New_York")
    run = scenario(
        ctx,
        clock,
        smtp_server,
        tmp_path,
        MIA,
        rob_in_new_york,
        cadences={**RULES["cadences"], "weekly": {"window": "15:00-16:00", "days": [4]}},
        chase={**RULES["chase"], "notify_manager": True},
    )

    run.until(thursday(16))

    [prompt] = run.emails("prompt", "rob@example.com")
    assert "09:00–09:30 (America/New_York)" in text(prompt)  # Rob's own time
    [note] = run.emails("chase", "mia@example.com")
    assert local(note, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 19, 9, 0)
    when = "Thursday 19 November 2026, 15:00–15:30 (Europe/Berlin)"
    assert when in text(note) and when in html(note)
    assert "New_York" not in text(note) and "New_York" not in html(note)
    assert "(Thu 19 Nov)" in str(note["Subject"])
    assert [local(chase, NEW_YORK).hour for chase in run.emails("chase", "rob@example.com")] == [
        9,
        16,
    ]


def test_a_note_held_up_until_the_digest_went_out_is_not_sent(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """The note and the digest are both due at 12:00; with several workers (rq) the
    digest may be sent first. The note then went out after it, saying the same again."""
    run = scenario(
        ctx, clock, smtp_server, tmp_path, chase={**RULES["chase"], "notify_manager": True}
    )
    held: list[list[int]] = []

    class DigestsFirst(InlineDispatcher):
        def dispatch(self, job: str, ids: list[int]) -> None:
            if job == "send_chases" and run.clock.now() >= thursday(12):
                held.append(ids)  # claimed by the tick, picked up by a slower worker
            else:
                super().dispatch(job, ids)

    run.until(thursday(12), dispatcher=DigestsFirst(run.ctx))
    [digest] = run.emails("digest", "mia@example.com")
    for ids in held:
        JOBS["send_chases"](run.ctx, ids)
    run.until(thursday(15))

    assert held and run.emails("chase", "mia@example.com") == []
    assert len(run.emails("chase", "rob@example.com")) == 2
    [note] = [row for row in chase_rows(run) if row.kind == "manager_note"]
    assert (note.status, note.reason) == ("skipped", "too late: the manager's digest has gone out")
    assert "ESCALATION: no answer after every reminder" in text(digest)


def test_two_reminders_fit_before_a_morning_digest(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Mia's digest goes at 08:00 on Thursday, so Rob's last reminder must go by the end of
    Wednesday. The first, planned a day after Tuesday's 14:00 prompt, fell at 14:00, three
    hours before that, under the 4-hour gap: the last one was dropped and Rob was reminded
    once, though 12:30 and 16:30 (or 09:00 and 16:30) fit every rule."""
    run = scenario(
        ctx,
        clock,
        smtp_server,
        tmp_path,
        digest=MORNING_DIGEST,
    )

    run.until(thursday(15))

    [prompt] = run.emails("prompt", "rob@example.com")
    assert local(prompt, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 17, 14, 0)
    [digest] = run.emails("digest", "mia@example.com")
    chases = run.emails("chase", "rob@example.com")
    # The first moves earlier (as a reminder that would pass the deadline does), just far
    # enough for the gap; the last stays at the end of Rob's Wednesday, less the half hour
    # kept clear before his day ends.
    assert [local(chase, BERLIN).replace(tzinfo=None) for chase in chases] == [
        datetime(2026, 11, 18, 12, 30),
        datetime(2026, 11, 18, 16, 30),
    ]
    assert sent_at(chases[1]) - sent_at(chases[0]) >= timedelta(hours=4)
    assert sent_at(chases[-1]) < sent_at(digest)
    assert "last friendly nudge" in text(chases[1])
    assert "Reminded: Wed 18 Nov 12:30, Wed 18 Nov 16:30" in text(digest)


def test_no_reminder_in_the_last_half_hour_of_the_working_day(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Rob works 09:00-17:30; the last reminder before Thursday's 09:30 meeting went on
    Wednesday at 17:30, the minute his day ends, to be read the next morning at best."""
    rob_till_half_past = ROB.replace("09:00-17:00", "09:00-17:30")
    run = scenario(ctx, clock, smtp_server, tmp_path, MIA, rob_till_half_past, cadences=EARLY)

    run.until(EARLY_MEETING + timedelta(hours=1))

    chases = run.emails("chase", "rob@example.com")
    assert [local(chase, BERLIN).replace(tzinfo=None) for chase in chases] == [
        datetime(2026, 11, 18, 9, 30),
        datetime(2026, 11, 18, 17, 0),
    ]
    assert [row.status for row in chase_rows(run)] == ["sent", "sent"]


def test_the_end_of_day_margin_gives_way_when_nothing_else_fits(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Quiet hours leave Rob's reminders 15:00-16:30, and his prompt goes on Wednesday at
    12:30 for Thursday's 09:30 meeting: four hours after it, 16:30 is the only time left
    for a reminder, in the last half hour, so it goes then rather than not at all."""
    quiet = {**RULES["chase"], "quiet_start": "16:30", "quiet_end": "15:00"}
    prompts = {**RULES["prompts"], "lead_hours": 21}
    run = scenario(ctx, clock, smtp_server, tmp_path, cadences=EARLY, chase=quiet, prompts=prompts)

    run.until(EARLY_MEETING + timedelta(hours=1))

    [prompt] = run.emails("prompt", "rob@example.com")
    assert local(prompt, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 18, 12, 30)
    chases = run.emails("chase", "rob@example.com")
    assert [local(chase, BERLIN).replace(tzinfo=None) for chase in chases] == [
        datetime(2026, 11, 18, 16, 30)
    ]
