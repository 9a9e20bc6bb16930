"""Property: whatever bytes arrive, ingest stores them, gives them a status, and (when it
quarantines them) a reason. No exception escapes; nothing stays `received`."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.inbound.ingest import ingest
from okrmail.models import InboxMessage
from okrmail.models.inbound import INBOX_STATUSES
from tests.inbound.conftest import SentPrompt

HEADER_NAMES = [
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Content-Type", "Content-Transfer-Encoding", "MIME-Version", "Auto-Submitted",
    "Precedence", "X-Autoreply", "Authentication-Results", "Return-Path",
    "X-Failed-Recipients", "Delivered-To", "Content-Disposition", "Reply-To",
]  # fmt: skip
TRICKY_VALUES = [
    "", "<>", "<", ">", "\"", "=?utf-8?B?////?=", "=?bogus-charset?Q?=ZZ=?=", "=?utf-8?Q?",
    "multipart/mixed", "multipart/mixed; boundary=", "multipart/alternative; boundary=\"b\"",
    "multipart/report; report-type=delivery-status; boundary=b", "message/rfc822",
    "text/plain; charset=\"utf-7\"", "text/plain; charset=no-such", "text/html; charset=latin1",
    "base64", "quoted-printable", "x-uuencode", "8bit", "auto-replied", "bulk", "no",
    "a@b@c", "Lena <lena.vogel@example.com>", "\"weird\\\" name\" <@example.com>",
    "mx.example.com; dmarc=fail header.from=example.com", "Mon, 99 Foo 20xx 25:61:61 +9999",
    "<" + "x" * 400 + "@example.com>", "(comment (nested (deeply)))", "group: a@b, c@d;",
]  # fmt: skip

texts = st.text(max_size=60).map(lambda text: text.replace("\r", "").replace("\n", " "))
latin = st.binary(max_size=40).map(lambda data: data.replace(b"\n", b" ").decode("latin-1"))
values = st.one_of(st.sampled_from(TRICKY_VALUES), texts, latin)


@st.composite
def headers(draw: st.DrawFn, token_address: str) -> list[bytes]:
    names = st.one_of(
        st.sampled_from(HEADER_NAMES), st.from_regex(r"[A-Za-z-]{1,12}", fullmatch=True)
    )
    pairs = draw(st.lists(st.tuples(names, values), max_size=10))
    if draw(st.booleans()):
        pairs.append(("To", token_address))
    if draw(st.booleans()):
        pairs.append(("From", "Lena Vogel <lena.vogel@example.com>"))
    lines = []
    for name, value in pairs:
        fold = "\r\n " if draw(st.booleans()) and len(value) > 10 else ""
        lines.append(f"{name}: {value[:10]}{fold}{value[10:]}".encode("utf-8", "surrogateescape"))
    return lines


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    simple = st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [b"1. KR1 60%\r\n2. blocked\r\n4. KR1 8\r\n", b"=\r\n=ZZ=4", b"!!!!\r\n====", b""]
        ),
    )
    if not draw(st.booleans()):
        return draw(simple)
    boundary = draw(st.sampled_from([b"b", b"", b"--", b"x" * 80]))
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        part_headers = draw(
            st.lists(st.tuples(st.sampled_from(HEADER_NAMES[8:11]), values), max_size=3)
        )
        head = b"\r\n".join(
            f"{name}: {value}".encode("utf-8", "surrogateescape") for name, value in part_headers
        )
        parts.append(b"--" + boundary + b"\r\n" + head + b"\r\n\r\n" + draw(simple))
    closing = b"--" + boundary + b"--\r\n" if draw(st.booleans()) else b""
    return b"preamble\r\n" + b"\r\n".join(parts) + b"\r\n" + closing


@st.composite
def messages(draw: st.DrawFn, token_address: str) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))  # not even an attempt at a message
    head = draw(headers(token_address))
    separator = draw(st.sampled_from([b"\r\n", b"\n"]))
    blank = separator * 2 if draw(st.integers(0, 5)) else separator
    return separator.join(head) + blank + draw(bodies())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_exception_escapes_and_every_message_ends_with_a_status(
    org: AppContext, lena: SentPrompt, data: st.DataObject
) -> None:
    raw = data.draw(messages(lena.reply_address))
    outcome = ingest(org, raw)

    with org.sessions() as session:
        row = session.get(InboxMessage, outcome.inbox_id)
        assert row is not None
        if not outcome.duplicate:
            assert row.raw == raw
        assert row.status in INBOX_STATUSES and row.status != "received"
        if row.status == "quarantined":
            assert row.reason
        # Our own steps cope with anything: nothing ends in the catch-all for crashes.
        assert not (row.reason or "").startswith("could not be processed"), row.reason
        stuck = session.scalars(select(InboxMessage).where(InboxMessage.status == "received"))
        assert stuck.all() == []
