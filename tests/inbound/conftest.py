"""Fixtures for mail in: a sent prompt to reply to, replies built like a mail client's, and a
private Dovecot IMAP server fed by a loopback SMTP server.

Dovecot is started once per test session with its own config in a temporary folder, on a
free loopback port, with a static password database (any user name logs in with
"secret" and gets its own Maildir), so each test uses its own mailbox.
"""

from __future__ import annotations

import contextlib
import imaplib
import mailbox
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.db import make_engine, upgrade
from okrmail.models import (
    Base,
    InboxMessage,
    Meeting,
    OutboxMessage,
    Pairing,
    Person,
    Prompt,
    Series,
)
from okrmail.prompting import new_token, send_prompts
from okrmail.settings import Settings
from tests.conftest import free_port, service_missing

LENA = "lena.vogel@example.com"
PASSWORD = "secret"


# -- the databases, migrated once ----------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy (a file copy takes a
    millisecond, a migration half a second, and these tests are many)."""
    path = tmp_path_factory.mktemp("template") / "okrmail.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """As tests/conftest.py's database_url (SQLite and PostgreSQL), only faster: SQLite is
    copied from the template, and PostgreSQL emptied with DELETE, which on tables this small
    takes milliseconds where TRUNCATE takes a third of a second. Ids are not reset."""
    if request.param == "sqlite":
        target = tmp_path / "okrmail.db"
        shutil.copyfile(sqlite_template, target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("postgres_database")
    if url.startswith("unavailable:"):
        service_missing("PostgreSQL", Exception(url.removeprefix("unavailable:")))
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    yield url


# -- the app, a sent prompt, and replies to it ---------------------------------------------


def with_settings(ctx: AppContext, **sections: dict[str, Any]) -> AppContext:
    """Another AppContext on the same database and clock, with some settings changed."""
    merged = ctx.settings.model_dump()
    for section, values in sections.items():
        merged[section] = {**merged[section], **values}
    return AppContext(Settings.model_validate(merged), clock=ctx.clock, engine=ctx.engine)


@dataclass(frozen=True)
class SentPrompt:
    id: int
    token: str
    message_id: str
    email: str
    name: str
    subject: str
    text: str  # the prompt's plain-text part, as the person's client would quote it
    reply_address: str


def send_prompt(
    ctx: AppContext,
    email: str = LENA,
    meeting_in: timedelta = timedelta(days=1),
    role: str = "report",
) -> SentPrompt:
    """A prompt for `email`'s pairing, for a meeting `meeting_in` from now, really sent to
    the report (`email`) or, with `role="manager"`, to their manager."""
    now = ctx.now()
    with ctx.transaction() as session:
        report = session.scalars(select(Person).where(Person.email == email)).one()
        pairing = session.scalars(select(Pairing).where(Pairing.report_id == report.id)).one()
        person = report if role == "report" else pairing.manager
        start = now + meeting_in
        series = Series(
            pairing=pairing,
            provider="local",
            calendar_id=pairing.manager.email,
            uid=uuid.uuid4().hex,
            rrule="FREQ=WEEKLY",
            timezone=person.timezone,
            local_start=start.time(),
            first_start=start,
            duration_minutes=30,
            status="active",
            expanded_until=start,
        )
        meeting = Meeting(
            series=series,
            original_start=start,
            start=start,
            end=start + timedelta(minutes=30),
            status="scheduled",
        )
        prompt = Prompt(
            meeting=meeting,
            person_id=person.id,
            role=role,
            question_set=pairing.question_set,
            token=new_token(),
            send_at=now,
            status="pending",
        )
        session.add_all([series, meeting, prompt])
        session.flush()
        prompt_id = prompt.id
    send_prompts(ctx, [prompt_id])
    with ctx.sessions() as session:
        prompt = session.get(Prompt, prompt_id)
        assert prompt is not None and prompt.status == "sent"
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.message_id == prompt.message_id)
        ).one()
        sent = message_from_bytes(row.raw, policy=policy.default)
        text = sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        return SentPrompt(
            id=prompt.id,
            token=prompt.token,
            message_id=str(prompt.message_id),
            email=prompt.person.email,
            name=prompt.person.name,
            subject=str(sent["Subject"]),
            text=text,
            reply_address=ctx.settings.mail.reply_address.format(token=prompt.token),
        )


def reply(
    sent: SentPrompt,
    text: str,
    *,
    sender: str | None = None,
    to: str | None = None,
    subject: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    parent: str | None = None,
    date: datetime | None = None,
    quote: str | None = None,
    outlook: bool = False,
) -> bytes:
    """A reply as a mail client writes it: our text, then the quoted email it answers
    (with Outlook: under a From/Sent/To/Subject block, without quote marks)."""
    message = EmailMessage()
    message["From"] = f"{sent.name} <{sender or sent.email}>"
    message["To"] = to if to is not None else f"okrmail <{sent.reply_address}>"
    message["Subject"] = subject if subject is not None else f"Re: {sent.subject}"
    if date is not None:
        message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.org")
    parent = parent if parent is not None else sent.message_id
    if parent:
        message["In-Reply-To"] = parent
        message["References"] = parent
    for name, value in (headers or {}).items():
        message[name] = value
    history = quote or sent.text
    if outlook:
        header = (
            "________________________________\nFrom: okrmail <checkins@example.com>\n"
            f"Sent: Monday, November 16, 2026 9:00 AM\nTo: {sent.name} <{sent.email}>\n"
            f"Subject: {sent.subject}\n"
        )
        message.set_content(f"{text}\n\n{header}\n{history}\n")
    else:
        quoted = "\n".join(f"> {line}" for line in history.splitlines())
        attribution = "On Mon, 16 Nov 2026 at 09:00, okrmail wrote:"
        message.set_content(f"{text}\n\n{attribution}\n\n{quoted}\n")
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as clients send it


def inbox_rows(ctx: AppContext) -> list[InboxMessage]:
    with ctx.sessions() as session:
        return list(session.scalars(select(InboxMessage).order_by(InboxMessage.id)))


def outgoing(ctx: AppContext, prefix: str) -> list[EmailMessage]:
    """Messages delivered to the outbound Maildir whose Message-ID starts with <prefix."""
    box = mailbox.Maildir(ctx.settings.data_path(ctx.settings.mail.maildir), create=True)
    found = [
        message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.iterkeys()
    ]
    return sorted(
        (m for m in found if str(m["Message-ID"]).startswith(f"<{prefix}")),  # type: ignore[misc]
        key=lambda m: str(m["Message-ID"]),
    )


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


# For tests that only classify: a prompt as sent, without a database.
OFFLINE = SentPrompt(
    id=0,
    token="t" * 32,
    message_id="<prompt-0-tttttttttttt@okrmail.example.com>",
    email=LENA,
    name="Lena Vogel",
    subject="Weekly check-in before your 1-on-1 with Ana Keller (Tue 17 Nov)",
    text="Hi Lena,\n\nYour 1-on-1 with Ana Keller is on Tuesday 17 November 2026.\n",
    reply_address=f"checkins+{'t' * 32}@example.com",
)


@pytest.fixture
def lena(org: AppContext) -> SentPrompt:
    org.settings.app.data_dir.mkdir(parents=True, exist_ok=True)  # the Maildirs' parent
    return send_prompt(org)


# -- Dovecot --------------------------------------------------------------------------------

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
ssl = {ssl}
{ssl_files}
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
mail_location = maildir:{tmp}/mail/%u
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={tmp}/mail/%u
}}
log_path = {tmp}/dovecot.log
"""


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int  # plain IMAP, STARTTLS offered when `certificate` is set
    folder: Path
    tls_port: int  # IMAP over TLS (listening only when `certificate` is set)
    certificate: Path | None  # the server's self-signed certificate, to trust in tests

    def connect(self, user: str) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        connection.login(user, PASSWORD)
        return connection

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        connection = self.connect(user)
        try:
            connection.create(folder)
            status, _ = connection.append(folder, None, None, raw)
            assert status == "OK"
        finally:
            connection.logout()

    def count(self, user: str, folder: str) -> int:
        connection = self.connect(user)
        try:
            status, data = connection.select(folder, readonly=True)
            return int(data[0]) if status == "OK" else 0  # type: ignore[arg-type]
        finally:
            connection.logout()

    def recreate(self, user: str, folder: str) -> None:
        """Delete and create `folder` again: it comes back empty with a new UIDVALIDITY, as
        after a server rebuild, so every UID stored for it now names nothing."""
        connection = self.connect(user)
        try:
            assert connection.delete(folder)[0] == "OK"
            assert connection.create(folder)[0] == "OK"
        finally:
            connection.logout()

    def uidvalidity(self, user: str, folder: str) -> int:
        connection = self.connect(user)
        try:
            connection.select(folder, readonly=True)
            return int(connection.response("UIDVALIDITY")[1][0])  # type: ignore[arg-type]
        finally:
            connection.logout()


def _dovecot_binary() -> str | None:
    return shutil.which("dovecot", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    binary = _dovecot_binary()
    if binary is None:
        service_missing(
            "Dovecot", Exception("dovecot is not installed (scripts/install-test-deps.sh)")
        )
    assert binary is not None
    # Outside pytest's 0700 tmp tree: the dovecot user must be able to reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="okrmail-dovecot-"))
    folder.chmod(0o755)
    (folder / "mail").mkdir()
    shutil.chown(folder / "mail", "dovecot", "dovecot")
    port, tls_port = free_port(), free_port()
    certificate = _self_signed(folder)
    ssl_files = f"ssl_cert = <{certificate}\nssl_key = <{folder / 'key.pem'}" if certificate else ""
    config = folder / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            tmp=folder,
            port=port,
            tls_port=tls_port,
            password=PASSWORD,
            ssl="yes" if certificate else "no",
            ssl_files=ssl_files,
        )
    )
    # In the foreground (-F), as our own child: stopped by its pid, never left behind as a
    # daemon holding our pipes; its output goes to a file, not to a pipe nobody drains.
    with (folder / "master.out").open("wb") as output:
        server = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_port(port, server)
        yield Dovecot("127.0.0.1", port, folder, tls_port, certificate)
    except RuntimeError as error:
        service_missing("Dovecot", error)
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _self_signed(folder: Path) -> Path | None:
    """A certificate for 127.0.0.1 made with openssl, or None without openssl (then the
    TLS tests skip and the server speaks plain IMAP only)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    certificate = folder / "cert.pem"
    made = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(certificate),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        capture_output=True,
    )
    return certificate if made.returncode == 0 else None


def _wait_for_port(port: int, server: subprocess.Popen[bytes], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"dovecot exited with status {server.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on port {port} within {seconds} s")


@pytest.fixture
def mailbox_user() -> str:
    """A fresh IMAP user: its own, empty Maildir on the shared Dovecot."""
    return f"checkins-{uuid.uuid4().hex[:10]}"


def imap_settings(dovecot: Dovecot, user: str, **extra: Any) -> dict[str, Any]:
    imap = {
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "none",
        "username": user,
        "password": PASSWORD,
        "folder": "INBOX",
        "processed_folder": "okrmail-processed",
        "timeout_seconds": 10,
        **extra,
    }
    return {"provider": "imap", "imap": imap}


class ImapDelivery:
    """An SMTP handler that delivers every message into one IMAP mailbox, as an MTA and
    its local delivery agent would (adding Return-Path and Delivered-To)."""

    def __init__(self, dovecot: Dovecot, user: str) -> None:
        self.dovecot = dovecot
        self.user = user
        self.delivered = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        trace = f"Return-Path: <{envelope.mail_from}>\r\n"
        trace += "".join(f"Delivered-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        self.dovecot.append(self.user, trace.encode() + envelope.content)
        self.delivered += 1
        return "250 delivered to the mailbox"


@pytest.fixture
def smtp_to_imap(dovecot: Dovecot, mailbox_user: str) -> Iterator[tuple[int, ImapDelivery]]:
    """A real SMTP server on a loopback port whose mail lands in `mailbox_user`'s INBOX."""
    from aiosmtpd.controller import Controller

    handler = ImapDelivery(dovecot, mailbox_user)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()
