"""Routing by token or thread, and every defence: what is quarantined, and why, in words."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from okrmail.app import AppContext
from okrmail.clock import ManualClock
from okrmail.inbound.ingest import ingest
from okrmail.models import CheckIn, Person
from tests.inbound.conftest import SentPrompt, inbox_rows, outgoing, reply, with_settings

ANSWER = "1. KR1 4 days\n4. KR1 8"


def checkins(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return len(session.scalars(select(CheckIn)).all())


def quarantined(ctx: AppContext, raw: bytes) -> str:
    """Ingest `raw`; it must be quarantined, attach to no check-in; returns the reason."""
    outcome = ingest(ctx, raw)
    assert outcome.status == "quarantined", outcome
    row = inbox_rows(ctx)[-1]
    assert row.status == "quarantined" and row.raw == raw and row.reason
    assert checkins(ctx) == 0 and outgoing(ctx, "confirm-") == []
    return row.reason


def test_the_token_is_found_in_any_recipient_header(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    for header in ("Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        clock.advance(timedelta(minutes=1))
        headers = {header: lena.reply_address}
        raw = reply(lena, ANSWER, to="team@example.com", parent="", headers=headers)
        outcome = ingest(org, raw)
        assert outcome.status == "checkin", header
        assert f"reply token in {header}" in (outcome.reason or "")


def test_without_a_token_the_thread_routes_it(org: AppContext, lena: SentPrompt) -> None:
    outcome = ingest(org, reply(lena, ANSWER, to="checkins@example.com"))
    assert outcome.status == "checkin" and outcome.prompt_id == lena.id
    assert f"reply to our message {lena.message_id}" in (outcome.reason or "")


def test_neither_token_nor_thread_is_quarantined(org: AppContext, lena: SentPrompt) -> None:
    reason = quarantined(org, reply(lena, ANSWER, to="checkins@example.com", parent=""))
    assert reason.startswith("not a reply to a check-in: no reply token")


def test_a_forged_token_is_quarantined_even_inside_the_thread(
    org: AppContext, lena: SentPrompt
) -> None:
    forged = "checkins+" + "a" * 32 + "@example.com"
    reason = quarantined(org, reply(lena, ANSWER, to=forged))
    assert reason.startswith("unknown reply token aaaaaaaa… in To")


def test_a_wrong_sender_is_quarantined(org: AppContext, lena: SentPrompt) -> None:
    reason = quarantined(org, reply(lena, ANSWER, sender="tom.hughes@example.com"))
    assert reason.startswith("sent by tom.hughes@example.com, but this check-in was sent to")


def test_a_from_naming_several_addresses_is_quarantined(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """Each was recorded as Lena's: the sender check read her address, first of two."""
    for forged in (
        b"From: lena.vogel@example.com <mallory@evil.example>",
        b"From: lena.vogel@example.com, mallory@evil.example",
        b"From: lena.vogel@example.com\nFrom: mallory@evil.example",
    ):
        clock.advance(timedelta(minutes=1))
        raw = re.sub(rb"^From: .*$", forged, reply(lena, ANSWER), count=1, flags=re.M)
        reason = quarantined(org, raw)
        assert reason.startswith(
            "the From header names several addresses (lena.vogel@example.com, mallory@evil.example)"
        ), forged


def test_plus_addressing_case_and_aliases_are_the_same_person(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    with org.transaction() as session:
        session.execute(
            update(Person)
            .where(Person.email == lena.email)
            .values(aliases=["lena@home.example.org"])
        )
    for sender in ("Lena.Vogel+okr@Example.COM", "lena@home.example.org"):
        clock.advance(timedelta(minutes=5))
        assert ingest(org, reply(lena, ANSWER, sender=sender)).status == "checkin", sender
    assert checkins(org) == 1


def test_an_internationalised_domain_is_the_same_in_either_form(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """Clients without SMTPUTF8 send the domain as punycode: it was quarantined as a
    stranger's reply."""
    with org.transaction() as session:
        session.execute(
            update(Person)
            .where(Person.email == lena.email)
            .values(email="lena.vogel@bücher.example")
        )
    for sender in ("lena.vogel@xn--bcher-kva.example", "Lena.Vogel+okr@XN--BCHER-KVA.example"):
        clock.advance(timedelta(minutes=5))
        assert ingest(org, reply(lena, ANSWER, sender=sender)).status == "checkin", sender
    clock.advance(timedelta(minutes=5))
    stranger = reply(lena, ANSWER, sender="lena.vogel@buecher.example")
    assert ingest(org, stranger).status == "quarantined"


def test_an_internationalised_domain_is_not_mapped_onto_another() -> None:
    """IDNA 2003 (the stdlib's codec) maps "straße" to "strasse", another domain."""
    from okrmail.addresses import normalise

    assert normalise("lena@straße.example") == normalise("lena@xn--strae-oqa.example")
    assert normalise("lena@straße.example") != normalise("lena@strasse.example")


def test_mail_from_our_own_address_is_a_loop(org: AppContext, lena: SentPrompt) -> None:
    reason = quarantined(org, reply(lena, ANSWER, sender="checkins@example.com"))
    assert "mail loop" in reason


def test_a_reply_to_a_prompt_too_old_is_quarantined(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=31))
    reason = quarantined(org, reply(lena, ANSWER))
    assert "more than 30 days ago (inbound.max_prompt_age_days)" in reason
    younger = with_settings(org, inbound={"max_prompt_age_days": 60})
    assert ingest(younger, reply(lena, ANSWER)).status == "checkin"


def dmarc(authserv_id: str, result: str) -> dict[str, str]:
    return {
        "Authentication-Results": f"{authserv_id}; spf=pass smtp.mailfrom=example.com; "
        f"dkim=none; dmarc={result} (p=reject) header.from=example.com"
    }


def test_dmarc_fail_from_our_own_server_is_quarantined(org: AppContext, lena: SentPrompt) -> None:
    ours = with_settings(org, inbound={"trusted_authserv_id": "mx.example.com"})
    reason = quarantined(ours, reply(lena, ANSWER, headers=dmarc("mx.example.com", "fail")))
    assert reason.startswith("DMARC check failed for example.com at mx.example.com")


def test_dmarc_judged_on_another_domain_than_the_senders_is_quarantined(
    org: AppContext, lena: SentPrompt
) -> None:
    """Our server passed DMARC for evil.example: the From it read is not the one we did."""
    ours = with_settings(org, inbound={"trusted_authserv_id": "mx.example.com"})
    verdict = "mx.example.com; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"
    reason = quarantined(ours, reply(lena, ANSWER, headers={"Authentication-Results": verdict}))
    assert reason.startswith(
        "mx.example.com checked DMARC for evil.example, but the From address is "
        "lena.vogel@example.com"
    )
    assert ingest(ours, reply(lena, ANSWER, headers=dmarc("mx.example.com", "pass"))).status == (
        "checkin"
    )
    # The same domain, quoted (RFC 8601 allows it): a pass.
    quoted = 'mx.example.com; dmarc=pass header.from="example.com"'
    raw = reply(lena, ANSWER, headers={"Authentication-Results": quoted})
    assert ingest(ours, raw).status == "checkin"


def test_dmarc_verdicts_of_other_servers_are_ignored(org: AppContext, lena: SentPrompt) -> None:
    ours = with_settings(org, inbound={"trusted_authserv_id": "mx.example.com"})
    raw = reply(lena, ANSWER, headers=dmarc("mx.attacker.example", "fail"))
    assert ingest(ours, raw).status == "checkin"


def test_dmarc_is_not_read_unless_configured(org: AppContext, lena: SentPrompt) -> None:
    raw = reply(lena, ANSWER, headers=dmarc("mx.example.com", "fail"))
    assert ingest(org, raw).status == "checkin"


def test_a_reply_never_lands_on_someone_elses_checkin(org: AppContext, lena: SentPrompt) -> None:
    from tests.inbound.conftest import send_prompt

    tom = send_prompt(org, "tom.hughes@example.com")
    # Tom answers using Lena's token: quarantined, nothing on either check-in.
    reason = quarantined(org, reply(tom, ANSWER, to=lena.reply_address, parent=lena.message_id))
    assert "only its recipient may answer it" in reason
