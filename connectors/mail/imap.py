"""The `imap` receiver (stdlib imaplib): TLS, STARTTLS or plain (tests), one folder.

Every undeleted message in the folder is a candidate, not only unseen ones: a person
opening the mailbox in a client must not make us miss a reply. The Inbox ledger, keyed by
(account, folder, UIDVALIDITY, UID), tells which are already stored, so their bodies are
not downloaded again; bodies are fetched with BODY.PEEK so the \\Seen flag is left alone.
A processed message is moved to `processed_folder` (MOVE where the server has it, else
COPY, \\Deleted and UID EXPUNGE). With no such folder it stays, flagged with the keyword
$OkrmailDone, and later fetches skip it: even a copy we did not store again (a duplicate)
is then not downloaded over and over. Only on a server that allows no keywords is \\Seen
the mark, and there a message someone opens in a client before we fetch it is missed.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from connectors.errors import ConnectorError
from connectors.mail.inbound import KnownKeys, MailKey, ReceiverDeps, mail_receivers

FETCH_BATCH = 50  # UIDs per FETCH command: one round trip for many small replies
DONE = "$OkrmailDone"
_UID_IN_FETCH = re.compile(rb"\bUID (\d+)")


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int = 993
    security: str = "tls"  # tls | starttls | none
    username: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    processed_folder: str = "okrmail-processed"
    timeout_seconds: float = 30


class _Refused(Exception):
    """The server answered NO or BAD."""


@mail_receivers.register("imap")
class ImapReceiver:
    name = "imap"

    def __init__(self, deps: ReceiverDeps, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config: ImapConfig = deps.config
        self.account = f"{self.config.username}@{self.config.host}:{self.config.port}"
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._connection: imaplib.IMAP4 | None = None
        self._uidvalidity: int | None = None
        self._capabilities: set[str] = set()
        self._processed_ready = False
        self._keywords = False  # may we set our own flag (PERMANENTFLAGS holds \\*)?

    # -- the Protocol ------------------------------------------------------------------

    def fetch(self, known: KnownKeys, limit: int) -> Iterator[tuple[MailKey, bytes]]:
        with self._errors("fetch"):
            connection = self._select()
            uids = self._search(connection)
            keys = [self._key(uid) for uid in uids]
            stored = set(known(keys))
            # Stored before but not moved (a crash in between): finish the job now.
            for key in keys:
                if key in stored:
                    self.mark_processed(key)
            fresh = [key for key in keys if key not in stored][:limit]
        for start in range(0, len(fresh), FETCH_BATCH):
            with self._errors("fetch"):
                batch = self._fetch_bodies(fresh[start : start + FETCH_BATCH])
            yield from batch

    def mark_processed(self, key: MailKey) -> None:
        if key.uidvalidity != self._uidvalidity or key.folder != self.config.folder:
            return
        with self._errors("move"):
            connection = self._select()
            target = self.config.processed_folder
            if not target:
                flag = DONE if self._keywords else r"\Seen"
                self._ok(connection.uid("STORE", key.uid, "+FLAGS.SILENT", f"({flag})"))
                return
            self._ensure_folder(connection, target)
            if "MOVE" in self._capabilities:
                self._ok(connection.uid("MOVE", key.uid, _quote(target)))
                return
            self._ok(connection.uid("COPY", key.uid, _quote(target)))
            self._ok(connection.uid("STORE", key.uid, "+FLAGS.SILENT", r"(\Deleted)"))
            if "UIDPLUS" in self._capabilities:
                self._ok(connection.uid("EXPUNGE", key.uid))
            else:
                self._ok(connection.expunge())

    def close(self) -> None:
        if self._connection is None:
            return
        # The server may have hung up already; there is nothing left to release then.
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self._connection.logout()
        self._connection = None

    # -- steps -------------------------------------------------------------------------

    def _key(self, uid: str) -> MailKey:
        assert self._uidvalidity is not None
        return MailKey(self.account, self.config.folder, self._uidvalidity, uid)

    def _search(self, connection: imaplib.IMAP4) -> list[str]:
        criteria = "UNDELETED"
        if not self.config.processed_folder:
            criteria += f" UNKEYWORD {DONE}" if self._keywords else " UNSEEN"
        data = self._ok(connection.uid("SEARCH", criteria))
        found = b" ".join(part for part in data if isinstance(part, bytes))
        return sorted({uid.decode() for uid in found.split()}, key=int)

    def _fetch_bodies(self, keys: Sequence[MailKey]) -> list[tuple[MailKey, bytes]]:
        connection = self._select()
        wanted = {key.uid: key for key in keys}
        data = self._ok(connection.uid("FETCH", ",".join(wanted), "(UID BODY.PEEK[])"))
        bodies: list[tuple[MailKey, bytes]] = []
        for number, part in enumerate(data):
            # A message comes back as (b'1 (UID 7 BODY[] {123}', raw), then b')'. The order
            # of the items is the server's: some send the UID after the body, in the part
            # that closes it (b' UID 7)').
            if not isinstance(part, tuple) or len(part) != 2:
                continue
            match = _UID_IN_FETCH.search(part[0])
            closing = data[number + 1] if number + 1 < len(data) else b""
            if match is None and isinstance(closing, bytes):
                match = _UID_IN_FETCH.search(closing)
            if match and match.group(1).decode() in wanted:
                bodies.append((wanted[match.group(1).decode()], part[1]))
        return bodies

    def _select(self) -> imaplib.IMAP4:
        if self._connection is not None:
            return self._connection
        connection = self._connect()
        self._ok(connection.select(_quote(self.config.folder)))
        validity = connection.response("UIDVALIDITY")[1]
        if not validity or validity[0] is None:
            raise _Refused(f"no UIDVALIDITY for folder {self.config.folder!r}")
        self._uidvalidity = int(validity[0])
        flags = connection.response("PERMANENTFLAGS")[1]
        self._keywords = any(b"\\*" in item for item in flags if isinstance(item, bytes))
        self._connection = connection
        return connection

    def _connect(self) -> imaplib.IMAP4:
        config = self.config
        timeout = config.timeout_seconds
        if config.security == "tls":
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=self._ssl_context, timeout=timeout
            )
        else:
            connection = imaplib.IMAP4(config.host, config.port, timeout=timeout)
            if config.security == "starttls":
                connection.starttls(ssl_context=self._ssl_context)
        try:
            connection.login(config.username, config.password)
        except imaplib.IMAP4.error as error:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                connection.logout()
            raise ConnectorError(
                f"IMAP login to {config.host}:{config.port} as {config.username!r} failed: "
                f"{_text(error)}",
                permanent=True,
            ) from error
        # Servers announce more capabilities (MOVE, UIDPLUS) once logged in.
        self._ok(connection.capability())
        self._capabilities = set(connection.capabilities)
        return connection

    def _ensure_folder(self, connection: imaplib.IMAP4, folder: str) -> None:
        if self._processed_ready:
            return
        status, _ = connection.create(_quote(folder))
        if status != "OK":  # most often: it exists already; SELECT-free check follows
            self._ok(connection.status(_quote(folder), "(MESSAGES)"))
        self._processed_ready = True

    @staticmethod
    def _ok(response: tuple[str, list[object]]) -> list[object]:
        status, data = response
        if status != "OK":
            raise _Refused(" ".join(_text(part) for part in data if part is not None))
        return data

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Every failure leaves as a ConnectorError; a broken connection is dropped."""
        where = f"IMAP {self.config.host}:{self.config.port}"
        try:
            yield
        except ConnectorError:
            raise
        except _Refused as error:
            raise ConnectorError(f"{where}: {action} refused: {error}") from error
        except (imaplib.IMAP4.error, OSError, ValueError) as error:
            self._connection = None
            raise ConnectorError(f"{where}: {action} failed: {_text(error)}") from error


def _quote(folder: str) -> str:
    """A mailbox name as an IMAP quoted string (names may hold spaces)."""
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, BaseException) and value.args and isinstance(value.args[0], bytes):
        return _text(value.args[0])  # imaplib's errors carry the server's words as bytes
    return str(value)
