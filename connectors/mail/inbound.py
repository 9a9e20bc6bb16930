"""Inbound mail: receivers (imap, maildir, none) behind one Protocol and a registry.

A receiver lists the messages waiting in one folder and hands each over with its ledger
key; the caller stores the raw bytes, and only then asks the receiver to move the message
out of the way. A crash in between leaves the message where it was, and the ledger (or the
Message-ID) recognises it on the next fetch, so nothing is read twice or missed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.errors import ConnectorError
from connectors.registry import Registry

mail_receivers = Registry("inbound mail")


@dataclass(frozen=True, order=True)
class MailKey:
    """Where one message sits: the Inbox ledger's key.

    IMAP: the account (user@host), the folder, the folder's UIDVALIDITY and the message's
    UID (as text). Maildir: the folder path, "INBOX", 0 and the Maildir unique name.
    A UID means nothing under another UIDVALIDITY, so the key holds both.
    """

    account: str
    folder: str
    uidvalidity: int
    uid: str


# Given candidate keys, answer the ones already stored, so their bodies are not downloaded
# again. A receiver calls it once per batch of keys.
KnownKeys = Callable[[Sequence[MailKey]], Collection[MailKey]]


class MailReceiver(Protocol):
    name: str
    account: str  # which mailbox, for the ledger and for people reading logs

    def fetch(self, known: KnownKeys, limit: int) -> Iterator[tuple[MailKey, bytes]]:
        """Yield up to `limit` waiting messages whose keys `known` does not report.

        Raises ConnectorError when the server cannot be reached or refuses us.
        """
        ...

    def mark_processed(self, key: MailKey) -> None:
        """Move the (stored) message out of the folder fetch() reads, or flag it seen.

        A key from an older UIDVALIDITY is ignored: its UID may name another message now.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


@dataclass(frozen=True)
class ReceiverDeps:
    config: Any


def build_mail_receiver(name: str, config: Any) -> MailReceiver:
    return mail_receivers.get(name)(ReceiverDeps(config))


@mail_receivers.register("none")
class NoReceiver:
    """Inbound mail switched off (replies arrive by `okrmail ingest` from an MTA pipe)."""

    name = "none"
    account = ""

    def __init__(self, deps: ReceiverDeps) -> None:
        self.deps = deps

    def fetch(self, known: KnownKeys, limit: int) -> Iterator[tuple[MailKey, bytes]]:
        return iter(())

    def mark_processed(self, key: MailKey) -> None:
        return None

    def close(self) -> None:
        return None


from connectors.mail import imap as _imap  # noqa: E402,F401
from connectors.mail import maildir_in as _maildir_in  # noqa: E402,F401

__all__ = [
    "ConnectorError",
    "KnownKeys",
    "MailKey",
    "MailReceiver",
    "ReceiverDeps",
    "build_mail_receiver",
    "mail_receivers",
]
