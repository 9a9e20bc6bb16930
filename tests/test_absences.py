"""A person who writes that they are away, and a manager who writes in their report's
thread: driven through the real path (tick, SMTP on loopback, ingest), asserting on the
emails that went out and the rows stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from okrmail.inbound.ingest import ingest
from okrmail.models import CheckIn, InboxMessage, Person, Prompt
from tests.test_followup import (
    ANSWERS,
    BERLIN,
    Run,
    local,
    out_of_office,
    thursday,
)


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def rob(run: Run) -> Person:
    with run.ctx.sessions() as session:
        return session.scalars(select(Person).where(Person.email == "rob@example.com")).one()


def in_berlin(instant: datetime | None) -> datetime | None:
    return instant.astimezone(BERLIN).replace(tzinfo=None) if instant else None


def digest_text(run: Run, number: int = -1) -> str:
    return " ".join(body(run.emails("digest", "mia@example.com")[number]).split())


def inbox_row(run: Run, inbox_id: int) -> InboxMessage:
    with run.ctx.sessions() as session:
        row = session.get(InboxMessage, inbox_id)
        assert row is not None
        return row


def test_a_report_who_says_they_are_on_holiday_is_not_chased_and_their_manager_is_told(
    run: Run,
) -> None:
    """It was recorded as an empty check-in: answered, so never chased, but the digest
    showed an empty check-in, and Mia learnt of the request two hours before the meeting."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    note = "Hi Mia,\n\nI'm on holiday until 29 November, can we skip this one?\n\nThanks,\nRob"
    outcome = run.reply(prompt, "Rob Report <rob@example.com>", note)

    assert outcome.status == "away", outcome.reason
    assert "not chased until Mon 30 Nov" in str(inbox_row(run, outcome.inbox_id).reason)
    away_until = rob(run).away_until
    assert away_until is not None
    assert away_until.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 11, 30)
    with run.ctx.sessions() as session:
        assert session.scalars(select(CheckIn)).all() == []
        answered = session.get(Prompt, outcome.prompt_id)
        assert answered is not None and answered.status == "sent"  # still open

    [noted] = run.emails("away-noted", "rob@example.com")
    assert str(noted["Subject"]) == "Noted: you're away, no reminders before Mon 30 Nov"
    assert noted["In-Reply-To"] == prompt["Message-ID"]
    assert noted["Reply-To"] == prompt["Reply-To"]  # answering it still records the check-in
    assert "Mia has been told, with what you wrote." in body(noted)
    [told] = run.emails("away-told", "mia@example.com")
    assert str(told["Subject"]) == "Rob is away: your 1-on-1 on Thu 19 Nov"
    assert "| I'm on holiday until 29 November, can we skip this one?" in body(told)
    assert "no reminders before Mon 30 Nov" in body(told)
    assert told["Reply-To"] == "rob@example.com"

    run.until(thursday(15))
    assert run.emails("chase") == []
    [digest] = run.emails("digest", "mia@example.com")
    text = body(digest)
    assert "Away, back Mon 30 Nov; not chased while away." in text
    assert "ESCALATION" not in text


def test_saying_it_twice_tells_the_manager_once(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    for note in ("Out sick today, sorry.", "Still off sick tomorrow, sorry!"):
        assert run.reply(prompt, "rob@example.com", note).status == "away"
    assert len(run.emails("away-noted", "rob@example.com")) == 2
    assert len(run.emails("away-told", "mia@example.com")) == 1


def test_a_report_back_from_holiday_who_will_answer_later_is_still_reminded(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.reply(prompt, "rob@example.com", "Just back from holiday, will answer tomorrow!")
    assert outcome.status == "ignored", outcome.reason
    assert rob(run).away_until is None
    run.until(thursday(15))
    assert run.emails("chase", "rob@example.com")
    assert run.emails("away-told") == []


def test_a_manager_who_says_in_the_thread_that_the_report_is_away_marks_them_away(
    run: Run,
) -> None:
    """Mia's message was quarantined and nobody told: Rob was reminded all week, and Mia
    believed her message had done something."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.reply(
        prompt, "Mia Manager <mia@example.com>", "Rob is on sick leave, let's skip this one."
    )

    assert outcome.status == "away", outcome.reason
    assert "mia@example.com says rob@example.com is away" in str(outcome.reason)
    assert rob(run).away_until is not None
    with run.ctx.sessions() as session:
        assert session.scalars(select(CheckIn)).all() == []
    [noted] = run.emails("away-noted", "mia@example.com")
    assert "Rob is marked away" in " ".join(body(noted).split())
    assert str(noted["Subject"]).startswith("Noted: Rob is away, no reminders before ")
    assert run.emails("away-noted", "rob@example.com") == []
    assert run.emails("away-told") == []  # Mia is the one who said it
    run.until(thursday(15))
    assert run.emails("chase") == []


def test_a_manager_who_writes_anything_else_in_the_thread_is_told_once_it_was_not_recorded(
    run: Run,
) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    for words in ("Rob, please add the hiring numbers too.", "And the churn figure."):
        outcome = run.reply(prompt, "mia@example.com", words)
        assert outcome.status == "quarantined", outcome.reason
    assert "manager, who was told" in str(inbox_row(run, outcome.inbox_id).reason)
    [notice] = run.emails("thread-note", "mia@example.com")
    assert str(notice["Subject"]) == "Not recorded: your message in Rob's check-in for Thu 19 Nov"
    text = " ".join(body(notice).split())
    assert "Rob's check-in is still open, and reminders go on" in text
    assert notice["Reply-To"] == prompt["Reply-To"]
    assert rob(run).away_until is None
    assert run.emails("wrong-sender") == []  # Rob is not told about his manager's mail

    # Answering the notice with what it asks for marks Rob away.
    outcome = run.reply(notice, "mia@example.com", "He's off this week, back on 30 November.")
    assert outcome.status == "away", outcome.reason
    away_until = rob(run).away_until
    assert away_until is not None
    assert away_until.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 11, 30)


def test_a_manager_away_themselves_does_not_mark_the_report_away(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.reply(prompt, "mia@example.com", "I'm on holiday this week, let's skip.")
    assert outcome.status == "quarantined"
    assert rob(run).away_until is None
    assert len(run.emails("thread-note", "mia@example.com")) == 1


# -- the day they are back, said as a weekday ------------------------------------------------


def test_a_note_that_names_a_weekday_is_read_as_that_day(run: Run) -> None:
    """ "until Friday" was no date: Rob was marked away for the default week, and told
    there would be no reminders before Tue 24 Nov, the day his next check-in went out."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    note = "I'm on sick leave until Friday, can we skip this one?"
    outcome = run.reply(prompt, "rob@example.com", note)

    assert outcome.status == "away", outcome.reason
    assert in_berlin(rob(run).away_until) == datetime(2026, 11, 21)  # the morning after Friday
    [noted] = run.emails("away-noted", "rob@example.com")
    assert str(noted["Subject"]) == "Noted: you're away, no reminders before Sat 21 Nov"
    [told] = run.emails("away-told", "mia@example.com")
    assert "no reminders before Sat 21 Nov" in body(told)
    run.until(thursday(15))
    assert "Away, back Sat 21 Nov; not chased while away." in digest_text(run)


def test_a_note_that_says_next_week_is_away_until_the_week_after(run: Run) -> None:
    """ "next week" was no date either: away for the default seven days, until Tuesday."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.reply(prompt, "rob@example.com", "I'm away next week, can we skip this one?")

    assert outcome.status == "away", outcome.reason
    assert rob(run).away_from is None  # from now: it answers this prompt with a note
    assert in_berlin(rob(run).away_until) == datetime(2026, 11, 30)
    [noted] = run.emails("away-noted", "rob@example.com")
    assert str(noted["Subject"]) == "Noted: you're away, no reminders before Mon 30 Nov"


# -- a check-in from someone marked away -----------------------------------------------------


def test_a_check_in_after_an_out_of_office_says_the_person_is_back(run: Run) -> None:
    """Rob's out-of-office said he was away until 30 November; he came back early and
    answered. He stayed marked away all the same: the next week's check-in went
    unreminded, and Mia's digest said he was away while he was at his desk."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert ingest(run.ctx, out_of_office(prompt), source="smtp").status == "auto-reply"
    assert rob(run).away_until is not None
    run.until(thursday(9, day=18))
    outcome = run.reply(prompt, "rob@example.com", ANSWERS)

    assert outcome.status == "checkin", outcome.reason
    assert "was marked away: back now" in str(inbox_row(run, outcome.inbox_id).reason)
    assert rob(run).away_until is None
    run.until(thursday(15))
    assert "Away" not in digest_text(run)

    run.until(thursday(15, day=26))  # the next week: Rob does not answer
    next_prompt = run.emails("prompt", "rob@example.com")[-1]
    reminded = [
        chase
        for chase in run.emails("chase", "rob@example.com")
        if chase["In-Reply-To"] == next_prompt["Message-ID"]
    ]
    assert len(reminded) == 2
    text = digest_text(run)
    assert "NO CHECK-IN YET" in text and "ESCALATION" in text
    assert "Away" not in text


def test_a_check_in_that_says_the_person_will_be_away_next_week(run: Run) -> None:
    """ "I'm away next week" beside full answers marked nobody: the next week's check-in
    was reminded twice while Rob was away, and Mia's digest raised it as an escalation."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.reply(prompt, "rob@example.com", f"{ANSWERS}\n\nI'm away next week, FYI.")

    assert outcome.status == "checkin", outcome.reason
    assert "says they are away from Mon 23 Nov, back Mon 30 Nov" in str(
        inbox_row(run, outcome.inbox_id).reason
    )
    marked = rob(run)
    assert in_berlin(marked.away_from) == datetime(2026, 11, 23)
    assert in_berlin(marked.away_until) == datetime(2026, 11, 30)
    [confirmation] = run.emails("confirm", "rob@example.com")
    assert (
        "You're marked away from Mon 23 Nov, back Mon 30 Nov: no reminders in that time, "
        "and your manager's digest says so." in " ".join(body(confirmation).split())
    )

    # A correction the next day, before the absence: it stays (it has not begun).
    run.until(thursday(9, day=18))
    assert run.reply(confirmation, "rob@example.com", "1. KR1 19/50").status == "checkin"
    assert in_berlin(rob(run).away_from) == datetime(2026, 11, 23)
    run.until(thursday(15))
    text = digest_text(run)
    assert "CHECK-IN (answered" in text
    assert "Away from Mon 23 Nov, back Mon 30 Nov; not chased while away." in text

    run.until(thursday(15, day=26))
    assert len(run.emails("prompt", "rob@example.com")) == 2
    assert run.emails("chase", "rob@example.com") == []
    text = digest_text(run)
    assert "NO CHECK-IN YET" in text
    assert "Away, back Mon 30 Nov; not chased while away." in text
    assert "ESCALATION" not in text


def test_an_absence_said_for_later_does_not_stop_the_reminders_before_it(run: Run) -> None:
    """ "I'm on holiday from the 30th": reminders for the week before still go."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.reply(
        prompt, "rob@example.com", f"{ANSWERS}\n\nHeads-up: I'm on holiday from the 30th."
    )
    assert outcome.status == "checkin", outcome.reason
    marked = rob(run)
    assert in_berlin(marked.away_from) == datetime(2026, 11, 30)
    assert marked.away_until is not None and marked.away_until > marked.away_from

    run.until(thursday(15, day=26))
    assert len(run.emails("chase", "rob@example.com")) == 2
    text = digest_text(run)
    assert "NO CHECK-IN YET" in text
    back = marked.away_until.astimezone(BERLIN)
    assert f"Away from Mon 30 Nov, back {back:%a} {back.day} {back:%b}; not chased" in text


def test_a_check_in_that_speaks_of_a_past_absence_marks_nobody(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    words = f"{ANSWERS}\n\nI was sick last week, hence the late numbers."
    outcome = run.reply(prompt, "rob@example.com", words)
    assert outcome.status == "checkin", outcome.reason
    assert rob(run).away_until is None
    assert rob(run).away_from is None
    run.until(thursday(15) + timedelta(weeks=1))
    assert len(run.emails("chase", "rob@example.com")) == 2


# -- ranges, a day alone, illness, and two absences in one check-in -------------------------


def reminder_days(run: Run, prompt: EmailMessage) -> list[date]:
    """The days (in Berlin) the reminders for `prompt` went out."""
    return [
        local(chase, BERLIN).date()
        for chase in run.emails("chase", "rob@example.com")
        if chase["In-Reply-To"] == prompt["Message-ID"]
    ]


def confirmation_text(run: Run) -> str:
    return " ".join(body(run.emails("confirm", "rob@example.com")[-1]).split())


def test_a_check_in_that_says_from_one_day_to_another_is_away_those_days_only(run: Run) -> None:
    """ "from Tuesday to Wednesday": "to" was not read as "until", both days were starts,
    and Rob was marked away a week from Tuesday: back on Thursday, he was not reminded."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    words = f"{ANSWERS}\n\nI'm on holiday from Tuesday to Wednesday."
    outcome = run.reply(prompt, "rob@example.com", words)

    assert outcome.status == "checkin", outcome.reason
    assert "says they are away from Tue 24 Nov, back Thu 26 Nov" in str(
        inbox_row(run, outcome.inbox_id).reason
    )
    marked = rob(run)
    assert in_berlin(marked.away_from) == datetime(2026, 11, 24)
    assert in_berlin(marked.away_until) == datetime(2026, 11, 26)
    assert (
        "You're marked away from Tue 24 Nov, back Thu 26 Nov: no reminders in that time"
        in confirmation_text(run)
    )
    run.until(thursday(15))
    assert "Away from Tue 24 Nov, back Thu 26 Nov; not chased while away." in digest_text(run)

    run.until(thursday(15, day=26))
    next_prompt = run.emails("prompt", "rob@example.com")[-1]
    assert reminder_days(run, next_prompt) == [date(2026, 11, 26)]  # not Wednesday: away


def test_a_check_in_that_says_its_writer_is_off_one_day(run: Run) -> None:
    """ "I'm off on the 26th" named no date (no "until" or "from"): nothing was marked,
    and Rob was reminded on the day he was off."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.reply(prompt, "rob@example.com", f"{ANSWERS}\n\nI'm off on the 26th.")

    assert outcome.status == "checkin", outcome.reason
    marked = rob(run)
    assert in_berlin(marked.away_from) == datetime(2026, 11, 26)
    assert in_berlin(marked.away_until) == datetime(2026, 11, 27)
    assert (
        "You're marked away from Thu 26 Nov, back Fri 27 Nov: no reminders in that time"
        in confirmation_text(run)
    )

    run.until(thursday(15, day=26))
    next_prompt = run.emails("prompt", "rob@example.com")[-1]
    assert reminder_days(run, next_prompt) == [date(2026, 11, 25)]  # the day before: sent
    text = digest_text(run)
    assert "Away, back Fri 27 Nov; not chased while away." in text
    assert "ESCALATION" not in text


def test_a_check_in_that_says_its_writer_is_sick_until_a_day(run: Run) -> None:
    """A bare "sick" was never read in a check-in ("the build is sick"): Rob, off sick,
    was not marked away."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    words = f"{ANSWERS}\n\nI'm sick until Friday, so these are short."
    outcome = run.reply(prompt, "rob@example.com", words)

    assert outcome.status == "checkin", outcome.reason
    marked = rob(run)
    assert marked.away_from is None
    assert in_berlin(marked.away_until) == datetime(2026, 11, 21)
    assert (
        "You're marked away, back Sat 21 Nov: no reminders before then, and your manager's "
        "digest says so." in confirmation_text(run)
    )
    run.until(thursday(15))
    assert "Away, back Sat 21 Nov; not chased while away." in digest_text(run)


def test_ordinary_sentences_with_a_day_in_a_check_in_mark_nobody(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    words = (
        f"{ANSWERS}\n\nWe shipped on Friday. The release is out Friday. It's out of scope "
        "until Friday. I'm sick of waiting until Friday for finance."
    )
    assert run.reply(prompt, "rob@example.com", words).status == "checkin"
    assert rob(run).away_until is None
    assert "marked away" not in confirmation_text(run)


def test_two_absences_apart_in_one_check_in_are_both_honoured(run: Run) -> None:
    """ "off on the 26th, and on holiday from the 30th to the 2nd": the 26th was no date,
    and the holiday was read from the 30th for a week. Now both are marked: no reminder
    on the 26th, one the day before; none during the holiday, one the day he is back."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    words = f"{ANSWERS}\n\nI'm off on the 26th, and on holiday from the 30th to the 2nd."
    outcome = run.reply(prompt, "rob@example.com", words)

    assert outcome.status == "checkin", outcome.reason
    assert (
        "says they are away from Thu 26 Nov, back Fri 27 Nov; and from Mon 30 Nov, back Thu 3 Dec"
        in str(inbox_row(run, outcome.inbox_id).reason)
    )
    marked = rob(run)
    assert in_berlin(marked.away_from) == datetime(2026, 11, 26)
    assert in_berlin(marked.away_until) == datetime(2026, 11, 27)
    assert in_berlin(marked.later_away_from) == datetime(2026, 11, 30)
    assert in_berlin(marked.later_away_until) == datetime(2026, 12, 3)
    text = confirmation_text(run)
    assert "You're marked away from Thu 26 Nov, back Fri 27 Nov: no reminders in that time" in text
    assert (
        "And marked away from Mon 30 Nov, back Thu 3 Dec: no reminders in that time either." in text
    )
    run.until(thursday(15))
    assert (
        "Away from Thu 26 Nov, back Fri 27 Nov; away from Mon 30 Nov, back Thu 3 Dec; "
        "not chased while away." in digest_text(run)
    )

    run.until(thursday(15, day=26))
    assert reminder_days(run, run.emails("prompt", "rob@example.com")[-1]) == [date(2026, 11, 25)]
    assert "Away, back Fri 27 Nov; away from Mon 30 Nov, back Thu 3 Dec;" in digest_text(run)

    run.until(datetime(2026, 12, 3, 15, tzinfo=BERLIN).astimezone(UTC))
    last_prompt = run.emails("prompt", "rob@example.com")[-1]
    assert local(last_prompt, BERLIN).date() == date(2026, 12, 1)
    assert reminder_days(run, last_prompt) == [date(2026, 12, 3)]  # not on the 2nd: away


def test_a_note_with_two_absences_apart_marks_both_and_says_so(run: Run) -> None:
    """Read as one absence from now to the end of the holiday: no reminders for two
    weeks, the week between included; both now, each said to Rob and to Mia."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    note = "I'm out Friday, and on holiday from the 30th to the 2nd. Can we skip this one?"
    outcome = run.reply(prompt, "rob@example.com", note)

    assert outcome.status == "away", outcome.reason
    marked = rob(run)
    assert marked.away_from is None  # from now: the note answers this prompt
    assert in_berlin(marked.away_until) == datetime(2026, 11, 21)
    assert in_berlin(marked.later_away_from) == datetime(2026, 11, 30)
    assert in_berlin(marked.later_away_until) == datetime(2026, 12, 3)
    also = "Also marked away from Mon 30 Nov, back Thu 3 Dec: no reminders in that time either."
    [noted] = run.emails("away-noted", "rob@example.com")
    assert str(noted["Subject"]) == "Noted: you're away, no reminders before Sat 21 Nov"
    assert also in " ".join(body(noted).split())
    [told] = run.emails("away-told", "mia@example.com")
    assert also in " ".join(body(told).split())

    run.until(thursday(15, day=26))  # between the two: reminded
    assert len(reminder_days(run, run.emails("prompt", "rob@example.com")[-1])) == 2
