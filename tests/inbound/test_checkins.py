"""Replies become check-ins: stored raw first, merged per prompt with history, confirmed to
the sender, and corrected by replying to the confirmation."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from okrmail.app import AppContext
from okrmail.clock import ManualClock
from okrmail.inbound import headers
from okrmail.inbound.bulk import Bulk
from okrmail.inbound.checkins import numbered_key_results
from okrmail.inbound.directory import Directory
from okrmail.inbound.ingest import Incoming, ingest, ingest_batch, process, store
from okrmail.meetings import apply_cancel
from okrmail.models import CheckIn, CheckInAnswer, CheckInReading, InboxMessage, KeyResult, Prompt
from okrmail.prompting import key_result_lines
from okrmail.replies.answers import ParsedReply
from okrmail.replies.body import parse_message
from tests.inbound.conftest import SentPrompt, inbox_rows, outgoing, reply, send_prompt, text_of

FIRST = """\
1. KR1 down to 4 days, KR2 38, KR3 12/45
2. The SSO vendor is late, which blocks KR3.
3. Escalate to their account manager on Tuesday.
4. KR1 8, KR2 6, KR3 5
5. No changes.
"""


def checkin_of(ctx: AppContext, prompt_id: int) -> CheckIn:
    with ctx.sessions() as session:
        checkin = session.scalars(select(CheckIn).where(CheckIn.prompt_id == prompt_id)).one()
        session.expunge(checkin)
        return checkin


def current_answers(ctx: AppContext, checkin_id: int) -> dict[str, str]:
    with ctx.sessions() as session:
        rows = session.scalars(
            select(CheckInAnswer).where(
                CheckInAnswer.checkin_id == checkin_id, CheckInAnswer.current.is_(True)
            )
        )
        return {row.question_key: row.text for row in rows}


def current_readings(ctx: AppContext, checkin_id: int) -> list[CheckInReading]:
    with ctx.sessions() as session:
        rows = session.scalars(
            select(CheckInReading).where(
                CheckInReading.checkin_id == checkin_id, CheckInReading.current.is_(True)
            )
        ).all()
        session.expunge_all()
        return list(rows)


def key_results(ctx: AppContext, email: str = "lena.vogel@example.com") -> list[KeyResult]:
    from okrmail.models import Person

    with ctx.sessions() as session:
        person = session.scalars(select(Person).where(Person.email == email)).one()
        results = numbered_key_results(session, person.id)
        session.expunge_all()
        return results


def test_a_reply_is_stored_raw_then_becomes_a_checkin(org: AppContext, lena: SentPrompt) -> None:
    raw = reply(lena, FIRST)
    outcome = ingest(org, raw)

    assert outcome.status == "checkin"
    [row] = inbox_rows(org)
    assert row.raw == raw and row.status == "checkin" and row.prompt_id == lena.id
    assert row.sender == lena.email and row.source == "stdin"
    answers = current_answers(org, checkin_of(org, lena.id).id)
    assert "SSO vendor is late" in answers["blockers"]
    assert "account manager" in answers["actions"]
    kr1, kr2, kr3 = key_results(org)
    assert (kr1.current_value, kr2.current_value, kr3.current_value) == (4, 38, 12)
    assert (kr1.confidence, kr2.confidence, kr3.confidence) == (8, 6, 5)
    assert kr1.updated_at == org.now()
    with org.sessions() as session:
        assert session.get(Prompt, lena.id).status == "answered"  # type: ignore[union-attr]
        # Each reading keeps the span of text it came from, inside the stored body.
        reading = session.scalars(
            select(CheckInReading).where(CheckInReading.kind == "progress")
        ).first()
        assert reading is not None
        body = row.body_text or ""
        assert body[reading.span_start : reading.span_end] == reading.text


def test_the_same_message_twice_is_stored_once(org: AppContext, lena: SentPrompt) -> None:
    raw = reply(lena, FIRST)
    first = ingest(org, raw)
    again = ingest(org, raw)
    assert again.duplicate and again.inbox_id == first.inbox_id
    assert len(inbox_rows(org)) == 1
    assert len(outgoing(org, "confirm-")) == 1


def test_raw_is_committed_before_processing(org: AppContext, lena: SentPrompt) -> None:
    [stored] = store(org, [Incoming(reply(lena, FIRST), "maildir")])
    [row] = inbox_rows(org)
    assert row.id == stored.inbox_id and row.status == "received"
    [outcome] = process(org, [stored.inbox_id])
    assert outcome.status == "checkin"


def test_key_results_are_numbered_as_in_the_prompt(org: AppContext, lena: SentPrompt) -> None:
    from okrmail.models import Person

    with org.sessions() as session:
        person = session.scalars(select(Person).where(Person.email == lena.email)).one()
        titles = [line["title"] for line in key_result_lines(session, person.id)]
        assert titles == [result.title for result in numbered_key_results(session, person.id)]


@pytest.mark.parametrize("outlook", [False, True], ids=["quoted", "outlook"])
def test_a_key_result_that_goes_down_is_read_from_the_answer_not_from_the_quoted_prompt(
    org: AppContext, outlook: bool
) -> None:
    """The prompt says "5 days (40% of the way from 7 to 2 days)" under a key result that goes
    down. Quoted without marks (Outlook), the reader took that line for the person's
    and recorded 5, the value it already had, over the "KR1 3 days" they wrote."""
    with org.transaction() as session:
        kr1 = numbered_key_results(session, _lena_id(session))[0]
        kr1.current_value = Decimal(5)
    org.settings.app.data_dir.mkdir(parents=True, exist_ok=True)
    sent = send_prompt(org)
    assert "5 days (40% of the way from 7 to 2 days)" in sent.text

    ingest(org, reply(sent, "1. KR1 3 days, KR2 38, KR3 12\n4. 8", outlook=outlook))

    kr1, kr2, kr3 = key_results(org)
    assert (kr1.current_value, kr2.current_value, kr3.current_value) == (3, 38, 12)
    with org.sessions() as session:
        reading = session.scalars(
            select(CheckInReading).where(
                CheckInReading.kind == "progress", CheckInReading.kr_number == 1
            )
        ).one()
        assert reading.text == "3"


def _lena_id(session: Session) -> int:
    from okrmail.models import Person

    return session.scalars(select(Person.id).where(Person.email == LENA_EMAIL)).one()


LENA_EMAIL = "lena.vogel@example.com"


def test_several_replies_merge_and_a_later_answer_wins(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    ingest(org, reply(lena, "1. KR1 5 days, KR2 35\n2. Nothing blocks me."))
    clock.advance(timedelta(hours=2))
    ingest(org, reply(lena, "2. Actually the SSO vendor is late.\n4. KR1 7, KR2 7, KR3 4"))

    checkin = checkin_of(org, lena.id)
    assert checkin.revision == 2
    answers = current_answers(org, checkin.id)
    assert "SSO vendor is late" in answers["blockers"]
    assert "KR1 5 days" in answers["progress"]  # kept from the first reply
    with org.sessions() as session:
        history = session.scalars(
            select(CheckInAnswer)
            .where(CheckInAnswer.question_key == "blockers")
            .order_by(CheckInAnswer.id)
        ).all()
        assert [row.current for row in history] == [False, True]
        assert "Nothing blocks me" in history[0].text and history[0].superseded_at == org.now()
    kr1, kr2, _ = key_results(org)
    assert (kr1.current_value, kr2.current_value, kr1.confidence) == (5, 35, 7)


def test_a_later_answer_takes_the_blockers_read_from_the_earlier_one_with_it(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    ingest(org, reply(lena, "1. KR1 5 days\n2. Blocked on legal.\n3. I'm stuck on the SSO vendor."))
    clock.advance(timedelta(hours=2))
    ingest(org, reply(lena, "2. None, legal signed yesterday."))

    def blockers(current: bool) -> list[str]:
        with org.sessions() as session:
            return list(
                session.scalars(
                    select(CheckInReading.text)
                    .where(CheckInReading.kind == "blocker", CheckInReading.current.is_(current))
                    .order_by(CheckInReading.id)
                )
            )

    # Question 2's blocker went with its answer (kept as history); question 3's stays.
    assert blockers(current=True) == ["I'm stuck on the SSO vendor."]
    assert blockers(current=False) == ["Blocked on legal."]
    second = text_of(outgoing(org, "confirm-")[-1])
    assert "Blocked on legal" not in second and "stuck on the SSO vendor" in second


def test_a_reply_written_earlier_but_read_later_does_not_win(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    written = org.now() + timedelta(minutes=10)
    clock.advance(timedelta(hours=3))
    late_reader = [
        Incoming(reply(lena, "1. KR2 44", date=written + timedelta(hours=1)), "imap"),
        Incoming(reply(lena, "1. KR2 40", date=written), "imap"),
    ]
    ingest_batch(org, late_reader)
    [_, kr2, _] = key_results(org)
    assert kr2.current_value == 44
    answers = current_answers(org, checkin_of(org, lena.id).id)
    assert answers["progress"].strip() == "KR2 44"


def test_the_confirmation_says_what_was_recorded_and_what_is_missing(
    org: AppContext, lena: SentPrompt
) -> None:
    raw = reply(lena, "1. KR1 4 days, KR2 38\n2. The SSO vendor is late.\n4. KR1 8")
    ingest(org, raw)

    [confirmation] = outgoing(org, "confirm-")
    assert confirmation["To"].addresses[0].addr_spec == lena.email
    assert str(confirmation["Reply-To"]) == lena.reply_address
    assert str(confirmation["In-Reply-To"]) == inbox_rows(org)[0].message_id
    assert str(confirmation["Auto-Submitted"]) == "auto-generated"
    assert "missing" in str(confirmation["Subject"])
    text = text_of(confirmation)
    assert "KR1. Cut time-to-first-value to 2 days" in text
    assert "progress: 4 days (60% of the way from 7 to 2 days)" in text
    assert "confidence: 8/10" in text
    assert "no progress given for KR3 (Self-serve setups)" in text
    assert (
        'no confidence given for KR2: reply with a number from 1 to 10, e.g. "KR2 confidence 7"'
        in text
    )
    assert "The SSO vendor is late." in text
    assert 'no answer to question 3 ("What will you do to get past those obstacles' in text


@pytest.mark.parametrize("tag", ["ä", "a..b"])
def test_a_reply_from_an_address_no_header_can_carry_is_confirmed_at_the_persons(
    org: AppContext, lena: SentPrompt, tag: str
) -> None:
    """The sender check drops the +tag, so the reply is Lena's; its confirmation, addressed
    as the reply came, could not be built and was never sent (retried on every fetch)."""
    raw = re.sub(
        rb"^From: .*$",
        f"From: Lena <lena.vogel+{tag}@example.com>".encode(),
        reply(lena, "1. KR1 4 days"),
        count=1,
        flags=re.M,
    )
    assert ingest(org, raw).status == "checkin"
    [confirmation] = outgoing(org, "confirm-")
    assert confirmation["To"].addresses[0].addr_spec == lena.email


@pytest.mark.parametrize(
    ("said", "reads_as"),
    [("+7 setups", "a change since last time"), ("8 to go", "what is left to go")],
)
def test_a_change_or_what_is_left_is_not_recorded_as_the_value_and_is_asked_for(
    org: AppContext, lena: SentPrompt, clock: ManualClock, said: str, reads_as: str
) -> None:
    ingest(org, reply(lena, "1. KR1 4 days, KR2 38, KR3 12 accounts"))
    clock.advance(timedelta(hours=1))
    ingest(org, reply(lena, f"1. KR3 {said}"))

    # "+7" or "8 to go" is not 7 or 8 accounts: the key result keeps its value until the
    # person gives it.
    assert key_results(org)[2].current_value == 12
    text = " ".join(text_of(outgoing(org, "confirm-")[-1]).split())
    asked = f'KR3: "{said}" reads as {reads_as}: give the value it stands at now'
    assert f"{asked} (it was 12 accounts)" in text


def test_the_confirmation_shows_what_was_kept_as_a_note_but_not_courtesies(
    org: AppContext, lena: SentPrompt
) -> None:
    paragraph = "Slow week: the SSO vendor is still late, so onboarding waits on them."
    ingest(org, reply(lena, f"Hi Sam,\n\n{paragraph}\n\nThanks,\nLena"))

    [confirmation] = outgoing(org, "confirm-")
    text = " ".join(text_of(confirmation).split())
    assert f"Kept as a note: {paragraph}" in text
    assert "Hi Sam" not in text and "Thanks, Lena" not in text


def test_a_long_note_is_shortened_in_the_confirmation_like_an_answer(
    org: AppContext, lena: SentPrompt
) -> None:
    paragraph = " ".join(f"Sentence {number} about a slow week." for number in range(80))
    ingest(org, reply(lena, paragraph))

    [confirmation] = outgoing(org, "confirm-")
    text = " ".join(text_of(confirmation).split())
    assert "Kept as a note: Sentence 0 about a slow week." in text
    assert "Sentence 79" not in text and "…" in text


def test_a_free_paragraph_answers_what_it_says_and_only_the_rest_is_missing(
    org: AppContext, lena: SentPrompt
) -> None:
    paragraph = (
        "Setups are at 19 of 45 and I'm fairly confident, 7/10. "
        "We're blocked on the billing team for the new plans."
    )
    ingest(org, reply(lena, f"{paragraph}\n\nLena"))

    [confirmation] = outgoing(org, "confirm-")
    text = text_of(confirmation)
    lines = text.splitlines()

    def shown_under(number: int) -> list[str]:
        start = next(n for n, line in enumerate(lines) if line.startswith(f"{number}. "))
        return [line.strip() for line in lines[start + 1 : start + 3]]

    # What the paragraph said stands in for the questions it answers...
    found = "(not answered on its own; from what you wrote:)"
    assert shown_under(1) == [found, "KR3 19 of 45"]
    assert shown_under(2) == [found, "We're blocked on the billing team for the new plans."]
    assert shown_under(4) == [found, "7/10 overall"]
    assert shown_under(3)[0] == "(no answer)"
    # Question 5 is optional (the prompt says to skip what does not apply): left out, it
    # is shown as skipped and not asked for.
    assert shown_under(5)[0] == "(skipped: this one is optional)"
    # ...so they are not asked for again; the questions it left out are.
    assert "no answer to question 2" not in text
    assert 'no answer to question 3 ("What will you do' in text
    assert "no answer to question 5" not in text
    assert "no confidence given" not in text  # the overall score covers every key result
    assert "Blocker:" not in text  # shown under question 2 already
    missing = sum(1 for line in lines if line.startswith("  - no "))
    assert missing == 3  # question 3, and progress for KR1 and KR2
    assert str(confirmation["Subject"]).startswith("Recorded, 3 things missing:")
    html = confirmation.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "from what you wrote" in html and "We’re blocked" not in html
    assert "skipped: this one is optional" in html
    assert "blocked on the billing team" in html


def test_a_blocker_is_noted_only_where_it_is_not_the_answer_that_asked_for_it(
    org: AppContext, lena: SentPrompt
) -> None:
    """The answer to "What is behind schedule …?" came back a second time under NOTED as
    "Blocker: …"; a blocker said under another question is worth pointing out."""
    ingest(
        org,
        reply(
            lena,
            "1. KR1 4 days, KR2 38 but we are blocked on the billing team\n"
            "2. The SSO vendor is late.",
        ),
    )

    text = text_of(outgoing(org, "confirm-")[0])
    noted = text.split("NOTED", 1)[1]
    assert "The SSO vendor is late." not in noted
    assert "- Blocker: KR1 4 days, KR2 38 but we are blocked on the billing team" in " ".join(
        noted.split()
    )
    assert " ".join(text.split()).count("The SSO vendor is late.") == 1


def test_a_sentence_noted_twice_is_shown_once_with_both_kinds(
    org: AppContext, lena: SentPrompt
) -> None:
    ingest(org, reply(lena, "1. KR1 4 days\n2. Blocked on legal, could you help us get a slot?"))

    text = " ".join(text_of(outgoing(org, "confirm-")[0]).split())
    assert "- Blocker, help wanted: Blocked on legal, could you help us get a slot?" in text
    assert text.count("could you help us get a slot?") == 2  # the answer, then the note


def test_replying_to_the_confirmation_completes_the_checkin(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    ingest(org, reply(lena, "1. KR1 4 days, KR2 38, KR3 10\n4. KR1 8"))
    [confirmation] = outgoing(org, "confirm-")
    clock.advance(timedelta(hours=1))

    # The client drops the +token (To: the plain address) but keeps the thread.
    correction = reply(
        lena,
        "KR2 40\nConfidence: KR2 6, KR3 4",
        to="checkins@example.com",
        parent=str(confirmation["Message-ID"]),
        quote=text_of(confirmation),
    )
    outcome = ingest(org, correction)

    assert outcome.status == "checkin" and outcome.prompt_id == lena.id
    kr1, kr2, kr3 = key_results(org)
    assert (kr2.current_value, kr2.confidence, kr3.confidence) == (40, 6, 4)
    assert kr1.confidence == 8  # untouched by the correction
    assert checkin_of(org, lena.id).revision == 2
    first_text, second_text = (text_of(message) for message in outgoing(org, "confirm-"))
    assert "no confidence given for KR2" in first_text
    assert "no confidence given" not in second_text  # completed by the correction
    assert "progress: 40 points (47% of the way from 31 to 50 points)" in second_text


@pytest.mark.parametrize("outlook", [False, True], ids=["quoted", "outlook"])
def test_a_correction_above_the_confirmation_wins_over_its_recap(
    org: AppContext, lena: SentPrompt, clock: ManualClock, outlook: bool
) -> None:
    ingest(org, reply(lena, "1. KR1 5 days, KR2 38\n2. The SSO vendor is late."))
    [confirmation] = outgoing(org, "confirm-")
    clock.advance(timedelta(hours=1))

    correction = "Sorry, KR2 should be 40, not 38.\n\n3. Escalating to their CTO."
    history = text_of(confirmation)
    parent = str(confirmation["Message-ID"])
    ingest(org, reply(lena, correction, parent=parent, quote=history, outlook=outlook))

    # The recap under the correction lists question 1 with "KR1 5 days, KR2 38" and
    # question 3 with "(no answer)": without quote marks, that read like inline answers.
    _, kr2, _ = key_results(org)
    assert kr2.current_value == 40
    answers = current_answers(org, checkin_of(org, lena.id).id)
    assert answers["actions"].strip() == "Escalating to their CTO."
    assert answers["progress"].strip() == "KR1 5 days, KR2 38"  # the first reply's, kept
    assert answers["blockers"].strip() == "The SSO vendor is late."
    assert "(no answer)" not in " ".join(answers.values())


def test_an_empty_reply_is_ignored_without_a_confirmation(
    org: AppContext, lena: SentPrompt
) -> None:
    outcome = ingest(org, reply(lena, ""))
    assert outcome.status == "ignored" and "empty reply" in (outcome.reason or "")
    assert outgoing(org, "confirm-") == []


def test_a_reply_after_the_meeting_started_is_kept_as_late(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=1, hours=1))
    ingest(org, reply(lena, FIRST))
    assert checkin_of(org, lena.id).late is True
    assert "arrived after the meeting had started" in text_of(outgoing(org, "confirm-")[0])


def test_stuck_messages_are_processed_by_the_next_fetch(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    from okrmail.inbound.fetching import run_fetch

    store(org, [Incoming(reply(lena, FIRST), "imap")])  # a crash right after this
    clock.advance(timedelta(hours=1))
    report = run_fetch(org)
    assert [outcome.status for outcome in report.outcomes] == ["checkin"]
    with org.sessions() as session:
        assert session.scalar(select(InboxMessage.status)) == "checkin"
    assert len(outgoing(org, "confirm-")) == 1
    assert Decimal(key_results(org)[0].current_value or 0) == 4


def test_copies_in_one_batch_and_messages_without_an_id_are_deduplicated(
    org: AppContext, lena: SentPrompt
) -> None:
    raw = reply(lena, FIRST)
    nameless = b"\r\n".join(
        line for line in raw.split(b"\r\n") if not line.startswith(b"Message-ID")
    )
    outcomes = ingest_batch(org, [Incoming(raw, "imap"), Incoming(raw, "imap")])
    assert [o.duplicate for o in outcomes] == [False, True]
    assert outcomes[1].inbox_id == outcomes[0].inbox_id
    first, again = ingest(org, nameless), ingest(org, nameless)
    assert not first.duplicate and again.duplicate and again.inbox_id == first.inbox_id
    assert len(inbox_rows(org)) == 2


def test_a_reply_that_breaks_the_batch_merge_is_quarantined_and_the_rest_land(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    import okrmail.inbound.checkins as checkins

    tom = send_prompt(org, "tom.hughes@example.com")
    answers_of = checkins._answers

    def breaks_on_tom(parsed: ParsedReply) -> list[dict[str, object]]:
        if any("BREAKS" in answer.text for answer in parsed.answers.values()):
            raise ValueError("a column the merge cannot fill")
        return answers_of(parsed)

    monkeypatch.setattr(checkins, "_answers", breaks_on_tom)
    outcomes = ingest_batch(
        org,
        [
            Incoming(reply(lena, FIRST), "imap"),
            Incoming(reply(tom, "1. KR1 12 BREAKS"), "imap"),
            Incoming(reply(lena, "5. Nothing else.", date=org.now()), "imap"),
        ],
    )

    assert [o.status for o in outcomes] == ["checkin", "quarantined", "checkin"]
    assert "could not be recorded (ValueError: a column the merge cannot fill)" in str(
        outcomes[1].reason
    )
    assert [row.status for row in inbox_rows(org)] == ["checkin", "quarantined", "checkin"]
    checkin = checkin_of(org, lena.id)
    assert checkin.revision == 2 and outcomes[0].checkin_id == outcomes[2].checkin_id
    assert key_results(org)[0].current_value == 4
    with org.sessions() as session:
        assert session.scalar(select(CheckIn).where(CheckIn.prompt_id == tom.id)) is None
        assert session.get(Prompt, tom.id).status == "sent"  # type: ignore[union-attr]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_rival_worker_creating_the_checkin_first_is_merged_into(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers answer one prompt at once: ours reads no check-in, theirs commits one
    before our insert. Ours must fail over to merging into theirs, not lose the reply."""
    import okrmail.inbound.checkins as checkins

    states_of = checkins._states
    rival = {"done": False}

    def rival_commits_first(session: Session, replies: Any, now: datetime) -> Any:
        states = states_of(session, replies, now)
        if not rival["done"]:
            rival["done"] = True
            ingest(org, reply(lena, "3. Their worker got here first."))  # its own transaction
        return states

    monkeypatch.setattr(checkins, "_states", rival_commits_first)
    outcome = ingest(org, reply(lena, FIRST))

    assert rival["done"] and outcome.status == "checkin"
    assert [row.status for row in inbox_rows(org)] == ["checkin", "checkin"]
    checkin = checkin_of(org, lena.id)
    assert checkin.revision == 2 and outcome.checkin_id == checkin.id
    answers = current_answers(org, checkin.id)
    assert "SSO vendor is late" in answers["blockers"]


def test_no_change_in_a_later_reply_of_the_same_batch_keeps_the_value_just_given(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    written = org.now() + timedelta(minutes=10)
    clock.advance(timedelta(hours=3))
    ingest_batch(
        org,
        [
            Incoming(reply(lena, "1. KR2 44", date=written), "imap"),
            Incoming(reply(lena, "1. KR2 no change", date=written + timedelta(hours=1)), "imap"),
        ],
    )
    [_, kr2, _] = key_results(org)
    assert kr2.current_value == 44
    with org.sessions() as session:
        readings = session.scalars(
            select(CheckInReading)
            .where(CheckInReading.kind == "progress", CheckInReading.kr_number == 2)
            .order_by(CheckInReading.id)
        ).all()
        # Read as "still 44", the same as the current reading: nothing new to record.
        assert [(r.value, r.status, r.current) for r in readings] == [(44, "value", True)]


def test_a_reply_failing_late_in_its_merge_leaves_nothing_behind_for_the_next_one(
    org: AppContext, lena: SentPrompt, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failing reply had already moved KR1 when its rows failed to insert: the reply
    after it in the batch must see KR1 as stored, and the prompt still gets answered."""
    before = key_results(org)[0].current_value
    execute = Session.execute

    execute_rows = Bulk.execute

    def breaks(params: Any) -> None:
        rows = params if isinstance(params, list) else [params]
        if any(isinstance(row, dict) and "BREAKS" in str(row.get("text")) for row in rows):
            raise ValueError("the row cannot be written")

    def breaks_on_insert(self: Session, statement: Any, params: Any = None, **kw: Any) -> Any:
        breaks(params)
        return execute(self, statement, params, **kw)

    def breaks_on_bulk_insert(self: Bulk, session: Session, rows: Any) -> None:
        breaks(rows)
        execute_rows(self, session, rows)

    monkeypatch.setattr(Session, "execute", breaks_on_insert)
    monkeypatch.setattr(Bulk, "execute", breaks_on_bulk_insert)  # rows bound by Bulk itself
    written = org.now() + timedelta(minutes=5)
    clock.advance(timedelta(hours=1))
    outcomes = ingest_batch(
        org,
        [
            Incoming(reply(lena, "1. KR1 down to 3 days BREAKS", date=written), "imap"),
            Incoming(reply(lena, "4. KR1 8, KR2 6, KR3 5", date=written), "imap"),
        ],
    )

    assert [o.status for o in outcomes] == ["quarantined", "checkin"]
    kr1, kr2, _ = key_results(org)
    assert (kr1.current_value, kr1.confidence, kr2.confidence) == (before, 8, 6)
    with org.sessions() as session:
        assert session.get(Prompt, lena.id).status == "answered"  # type: ignore[union-attr]


def test_a_batch_whose_lookups_fail_is_looked_up_message_by_message(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    from okrmail.inbound.directory import Directory

    def fails(self: Directory, messages: Any) -> None:
        raise RuntimeError("the database went away for a moment")

    monkeypatch.setattr(Directory, "preload", fails)
    tom = send_prompt(org, "tom.hughes@example.com")
    outcomes = ingest_batch(
        org, [Incoming(reply(lena, FIRST), "imap"), Incoming(reply(tom, "1. KR1 12"), "imap")]
    )
    assert [o.status for o in outcomes] == ["checkin", "checkin"]
    assert key_results(org)[0].current_value == 4


def _ingest_at(job: tuple[str, str, bytes, float]) -> str:
    """In a process of its own, as an MTA runs `okrmail ingest`: wait for the moment,
    then ingest."""
    url, data_dir, raw, moment = job
    from tests.conftest import START, make_settings

    ctx = AppContext(make_settings(Path(data_dir), url), clock=ManualClock(START))
    while time.time() < moment:
        pass
    try:
        return ingest(ctx, raw).status
    except Exception as error:  # the failure this test is about, shown in its assertion
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"


def test_replies_piped_in_at_the_same_moment_all_land(org: AppContext) -> None:
    """On SQLite, a reply processed while another process wrote failed at once with
    "database is locked" (its transaction began as a reader: waiting could not help)."""
    import multiprocessing

    org.settings.app.data_dir.mkdir(parents=True, exist_ok=True)
    prompts = [send_prompt(org), send_prompt(org, email="tom.hughes@example.com")]
    assert org.engine is not None
    org.engine.dispose()  # no connection of ours goes into the forked processes
    url, data_dir = org.settings.database_url, str(org.settings.app.data_dir)
    statuses = []
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for _ in range(4):
            moment = time.time() + 0.5
            jobs = [(url, data_dir, reply(sent, "1. KR1 4 days"), moment) for sent in prompts]
            statuses += pool.map(_ingest_at, jobs)
    assert statuses == ["checkin"] * 8
    assert [row.status for row in inbox_rows(org)] == ["checkin"] * 8


def test_a_late_word_on_last_weeks_check_in_does_not_bring_back_its_values(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """Week 1 said KR1 5 days, week 2 said 3 days; a note added to week 1's check-in
    afterwards put 5 days (and week 1's confidence) back on the key results."""
    ingest(org, reply(lena, "1. KR1 5 days, KR2 35, KR3 10\n4. KR1 6, KR2 6, KR3 6"))
    clock.advance(timedelta(days=7))
    week_two = send_prompt(org)
    ingest(org, reply(week_two, "1. KR1 3 days, KR2 44, KR3 20\n4. KR1 9, KR2 8, KR3 8"))
    clock.advance(timedelta(hours=2))

    ingest(org, reply(lena, "3. I escalated to the vendor's account manager."))

    kr1, kr2, kr3 = key_results(org)
    assert [(kr.current_value, kr.confidence) for kr in (kr1, kr2, kr3)] == [
        (3, 9), (44, 8), (20, 8)
    ]  # fmt: skip
    # What it does say is recorded on week 1's check-in.
    answers = current_answers(org, checkin_of(org, lena.id).id)
    assert answers["actions"] == "I escalated to the vendor's account manager."


@pytest.mark.parametrize("week_one_first", [False, True])
def test_last_weeks_values_answered_after_this_weeks_do_not_replace_them(
    org: AppContext, lena: SentPrompt, clock: ManualClock, week_one_first: bool
) -> None:
    """Lena skipped last week's check-in and answered it after this week's: the key
    results went back to last week's values, and the next prompt showed them."""
    clock.advance(timedelta(days=7))
    this_week = send_prompt(org)
    if week_one_first:  # answered in order: this week's reply wins all the same
        ingest(org, reply(lena, "1. KR1 5 days, KR2 38, KR3 12\n4. KR1 7, KR2 5, KR3 6"))
        clock.advance(timedelta(minutes=30))
    ingest(org, reply(this_week, "1. KR1 4 days, KR2 41, KR3 19\n4. KR1 8, KR2 6, KR3 8"))
    clock.advance(timedelta(minutes=30))

    ingest(org, reply(lena, "1. KR1 5 days, KR2 38, KR3 12\n4. KR1 7, KR2 5, KR3 6"))
    ingest(org, reply(lena, "KR2 39 actually, and KR3 13", message_id="<fix@example.com>"))

    assert [(kr.current_value, kr.confidence) for kr in key_results(org)] == [
        (4, 8), (41, 6), (19, 8)
    ]  # fmt: skip
    # What last week's replies said is on last week's check-in.
    progress = {
        row.kr_number: row.value
        for row in current_readings(org, checkin_of(org, lena.id).id)
        if row.kind == "progress"
    }
    assert progress == {1: 5, 2: 39, 3: 13}


def test_a_later_confidence_for_all_replaces_the_scores_given_one_by_one(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    ingest(org, reply(lena, "1. KR1 5 days, KR2 35, KR3 10\n4. KR1 8, KR2 6, KR3 5"))
    clock.advance(timedelta(hours=1))

    ingest(org, reply(lena, "4. 7 for all of them"))

    assert [kr.confidence for kr in key_results(org)] == [7, 7, 7]
    confirmation = outgoing(org, "confirm-")[-1]
    text = text_of(confirmation)
    assert text.count("confidence: 7/10") == 3, text
    with org.sessions() as session:
        current = session.scalars(
            select(CheckInReading).where(
                CheckInReading.kind == "confidence", CheckInReading.current.is_(True)
            )
        ).all()
        assert [(row.kr_number, row.score) for row in current] == [(None, 7)]


def test_a_managers_reply_leaves_the_reports_key_results_as_the_report_gave_them(
    org: AppContext, lena: SentPrompt
) -> None:
    ingest(org, reply(lena, FIRST))
    with org.transaction() as session:
        from okrmail.models import Pairing, Person

        report = session.scalars(select(Person).where(Person.email == lena.email)).one()
        pairing = session.scalars(select(Pairing).where(Pairing.report_id == report.id)).one()
        pairing.question_set = "quarterly-planning"
    manager = send_prompt(org, lena.email, role="manager")
    assert "LENA'S KEY RESULTS" in manager.text  # the report's, and said so

    ingest(
        org,
        reply(
            manager,
            "1. Yes, though KR1 is really at 6 days, not 4. I'd say confidence 3 overall.",
        ),
    )

    kr1, kr2, kr3 = key_results(org)
    assert [(kr.current_value, kr.confidence) for kr in (kr1, kr2, kr3)] == [
        (4, 8), (38, 6), (12, 5)
    ]  # fmt: skip
    # What the manager said is kept, in the manager's check-in.
    answers = current_answers(org, checkin_of(org, manager.id).id)
    assert "really at 6 days" in answers["right_outcomes"]


def test_an_encoded_subject_is_decoded_once_however_often_ingest_asks_for_it(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storing, the bounce test and the robot test each ask for the Subject."""
    decoding: list[str] = []
    decode = headers.decoded

    def counted(value: str) -> str:
        decoding.append(value)
        return decode(value)

    monkeypatch.setattr(headers, "decoded", counted)

    outcome = ingest(org, reply(lena, FIRST, subject="Re: Wöchentlicher Check-in"))

    assert outcome.status == "checkin"
    assert inbox_rows(org)[-1].subject == "Re: Wöchentlicher Check-in"
    assert len(decoding) == 1 and "=?" in decoding[0]


def test_a_batch_with_a_managers_reply_is_looked_up_in_two_queries(
    org: AppContext, lena: SentPrompt
) -> None:
    """The prompts come with the report of their pairing, whose key results a manager's
    prompt showed: no query of its own to find whose they are (one per batch, before)."""
    manager = send_prompt(org, lena.email, role="manager")
    messages = [parse_message(reply(sent, FIRST)) for sent in (lena, manager)]
    assert org.engine is not None
    queries: list[str] = []

    def record(*args: Any) -> None:
        queries.append(args[2])  # (connection, cursor, statement, ...)

    with org.transaction() as session:
        directory = Directory(session, org.settings.mail.reply_address)
        event.listen(org.engine, "before_cursor_execute", record)
        try:
            directory.preload(messages)
            prompts = directory.prompts_by_token([lena.token, manager.token])
            shown = [directory.key_results(prompts[sent.token]) for sent in (lena, manager)]
        finally:
            event.remove(org.engine, "before_cursor_execute", record)

    assert [query.split()[0] for query in queries] == ["SELECT", "SELECT"]
    reports, managers = ([result.id for result in results] for results in shown)
    assert managers == reports and len(reports) == 3  # Lena's three key results, in order
    assert [result.id for result in key_results(org)] == reports


@pytest.mark.parametrize(
    "text", ["Thanks!", "ok", "Got it, thanks. Looks right.", "Perfect 👍\n\nLena", "Danke!"]
)
def test_thanks_for_a_confirmation_sends_no_confirmation_again(
    org: AppContext, lena: SentPrompt, clock: ManualClock, text: str
) -> None:
    ingest(org, reply(lena, FIRST))
    [confirmation] = outgoing(org, "confirm-")
    clock.advance(timedelta(hours=1))

    parent = str(confirmation["Message-ID"])
    outcome = ingest(org, reply(lena, text, parent=parent, quote=text_of(confirmation)))

    assert outcome.status == "ignored"
    assert "only thanks" in (outcome.reason or "")
    assert len(outgoing(org, "confirm-")) == 1
    assert inbox_rows(org)[-1].status == "ignored"  # stored all the same


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, will answer tomorrow!",
        "Sorry, crazy week. I'll get back to you on Monday.\n\nLena",
        "Antworte morgen, sorry!",
    ],
)
def test_a_promise_to_answer_later_leaves_the_check_in_open(
    org: AppContext, lena: SentPrompt, text: str
) -> None:
    """It was recorded as the check-in: the prompt counted as answered (no reminder), the
    confirmation thanked for a check-in with everything missing."""
    outcome = ingest(org, reply(lena, text))

    assert outcome.status == "ignored"
    assert "will answer later" in (outcome.reason or "")
    assert outgoing(org, "confirm-") == []
    with org.sessions() as session:
        assert session.get(Prompt, lena.id).status == "sent"  # type: ignore[union-attr]
        assert session.scalars(select(CheckIn)).all() == []
    # The answers, when they come, are a check-in as usual.
    assert ingest(org, reply(lena, FIRST, message_id="<answers@example.com>")).status == "checkin"


def test_thanks_with_a_correction_is_a_correction(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    ingest(org, reply(lena, FIRST))
    [confirmation] = outgoing(org, "confirm-")
    clock.advance(timedelta(hours=1))

    parent = str(confirmation["Message-ID"])
    text = "Thanks! KR2 is 40 actually."
    outcome = ingest(org, reply(lena, text, parent=parent, quote=text_of(confirmation)))

    assert outcome.status == "checkin"
    assert key_results(org)[1].current_value == 40
    assert len(outgoing(org, "confirm-")) == 2


@pytest.mark.parametrize("outlook", [False, True], ids=["quoted", "outlook"])
def test_confidence_written_under_a_key_results_line_is_that_ones(
    org: AppContext, lena: SentPrompt, outlook: bool
) -> None:
    """Was one overall score (the first), carried onto every key result."""
    said = iter(["5 days, confidence 8", "41, confidence 6", "14, confidence 9"])
    lines = []
    for line in lena.text.splitlines():
        lines.append(line if outlook else f"> {line}")
        if re.match(r"\s+(?:no update yet|\S.*\(\d+%)", line):
            lines.append(next(said))
    assert next(said, None) is None  # one answer under each key result
    if outlook:
        raw = reply(lena, "Answers inline.", quote="\n".join(lines), outlook=True)
    else:
        raw = written_into_quote(lena, "Answers inline.", "\n".join(lines))

    ingest(org, raw)

    kr1, kr2, kr3 = key_results(org)
    assert [(kr.current_value, kr.confidence) for kr in (kr1, kr2, kr3)] == [
        (5, 8), (41, 6), (14, 9)
    ]  # fmt: skip


def written_into_quote(sent: SentPrompt, above: str, quote: str) -> bytes:
    """A reply whose quoted part is `quote` as given ("> " marks and the person's lines
    typed between them), under `above` and the client's "On ... wrote:" line."""
    raw = reply(sent, above, quote="QUOTED")
    body = quote.replace("\n", "\r\n").encode()
    return raw.replace(b"> QUOTED", body).replace(b"7bit", b"8bit")


def bottom_posted(sent: SentPrompt, text: str, history: str | None = None) -> bytes:
    """A reply written under the whole quoted email, as Thunderbird users often do."""
    quoted = "\n".join(f"> {line}" for line in (history or sent.text).splitlines())
    return written_into_quote(sent, "", f"{quoted}\n\n{text}")


def test_answers_written_below_the_whole_quoted_prompt_land_on_their_questions(
    org: AppContext, lena: SentPrompt
) -> None:
    """Were all one answer to the last question, and no key result was read."""
    ingest(org, bottom_posted(lena, "1. KR1 4 days, KR2 38\n3. Escalate.\n\nLena"))

    answers = current_answers(org, checkin_of(org, lena.id).id)
    assert answers["progress"].strip() == "KR1 4 days, KR2 38"
    assert answers["actions"].strip() == "Escalate."
    assert "kr_changes" not in answers
    kr1, kr2, _ = key_results(org)
    assert (kr1.current_value, kr2.current_value) == (4, 38)


def test_a_correction_written_below_the_quoted_confirmation_is_read(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    ingest(org, reply(lena, FIRST))
    [confirmation] = outgoing(org, "confirm-")
    clock.advance(timedelta(hours=1))

    ingest(org, bottom_posted(lena, "KR2 40", history=text_of(confirmation)))

    assert key_results(org)[1].current_value == 40


def test_what_could_not_be_read_is_asked_until_a_later_reply_gives_it(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """A later reply about something else made the question about KR3 disappear, and KR3
    silently kept its old value."""
    ingest(org, reply(lena, "1. KR1 5 days, KR2 38, KR3 +7 setups"))
    first = checkin_of(org, lena.id).unclear
    assert any("KR3" in line for line in first), first
    clock.advance(timedelta(hours=1))

    ingest(org, reply(lena, "3. Escalate to the account manager."))
    assert checkin_of(org, lena.id).unclear == first
    assert "KR3" in text_of(outgoing(org, "confirm-")[-1]).split("unclear", 1)[-1]
    clock.advance(timedelta(hours=1))

    ingest(org, reply(lena, "1. KR3 19"))
    assert not any("KR3" in line for line in checkin_of(org, lena.id).unclear)


@pytest.mark.parametrize(
    ("replies", "scores"),
    [
        (["4. KR1 8, KR2 6, KR3 5", "4. KR1 8, the rest 6"], [8, 6, 6]),
        (["4. 7 overall", "4. KR2 5", "4. 7 overall"], [7, 7, 7]),
    ],
)
def test_a_confidence_for_the_rest_leaves_the_scores_said_again(
    org: AppContext, lena: SentPrompt, clock: ManualClock, replies: list[str], scores: list[int]
) -> None:
    """A score said again unchanged is still said: "KR1 8, the rest 6" gave KR1 6 too."""
    ingest(org, reply(lena, "1. KR1 5 days, KR2 35, KR3 10"))
    for text in replies:
        clock.advance(timedelta(hours=1))
        ingest(org, reply(lena, text))
    assert [kr.confidence for kr in key_results(org)] == scores


def test_a_confidence_for_all_written_under_the_last_key_result_is_for_all(
    org: AppContext, lena: SentPrompt
) -> None:
    lines = [f"> {line}" for line in lena.text.splitlines()]
    last = max(
        n for n, line in enumerate(lines) if re.match(r">\s+(?:no update yet|\S.*\(\d+%)", line)
    )
    lines.insert(last + 1, "14\nOverall confidence 7 for all three")
    ingest(org, written_into_quote(lena, "Answers inline.", "\n".join(lines)))

    assert [kr.confidence for kr in key_results(org)] == [7, 7, 7]


def test_the_subject_counts_what_is_unclear_with_what_is_missing(
    org: AppContext, lena: SentPrompt
) -> None:
    ingest(org, reply(lena, "1. KR1 5 days, KR2 38, KR3 19\n2. None\n3. Same plan\n4. 8 for all"))
    assert str(outgoing(org, "confirm-")[-1]["Subject"]).startswith("Recorded:")

    ingest(org, reply(lena, "1. KR3 +7 setups", message_id="<second@example.com>"))

    confirmation = outgoing(org, "confirm-")[-1]
    unclear = checkin_of(org, lena.id).unclear
    assert len(unclear) == 1 and "KR3" in unclear[0]
    assert "  - unclear: " in text_of(confirmation)
    assert str(confirmation["Subject"]).startswith("Recorded, 1 thing unclear:")


def test_a_reply_to_a_cancelled_meetings_prompt_is_kept_and_says_so(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """The meeting was cancelled after the prompt went out: the answers are recorded, and
    the confirmation says they reach no meeting rather than thanking for that one."""
    with org.transaction() as session:
        meeting = session.get(Prompt, lena.id).meeting  # type: ignore[union-attr]
        apply_cancel(org, session, meeting)
    clock.advance(timedelta(days=2))  # after the hour it would have started

    ingest(org, reply(lena, FIRST))

    assert key_results(org)[1].current_value == 38
    [confirmation] = outgoing(org, "confirm-")
    text = " ".join(text_of(confirmation).split())
    assert "(That 1-on-1 has since been cancelled; your check-in is kept all the same.)" in text
    assert "after the meeting had started" not in text
    html = confirmation.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "has since been cancelled" in html
