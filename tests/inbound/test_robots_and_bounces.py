"""Robots are recorded as such and never read as answers; an out-of-office marks its person
away; bounces mark the prompt undeliverable and tell the admin which address failed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.inbound.assess import classify_raw
from okrmail.inbound.ingest import ingest
from okrmail.models import CheckIn, OutboxMessage, Person, Prompt
from tests.inbound.conftest import OFFLINE, SentPrompt, outgoing, reply, text_of, with_settings

ANSWER = "1. KR1 4 days\n4. KR1 8"


def person(ctx: AppContext, email: str) -> Person:
    with ctx.sessions() as session:
        found = session.scalars(select(Person).where(Person.email == email)).one()
        session.expunge(found)
        return found


def no_checkin(ctx: AppContext) -> bool:
    with ctx.sessions() as session:
        return session.scalar(select(CheckIn.id)) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; owner-email=lena@example.com"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Vacation"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "auto_reply"},
    ],
)
def test_robot_headers_make_an_auto_reply(headers: dict[str, str]) -> None:
    classification, _, _ = classify_raw(reply(OFFLINE, ANSWER, headers=headers))
    assert classification.kind == "auto-reply"
    assert classification.why.startswith(next(iter(headers)))


def test_an_auto_reply_is_recorded_and_never_read_as_answers(
    org: AppContext, lena: SentPrompt
) -> None:
    outcome = ingest(org, reply(lena, ANSWER, headers={"Precedence": "auto_reply"}))
    assert outcome.status == "auto-reply"
    assert outcome.reason == "auto-reply (Precedence: auto_reply); not read as an answer"
    assert no_checkin(org) and outgoing(org, "confirm-") == []


def test_auto_submitted_no_and_outlooks_suppress_header_are_a_person(
    org: AppContext, lena: SentPrompt
) -> None:
    headers = {"Auto-Submitted": "no", "X-Auto-Response-Suppress": "All"}
    assert ingest(org, reply(lena, ANSWER, headers=headers)).status == "checkin"


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Weekly check-in",
        "Automatic reply: Weekly check-in",
        "Abwesenheitsnotiz: Weekly check-in",
        "Réponse automatique : Weekly check-in",
        "Respuesta automática: Weekly check-in",
        "Fuori sede: Weekly check-in",
        "Automatisch antwoord: Weekly check-in",
        "Resposta automática: Weekly check-in",
        "Automatiskt svar: Weekly check-in",
        "Autosvar: Weekly check-in",
        "Automatisk svar: Weekly check-in",
        "Odpowiedź automatyczna: Weekly check-in",
        "Автоответ: Weekly check-in",
        "自動応答: Weekly check-in",
        # These were read as answers (and the prompt marked answered).
        "自动回复: Weekly check-in",
        "自動回覆: Weekly check-in",
        "자동 회신: Weekly check-in",
        "Otomatik yanıt: Weekly check-in",
        "Automatická odpověď: Weekly check-in",
        "Automaattinen vastaus: Weekly check-in",
        "Automatikus válasz: Weekly check-in",
        "Αυτόματη απάντηση: Weekly check-in",
        "Автовідповідь: Weekly check-in",
        "Răspuns automat: Weekly check-in",
        "Ausser Haus: Weekly check-in",
        "Vacation: Weekly check-in",
        "Away: back on Monday",
    ],
)
def test_out_of_office_subjects_in_many_languages(subject: str) -> None:
    classification, _, _ = classify_raw(reply(OFFLINE, "I'm away.", subject=subject))
    assert classification.kind == "auto-reply", subject


@pytest.mark.parametrize(
    "subject",
    ["Re: Weekly check-in", "Re: Out of office next week?", "Weekly check-in: away on Friday"],
)
def test_people_writing_about_absence_are_not_robots(subject: str) -> None:
    text = "1. On track. I'm on vacation from Friday, back on 30 November."
    classification, _, _ = classify_raw(reply(OFFLINE, text, subject=subject))
    assert classification.kind == "reply"


def test_out_of_office_marks_the_person_away_until_the_date_it_names(
    org: AppContext, lena: SentPrompt
) -> None:
    raw = reply(
        lena,
        "I am out of the office until 27 November with limited access to email.",
        subject="Automatic reply: Weekly check-in",
        to="checkins@example.com",
    )
    outcome = ingest(org, raw)
    assert outcome.status == "auto-reply"
    # Back the morning after the 27th, in Lena's own zone (Berlin, UTC+1).
    assert person(org, lena.email).away_until == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert "not chased until 2026-11-28 00:00 (Europe/Berlin)" in (outcome.reason or "")
    assert no_checkin(org)


def test_out_of_office_without_a_date_marks_away_for_the_default_days(
    org: AppContext, lena: SentPrompt
) -> None:
    outcome = ingest(
        org, reply(lena, "I'm on holiday.", headers={"Auto-Submitted": "auto-replied"})
    )
    assert outcome.status == "auto-reply"
    assert person(org, lena.email).away_until == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def test_an_auto_reply_that_is_no_absence_marks_nobody(org: AppContext, lena: SentPrompt) -> None:
    raw = reply(lena, "We received your request #1234.", headers={"Auto-Submitted": "auto-replied"})
    assert ingest(org, raw).status == "auto-reply"
    assert person(org, lena.email).away_until is None


# -- bounces ------------------------------------------------------------------------------


def dsn(lena: SentPrompt, *, action: str = "failed", status: str = "5.1.1") -> bytes:
    """An RFC 3464 delivery status notification about the prompt sent to Lena."""
    return f"""\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: checkins@example.com
Subject: Undelivered Mail Returned to Sender
Date: Mon, 16 Nov 2026 12:00:00 +0000
Message-ID: <dsn-{action}@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

--BOUND
Content-Type: text/plain

This is the mail system at host mx.example.com. Your message could not be delivered.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; {lena.email}
Original-Recipient: rfc822;{lena.email}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <{lena.email}>: Recipient address rejected: User unknown

--BOUND
Content-Type: text/rfc822-headers

From: okrmail <checkins@example.com>
To: {lena.name} <{lena.email}>
Subject: {lena.subject}
Message-ID: {lena.message_id}

--BOUND--
""".replace("\n", "\r\n").encode()


def qmail_bounce(lena: SentPrompt) -> bytes:
    """qmail's non-standard bounce: plain text, the original message quoted below a line."""
    return f"""\
Return-Path: <>
From: MAILER-DAEMON@mx.example.net
To: checkins@example.com
Subject: failure notice
Date: Mon, 16 Nov 2026 12:00:00 +0000
Message-ID: <qmail-1@mx.example.net>

Hi. This is the qmail-send program at mx.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{lena.email}>:
192.0.2.1 does not like recipient.
Remote host said: 550 5.1.1 <{lena.email}>: Recipient address rejected: User unknown
Giving up on 192.0.2.1.

--- Below this line is a copy of the message.

From: okrmail <checkins@example.com>
To: {lena.name} <{lena.email}>
Subject: {lena.subject}
Message-ID: {lena.message_id}

Hi Lena,
""".encode()


@pytest.mark.parametrize("make", [dsn, qmail_bounce], ids=["rfc3464", "qmail"])
def test_a_bounce_marks_the_prompt_undeliverable_and_tells_the_admin(
    org: AppContext, lena: SentPrompt, make: object
) -> None:
    ctx = with_settings(org, app={"admin_email": "it@example.com"})
    outcome = ingest(ctx, make(lena))  # type: ignore[operator]

    assert outcome.status == "bounce" and outcome.prompt_id == lena.id
    assert f"delivery to {lena.email} failed for good" in (outcome.reason or "")
    assert "it@example.com told" in (outcome.reason or "")
    with ctx.sessions() as session:
        assert session.get(Prompt, lena.id).status == "undeliverable"  # type: ignore[union-attr]
    [notice] = outgoing(ctx, "bounce-")
    assert notice["To"].addresses[0].addr_spec == "it@example.com"
    assert lena.email in str(notice["Subject"])
    assert "User unknown" in text_of(notice) and "Lena Vogel" in text_of(notice)
    assert no_checkin(ctx)


@pytest.mark.parametrize(
    ("admin", "when"),
    [
        # Not one of our people: the time where the person whose email bounced is.
        ("it@example.com", "Tue 17 Nov 2026 07:00 (Europe/Berlin)"),
        # One of our people: the time where the admin is.
        ("marcus.reed@example.com", "Tue 17 Nov 2026 01:00 (America/New_York)"),
    ],
)
def test_the_bounce_notice_names_the_zone_of_the_meeting_time(
    org: AppContext, lena: SentPrompt, admin: str, when: str
) -> None:
    """The notice said "before their 1-on-1 on Tue 17 Nov 2026 07:00": in no zone named,
    Lena's (Berlin), read by an admin who may be anywhere."""
    ctx = with_settings(org, app={"admin_email": admin})
    assert ingest(ctx, dsn(lena)).status == "bounce"

    [notice] = outgoing(ctx, "bounce-")
    said = f"It was for Lena Vogel <{lena.email}>, before their 1-on-1 on {when}."
    assert said in " ".join(text_of(notice).split())
    html = notice.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"before their 1-on-1 on {when}." in " ".join(html.split())


def test_a_bounce_of_another_email_of_ours_marks_no_prompt(
    org: AppContext, lena: SentPrompt
) -> None:
    """The report names our digest to Lena: her prompt, sent and delivered, was marked
    undeliverable (the latest prompt of the person with that address), and she was no
    longer chased."""
    ctx = with_settings(org, app={"admin_email": "it@example.com"})
    digest_id = "<digest-7-1@okrmail.example.com>"
    with ctx.transaction() as session:
        session.add(
            OutboxMessage(
                message_id=digest_id, kind="digest", prompt_id=None, recipient=lena.email,
                subject="Before your 1-on-1", raw=b"", status="sent",
                next_attempt_at=ctx.now(), created_at=ctx.now(), sent_at=ctx.now(),
            )
        )  # fmt: skip
    outcome = ingest(ctx, dsn(lena).replace(lena.message_id.encode(), digest_id.encode()))

    assert outcome.status == "bounce" and outcome.prompt_id is None
    assert f"our digest email to {lena.email}, no check-in" in (outcome.reason or "")
    with ctx.sessions() as session:
        assert session.get(Prompt, lena.id).status == "sent"  # type: ignore[union-attr]
    [notice] = outgoing(ctx, "bounce-")
    assert str(notice["Subject"]) == f"Undeliverable: email (the digest) to {lena.email}"
    assert "No check-in is marked" in text_of(notice)


def test_a_bounce_of_mail_we_never_sent_tells_nobody(org: AppContext, lena: SentPrompt) -> None:
    """Backscatter: spam sent with our address as its sender bounced back to us. The admin
    was told a check-in email could not be delivered, for every address the spam used."""
    ctx = with_settings(org, app={"admin_email": "it@example.com"})
    stranger = "pharma-buyer@victim.example"
    raw = (
        dsn(lena)
        .replace(lena.message_id.encode(), b"<spam-0@botnet.example>")
        .replace(lena.email.encode(), stranger.encode())
    )
    outcome = ingest(ctx, raw)

    assert outcome.status == "bounce" and outcome.prompt_id is None
    assert f"not about mail we sent to {stranger}: nobody told" in (outcome.reason or "")
    assert outgoing(ctx, "bounce-") == []


def test_the_admin_hears_once_per_failed_address(org: AppContext, lena: SentPrompt) -> None:
    ctx = with_settings(org, app={"admin_email": "it@example.com"})
    ingest(ctx, dsn(lena))
    second = ingest(ctx, qmail_bounce(lena))
    assert second.status == "bounce" and "told" not in (second.reason or "")
    assert len(outgoing(ctx, "bounce-")) == 1


def test_a_delay_report_changes_nothing(org: AppContext, lena: SentPrompt) -> None:
    outcome = ingest(org, dsn(lena, action="delayed", status="4.4.1"))
    assert outcome.status == "bounce" and "delayed" in (outcome.reason or "")
    with org.sessions() as session:
        assert session.get(Prompt, lena.id).status == "sent"  # type: ignore[union-attr]


def test_classify_names_the_failed_address() -> None:
    classification, _, _ = classify_raw(dsn(OFFLINE))
    assert classification.describe() == f"bounce {OFFLINE.email}"
