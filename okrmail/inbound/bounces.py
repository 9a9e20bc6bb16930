"""Bounces: delivery reports (RFC 3464 and the common non-standard kinds) about our mail.

Recognising one is left to flufl.bounce, run only on messages that look like a report
(cheap header checks first, so ordinary replies never pay for its seventeen detectors).
The prompt a bounce is about is found from the original message's Message-ID, which
reports carry (as message/rfc822, text/rfc822-headers, or quoted in their text).
"""

from __future__ import annotations

import email
import hashlib
import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import Message

from flufl.bounce import all_failures

from okrmail.inbound import headers

log = logging.getLogger(__name__)

_DAEMONS = re.compile(
    r"^(?:mailer-daemon|mail-daemon|postmaster|mail-delivery-subsystem|mailer|bounces?)@", re.I
)
# Searched in the lower-cased subject: an unanchored alternation compiled with re.I costs
# 9 us per subject, every reply's, where the same search of lower-cased text costs 1 us.
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status )?notification|failure notice|returned mail"
    r"|delivery fail|mail delivery|could not be delivered|delivery has failed|nondeliver"
    r"|unzustellbar|nicht zustellbar|non remis|non distribuable|no se puede entregar"
    r"|impossibile recapitare|onbestelbaar|kan inte levereras|kunne ikke leveres",
)
_QUOTED_ID = re.compile(r"^\s*>?\s*Message-ID:\s*(<[^<>\s]+>)", re.I | re.M)


@dataclass(frozen=True)
class Bounce:
    """The addresses a delivery report says failed: for good, or only for now."""

    permanent: tuple[str, ...]
    temporary: tuple[str, ...]


def looks_like_report(message: Message) -> bool:
    """Cheap signs of a delivery report; only these are handed to the detectors."""
    content_type = headers.first(message, "Content-Type").lower()
    return bool(
        ("multipart/report" in content_type and "delivery-status" in content_type)
        or headers.first(message, "Return-Path").replace(" ", "") == "<>"
        or _DAEMONS.match(headers.sender(message))
        or headers.first(message, "X-Failed-Recipients")
        or _BOUNCE_SUBJECT.search(headers.subject(message).lower())
    )


def detect(raw: bytes, message: Message) -> Bounce | None:
    """A Bounce when `message` reports failed delivery, else None. Never raises."""
    if not looks_like_report(message):
        return None
    # The detectors were written for compat32 messages and may trip on odd input.
    try:
        temporary, permanent = all_failures(email.message_from_bytes(raw, policy=policy.compat32))
    except Exception:  # a detector failing must not lose the message
        log.warning("bounce detectors failed on %s", headers.own_message_id(message))
        temporary, permanent = frozenset(), frozenset()
    failed = set(_decoded(permanent)) | set(headers.addresses(message, "X-Failed-Recipients"))
    delayed = set(_decoded(temporary)) - failed
    if not failed and not delayed:
        return None
    return Bounce(permanent=tuple(sorted(failed)), temporary=tuple(sorted(delayed)))


def _decoded(found: frozenset[bytes] | set[bytes]) -> list[str]:
    addresses = []
    for item in found:
        text = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        text = headers.clean(text).strip().strip("<>").lower()
        if "@" in text:
            addresses.append(text)
    return addresses


def original_message_ids(message: Message) -> list[str]:
    """Message-IDs of the message that bounced, from the report's parts or quoted text."""
    found: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in {"message/rfc822", "message/global"}:
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found.extend(headers.message_ids(headers.first(inner, "Message-ID")))
        elif kind in {"text/rfc822-headers", "text/plain"}:
            found.extend(_QUOTED_ID.findall(_text_of(part)))
    unique: list[str] = []
    for item in found:
        if item not in unique:
            unique.append(item[: headers.MAX_ID])
    return unique


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return payload[:200_000].decode("utf-8", "replace")


def notice_message_id(address: str, prompt_id: int | None, domain: str) -> str:
    """One admin notice per failed address and prompt, however many reports arrive."""
    digest = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"<bounce-{prompt_id or 0}-{digest}@{domain}>"
