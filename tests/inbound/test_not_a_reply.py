"""A new email to the check-in address from one of our people ("my check-in", answers and
all) names no check-in: it is quarantined, and they are told so, once a day, with a way to
answer that works."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

from okrmail.app import AppContext
from okrmail.clock import ManualClock
from okrmail.inbound.ingest import ingest
from tests.inbound.conftest import SentPrompt, outgoing, reply, send_prompt, text_of
from tests.inbound.test_checkins import checkin_of, key_results

ANSWERS = "1. KR1 4 days, KR2 40, KR3 12\n2. Waiting on billing.\n4. 8"


def new_email(sent: SentPrompt, text: str = ANSWERS, *, sender: str | None = None) -> bytes:
    """An email written from scratch to the plain check-in address: no token, no thread."""
    return reply(
        sent,
        text,
        to="okrmail <checkins@example.com>",
        subject="my check-in",
        parent="",
        sender=sender,
    )


def test_a_new_email_from_one_of_our_people_is_kept_and_they_are_told_how_to_answer(
    org: AppContext, lena: SentPrompt
) -> None:
    outcome = ingest(org, new_email(lena))

    assert outcome.status == "quarantined"
    assert "not a reply to a check-in" in (outcome.reason or "")
    assert "lena.vogel@example.com told it was not recorded" in (outcome.reason or "")
    [notice] = outgoing(org, "not_a_reply-")
    assert notice["To"].addresses[0].addr_spec == "lena.vogel@example.com"
    # Nothing of theirs is repeated, not even the subject: a forged From could put a
    # stranger's words in an email from us.
    assert str(notice["Subject"]).startswith("Not recorded: your email of ")
    assert "my check-in" not in notice.as_string()
    text = " ".join(text_of(notice).split())
    assert "nothing in it was recorded" in text
    assert "To record your answers for your 1-on-1 with Ana Keller on" in text
    assert "1. What progress have you made on each key result" in text
    assert "KR1 4 days" not in text  # nothing of what they wrote is repeated
    # Replies to the notice go to the open check-in, by its address and by the thread.
    assert str(notice["Reply-To"]) == lena.reply_address
    assert str(notice["In-Reply-To"]) == lena.message_id
    assert key_results(org)[0].current_value != 4  # nothing was recorded


def test_answering_the_notice_records_the_check_in(org: AppContext, lena: SentPrompt) -> None:
    ingest(org, new_email(lena))
    [notice] = outgoing(org, "not_a_reply-")

    # The client drops the +token of the Reply-To; the thread still names the notice and,
    # in References, the check-in email it answers.
    answer = message_from_bytes(
        reply(
            lena,
            ANSWERS,
            to="okrmail <checkins@example.com>",
            parent=str(notice["Message-ID"]),
            quote=text_of(notice),
        ),
        policy=policy.SMTP,
    )
    answer.replace_header("References", f"{notice['References']} {notice['Message-ID']}")
    assert lena.message_id in str(answer["References"])
    outcome = ingest(org, answer.as_bytes())

    assert outcome.status == "checkin" and outcome.prompt_id == lena.id
    assert [kr.current_value for kr in key_results(org)] == [4, 40, 12]
    assert checkin_of(org, lena.id).revision == 1


def test_the_notice_goes_once_a_day(org: AppContext, lena: SentPrompt, clock: ManualClock) -> None:
    ingest(org, new_email(lena))
    ingest(org, new_email(lena, "Sorry, forgot: KR3 is 13"))
    assert len(outgoing(org, "not_a_reply-")) == 1
    ingest(org, reply(lena, ANSWERS))  # what is open changes: still one notice that day
    ingest(org, new_email(lena, "And one more thing"))
    assert len(outgoing(org, "not_a_reply-")) == 1

    clock.advance(timedelta(days=1))
    outcome = ingest(org, new_email(lena, "Another try"))
    assert outcome.status == "quarantined"
    assert len(outgoing(org, "not_a_reply-")) == 2


def test_with_no_check_in_open_the_notice_says_so(org: AppContext, lena: SentPrompt) -> None:
    ingest(org, reply(lena, ANSWERS))  # the open check-in is answered
    ingest(org, new_email(lena, "Also, can we move our 1-on-1?"))

    [notice] = outgoing(org, "not_a_reply-")
    text = " ".join(text_of(notice).split())
    assert "You have no check-in open right now." in text
    assert notice["Reply-To"] is None or lena.token not in str(notice["Reply-To"])
    assert notice["In-Reply-To"] is None


def test_with_two_check_ins_to_come_the_notice_picks_neither(org: AppContext) -> None:
    """A manager with a prep email for two reports: which one they meant is theirs to say."""
    org.settings.app.data_dir.mkdir(parents=True, exist_ok=True)
    first = send_prompt(org, role="manager")
    send_prompt(org, role="manager", meeting_in=timedelta(days=2))

    ingest(org, new_email(first, "Prep notes for Lena"))

    [notice] = outgoing(org, "not_a_reply-")
    assert "You have no check-in open right now." not in text_of(notice)
    assert "reply to the check-in email you meant" in " ".join(text_of(notice).split())
    assert notice["In-Reply-To"] is None


def test_strangers_and_lookalike_senders_are_not_told(org: AppContext, lena: SentPrompt) -> None:
    outcome = ingest(org, new_email(lena, sender="someone@elsewhere.example"))

    assert outcome.status == "quarantined"
    assert "told" not in (outcome.reason or "")
    assert outgoing(org, "not_a_reply-") == []


def test_a_reply_to_a_check_in_too_old_to_record_is_kept_and_its_sender_told(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """An old check-in email found and answered weeks later: nothing is recorded (the
    answers are about a time long gone), and Lena learns so rather than believing it was."""
    before = [kr.current_value for kr in key_results(org)]
    clock.advance(timedelta(days=31))

    outcome = ingest(org, reply(lena, ANSWERS))

    assert outcome.status == "quarantined"
    assert "too old to record" in (outcome.reason or "")
    assert "lena.vogel@example.com told it was not recorded" in (outcome.reason or "")
    [notice] = outgoing(org, "not_a_reply-")
    assert notice["To"].addresses[0].addr_spec == "lena.vogel@example.com"
    # (Long enough to be folded after "Subject:", which Python's parser leaves as a space.)
    subject = str(notice["Subject"]).strip()
    assert subject.startswith("Not recorded: your email of ")
    assert " answers a check-in from " in subject
    text = " ".join(text_of(notice).split())
    assert "answers the check-in email for your 1-on-1 with Ana Keller on" in text
    assert "more than 30 days ago, too long ago to record, so nothing in it was recorded" in text
    assert "is not a reply to one of your check-in emails" not in text
    assert "You have no check-in open right now." in text
    assert "KR1 4 days" not in notice.as_string()
    assert [kr.current_value for kr in key_results(org)] == before


def test_someone_else_answering_an_old_check_in_is_not_told(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=31))
    outcome = ingest(org, reply(lena, ANSWERS, sender="someone@elsewhere.example"))
    assert outcome.status == "quarantined"
    assert outgoing(org, "not_a_reply-") == []
