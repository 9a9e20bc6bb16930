"""Fetching from a real IMAP server (Dovecot) and from a Maildir; the tick's fetch job.

Replies travel the way they do in production: a mail client hands them to an SMTP server
(aiosmtpd on loopback), which delivers them into the IMAP mailbox; okrmail's imap
receiver reads them, the ledger keeps track, and they end up as check-ins.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.errors import ConnectorError
from connectors.mail.imap import ImapConfig, ImapReceiver
from connectors.mail.inbound import KnownKeys, MailKey, ReceiverDeps
from okrmail.app import AppContext
from okrmail.clock import ManualClock
from okrmail.inbound.fetching import RECEIVER_CONFIGS, build_receiver, run_fetch
from okrmail.models import CheckIn, PeriodicTask
from okrmail.tick import tick
from tests.inbound.conftest import (
    Dovecot,
    ImapDelivery,
    SentPrompt,
    imap_settings,
    inbox_rows,
    outgoing,
    reply,
    send_prompt,
    with_settings,
)
from workers.dispatch import InlineDispatcher

ANSWER = "1. KR1 4 days, KR2 38, KR3 12\n4. KR1 8, KR2 6, KR3 5"


def send_over_smtp(port: int, sender: str, recipient: str, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [recipient], raw)


def statuses(ctx: AppContext) -> list[str]:
    return [row.status for row in inbox_rows(ctx)]


def test_replies_sent_over_smtp_end_up_as_checkins(
    org: AppContext,
    lena: SentPrompt,
    dovecot: Dovecot,
    mailbox_user: str,
    smtp_to_imap: tuple[int, ImapDelivery],
) -> None:
    port, delivery = smtp_to_imap
    ctx = with_settings(org, inbound=imap_settings(dovecot, mailbox_user))
    tom = send_prompt(ctx, "tom.hughes@example.com")
    send_over_smtp(port, lena.email, lena.reply_address, reply(lena, ANSWER))
    send_over_smtp(port, tom.email, tom.reply_address, reply(tom, "1. KR1 12, KR2 300k"))
    assert delivery.delivered == 2

    report = run_fetch(ctx)

    assert report.error is None and statuses(ctx) == ["checkin", "checkin"]
    with ctx.sessions() as session:
        assert len(session.scalars(select(CheckIn)).all()) == 2
    assert [str(m["To"]) for m in outgoing(ctx, "confirm-")] == [
        f"{lena.name} <{lena.email}>",
        f"{tom.name} <{tom.email}>",
    ]
    row = inbox_rows(ctx)[0]
    assert (row.source, row.account, row.folder) == (
        "imap",
        build_receiver(ctx.settings).account,
        "INBOX",
    )
    assert row.uidvalidity == dovecot.uidvalidity(mailbox_user, "INBOX") and row.uid == "1"
    # Stored, then moved out of the way.
    assert dovecot.count(mailbox_user, "INBOX") == 0
    assert dovecot.count(mailbox_user, "okrmail-processed") == 2
    assert str(run_fetch(ctx)) == "fetched 0 message(s)"


def test_left_in_place_nothing_is_read_twice(
    org: AppContext, lena: SentPrompt, dovecot: Dovecot, mailbox_user: str, clock: ManualClock
) -> None:
    ctx = with_settings(org, inbound=imap_settings(dovecot, mailbox_user, processed_folder=""))
    dovecot.append(mailbox_user, reply(lena, ANSWER))
    dovecot.append(mailbox_user, reply(lena, "2. The vendor is late."))
    assert len(run_fetch(ctx).outcomes) == 2

    assert run_fetch(ctx).outcomes == []
    clock.advance(timedelta(minutes=5))
    dovecot.append(mailbox_user, reply(lena, "3. Escalate."))
    assert [o.status for o in run_fetch(ctx).outcomes] == ["checkin"]
    assert dovecot.count(mailbox_user, "INBOX") == 3  # all still there
    assert len(inbox_rows(ctx)) == 3


def test_a_new_uidvalidity_rereads_the_folder_without_duplicates(
    org: AppContext, lena: SentPrompt, dovecot: Dovecot, mailbox_user: str
) -> None:
    settings = imap_settings(dovecot, mailbox_user, folder="Replies", processed_folder="")
    ctx = with_settings(org, inbound=settings)
    first, second = reply(lena, ANSWER), reply(lena, "2. The vendor is late.")
    for raw in (first, second):
        dovecot.append(mailbox_user, raw, "Replies")
    run_fetch(ctx)
    before = dovecot.uidvalidity(mailbox_user, "Replies")

    dovecot.recreate(mailbox_user, "Replies")
    for raw in (first, second, reply(lena, "3. Escalate.")):
        dovecot.append(mailbox_user, raw, "Replies")
    assert dovecot.uidvalidity(mailbox_user, "Replies") != before
    outcomes = run_fetch(ctx).outcomes

    assert [o.duplicate for o in outcomes] == [True, True, False]
    rows = inbox_rows(ctx)
    assert len(rows) == 3 and rows[2].uidvalidity != before
    assert run_fetch(ctx).outcomes == []  # the duplicates are marked too: not read again


class MoveFails:
    """The real IMAP receiver, except that moving fails: a crash after the store."""

    def __init__(self, ctx: AppContext) -> None:
        self.inner = build_receiver(ctx.settings)
        self.name, self.account = self.inner.name, self.inner.account

    def fetch(self, known: KnownKeys, limit: int) -> Iterator[tuple[MailKey, bytes]]:
        return self.inner.fetch(known, limit)

    def mark_processed(self, key: MailKey) -> None:
        raise ConnectorError("connection reset")

    def close(self) -> None:
        self.inner.close()


def test_a_crash_between_store_and_move_loses_and_repeats_nothing(
    org: AppContext, lena: SentPrompt, dovecot: Dovecot, mailbox_user: str
) -> None:
    ctx = with_settings(org, inbound=imap_settings(dovecot, mailbox_user))
    dovecot.append(mailbox_user, reply(lena, ANSWER))
    report = run_fetch(ctx, MoveFails(ctx))
    assert report.error == "connection reset" and statuses(ctx) == ["checkin"]
    assert dovecot.count(mailbox_user, "INBOX") == 1

    assert run_fetch(ctx).outcomes == []  # recognised by the ledger, not downloaded again
    assert dovecot.count(mailbox_user, "INBOX") == 0
    assert len(inbox_rows(ctx)) == 1 and len(outgoing(ctx, "confirm-")) == 1


def test_a_wrong_password_is_reported_on_the_fetch_row(
    org: AppContext, dovecot: Dovecot, mailbox_user: str
) -> None:
    settings = imap_settings(dovecot, mailbox_user)
    settings["imap"]["password"] = "wrong"
    ctx = with_settings(org, inbound=settings)
    report = tick(ctx, InlineDispatcher(ctx))
    assert report.dispatched.get("fetch_mail") == 1
    with ctx.sessions() as session:
        fetch = session.scalars(select(PeriodicTask).where(PeriodicTask.name == "fetch-mail")).one()
    assert "login" in (fetch.last_error or "") and "failed" in (fetch.last_error or "")
    assert fetch.claim_expires_at is None


def test_the_maildir_receiver_and_the_tick(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """The embedded default: an MTA delivers into data/inbox; the tick fetches at most once
    per interval, and processed mail moves to the .processed subfolder."""
    import mailbox

    folder = org.settings.data_path(org.settings.inbound.maildir)
    box = mailbox.Maildir(folder, create=True)
    box.add(reply(lena, ANSWER))
    dispatcher = InlineDispatcher(org)

    assert tick(org, dispatcher).dispatched.get("fetch_mail") == 1
    assert statuses(org) == ["checkin"]
    assert box.keys() == [] and len(mailbox.Maildir(folder / ".processed").keys()) == 1

    box.add(reply(lena, "2. Vendor late."))
    clock.advance(timedelta(seconds=30))
    assert "fetch_mail" not in tick(org, dispatcher).dispatched  # not due yet
    clock.advance(timedelta(seconds=31))
    assert tick(org, dispatcher).dispatched.get("fetch_mail") == 1
    assert statuses(org) == ["checkin", "checkin"]


def test_with_mail_piped_in_the_tick_still_processes_what_was_stored_but_not_processed(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """No provider to fetch from (`okrmail ingest` under an MTA): a message stored by a
    process that died before processing it stayed `received` for good."""
    from okrmail.inbound.ingest import Incoming, store

    piped = with_settings(org, inbound={"provider": "none"})
    store(piped, [Incoming(reply(lena, ANSWER), "stdin")])  # then the process died
    clock.advance(timedelta(minutes=10))
    assert tick(piped, InlineDispatcher(piped)).dispatched.get("fetch_mail") == 1
    assert statuses(piped) == ["checkin"]


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_imap_over_tls_and_starttls(
    org: AppContext, lena: SentPrompt, dovecot: Dovecot, mailbox_user: str, security: str
) -> None:
    if dovecot.certificate is None:
        pytest.skip("openssl is not installed: no certificate for the TLS test server")
    port = dovecot.tls_port if security == "tls" else dovecot.port
    settings = imap_settings(dovecot, mailbox_user, security=security, port=port)
    ctx = with_settings(org, inbound=settings)
    trusting = ssl.create_default_context(cafile=str(dovecot.certificate))
    config = RECEIVER_CONFIGS["imap"](ctx.settings)
    receiver = ImapReceiver(ReceiverDeps(config), ssl_context=trusting)
    dovecot.append(mailbox_user, reply(lena, ANSWER))

    assert [o.status for o in run_fetch(ctx, receiver).outcomes] == ["checkin"]


def test_an_untrusted_certificate_is_refused(
    org: AppContext, dovecot: Dovecot, mailbox_user: str
) -> None:
    if dovecot.certificate is None:
        pytest.skip("openssl is not installed: no certificate for the TLS test server")
    settings = imap_settings(dovecot, mailbox_user, security="tls", port=dovecot.tls_port)
    report = run_fetch(with_settings(org, inbound=settings))  # the system's CAs only
    assert report.error is not None and "CERTIFICATE_VERIFY_FAILED" in report.error


@pytest.mark.parametrize("uid_last", [False, True], ids=["uid-first", "uid-last"])
def test_a_body_is_found_whichever_order_the_server_sends_the_fetch_items_in(
    uid_last: bool,
) -> None:
    """RFC 3501 leaves the order of FETCH items to the server. Dovecot sends the UID
    first; servers that send it after the body had their messages skipped, every fetch,
    without an error. The data is what imaplib returns for each order."""
    raw = b"From: lena.vogel@example.com\r\nMessage-ID: <r1@x>\r\n\r\n1. KR1 4 days\r\n"
    size = len(raw)
    if uid_last:  # * 1 FETCH (BODY[] {N}\r\n<raw> UID 7)
        data: list[object] = [(b"1 (BODY[] {%d}" % size, raw), b" UID 7)"]
    else:  # * 1 FETCH (UID 7 BODY[] {N}\r\n<raw>)
        data = [(b"1 (UID 7 BODY[] {%d}" % size, raw), b")"]

    class Connection:
        def uid(self, *_: object) -> tuple[str, list[object]]:
            return "OK", data

    receiver = ImapReceiver(ReceiverDeps(ImapConfig(host="imap.example.com")))
    receiver._connection = Connection()  # type: ignore[assignment]
    receiver._uidvalidity = 1
    key = MailKey(receiver.account, "INBOX", 1, "7")
    assert receiver._fetch_bodies([key]) == [(key, raw)]
