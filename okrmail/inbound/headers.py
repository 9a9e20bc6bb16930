"""Reading headers of messages we did not write: any of them may be malformed.

Everything here works on the raw header values (`Message.raw_items()`), never on the
parsed header objects, whose parsers can raise on hostile input; every function returns
plain, database-safe text and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

_FOLD = re.compile(r"\r?\n[ \t]*")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")
MAX_ID = 255


def clean(text: str) -> str:
    """Text any database accepts: bytes that were not UTF-8 become U+FFFD, NULs go."""
    if not text.isascii():
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace("\x00", "")


def values(message: Message, name: str) -> list[str]:
    """Every raw value of header `name` (any case), unfolded onto one line each."""
    return list(_values(message, name))


def _values(message: Message, name: str) -> list[str]:
    """`values`, as kept: for reading only, never to be changed."""
    read = _read(message)
    key = name.lower()
    found = read.unfolded.get(key)
    if found is None:
        raw = read.raw.get(key, ())
        found = read.unfolded[key] = [_unfolded(value) for value in raw]
    return found


def _unfolded(value: object) -> str:
    text = clean(str(value))
    return (_FOLD.sub(" ", text) if "\n" in text else text).strip()


@dataclass(slots=True)
class _Read:
    """What has been read of one message: its raw header values by lower-cased name, those
    asked for unfolded and database-safe, and its From address and decoded Subject once
    asked for."""

    raw: dict[str, list[str]]
    unfolded: dict[str, list[str]] = field(default_factory=dict)
    sender: str | None = None
    subject: str | None = None


# Storing, routing, defences and classification ask a message for some twenty headers,
# the From address and the Subject three times each; each would scan every header again.
# Only the headers asked for are cleaned (a message carries dozens: Received, DKIM and ARC
# are never read).
# Messages are read, never changed, once parsed. What was read is kept on the message
# itself, which lives exactly as long as it should (a weak-keyed table cost more to ask
# than the reading it saved).
_READ = "_okrmail_headers_read"


def _read(message: Message) -> _Read:
    read: _Read | None = vars(message).get(_READ)
    if read is None:
        raw: dict[str, list[str]] = {}
        for key, value in message.raw_items():
            raw.setdefault(key.lower(), []).append(value)
        read = _Read(raw)
        setattr(message, _READ, read)
    return read


def first(message: Message, name: str) -> str:
    found = _values(message, name)
    return found[0] if found else ""


def decoded(value: str) -> str:
    """An RFC 2047 encoded header (=?utf-8?q?...?=) as text; the raw text if it is broken."""
    if "=?" not in value:
        return value
    try:
        return clean(str(make_header(decode_header(value))))
    except (ValueError, LookupError, UnicodeError, AssertionError):
        return value


def subject(message: Message) -> str:
    """The Subject, RFC 2047 decoded (decoding one takes longer than the rest of reading
    the headers it is asked with)."""
    read = _read(message)
    if read.subject is None:
        read.subject = decoded(first(message, "Subject"))
    return read.subject


def sender(message: Message) -> str:
    """The From address, lower-cased; "" when there is none we can read."""
    read = _read(message)
    if read.sender is None:
        _, address = parseaddr(first(message, "From"))
        read.sender = address.strip().lower() if "@" in address else ""
    return read.sender


def senders(message: Message) -> list[str]:
    """Every address in the From headers (there should be one), lower-cased."""
    return addresses(message, "From")


def addresses(message: Message, *names: str) -> list[str]:
    """Every address in the named headers, lower-cased."""
    raw = [value for name in names for value in _values(message, name)]
    try:
        pairs = getaddresses(raw)
    except (ValueError, IndexError):  # old getaddresses versions trip on odd input
        pairs = []
    return [address.lower() for _, address in pairs if "@" in address]


def message_ids(value: str) -> list[str]:
    """The <ids> in a Message-ID, In-Reply-To or References value, in order."""
    return [f"<{found}>" for found in _MESSAGE_ID.findall(value)]


def own_message_id(message: Message) -> str | None:
    """This message's Message-ID, as stored and deduplicated on; None when absent.

    An id too long for the ledger column is kept recognisable but cut to fit.
    """
    found = message_ids(first(message, "Message-ID"))
    if not found:
        return None
    return found[0][:MAX_ID]


def referenced_ids(message: Message) -> list[str]:
    """In-Reply-To first (the direct parent), then References from the newest back."""
    parents = message_ids(" ".join(_values(message, "In-Reply-To")))
    references = message_ids(" ".join(_values(message, "References")))
    ordered: list[str] = []
    for found in [*parents, *reversed(references)]:
        if found not in ordered:
            ordered.append(found[:MAX_ID])
    return ordered


def date(message: Message) -> datetime | None:
    """The Date header as aware UTC; None when missing or unreadable."""
    value = first(message, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
