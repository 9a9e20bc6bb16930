"""Defences: checks a routed message must pass before it may touch a check-in.

Each check returns None when the message passes, or the reason (in words a person can act
on) to quarantine it. None of them looks at the body.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.message import Message
from typing import TYPE_CHECKING

from okrmail.addresses import ascii_domain, normalise
from okrmail.inbound import headers
from okrmail.inbound.routing import token_pattern
from okrmail.models import Person, Prompt
from okrmail.settings import Settings

if TYPE_CHECKING:
    from okrmail.inbound.directory import PersonInfo, PromptInfo

_DMARC = re.compile(r"(?:^|[;\s])dmarc\s*=\s*([a-z]+)", re.I)
_HEADER_FROM = re.compile(r"header\.from\s*=\s*([^\s;()]+)", re.I)


def is_loop(sender: str, settings: Settings) -> str | None:
    """Mail from our own address (or our reply addresses) would answer itself forever."""
    if not sender:
        return None
    ours = normalise(settings.mail.from_address)
    if normalise(sender) == ours or token_pattern(settings.mail.reply_address).search(sender):
        return f"sent from our own address {sender} (a mail loop); not processed"
    return None


def wrong_sender(sender: str, person: Person | PersonInfo) -> str | None:
    """The sender must be the prompt's recipient (any case, +tag, or a known alias)."""
    allowed = {normalise(person.email), *(normalise(alias) for alias in person.aliases or [])}
    if sender and normalise(sender) in allowed:
        return None
    shown = sender or "an unreadable From address"
    return (
        f"sent by {shown}, but this check-in was sent to {person.email}; only its recipient "
        "may answer it (if the address is theirs, add it to their aliases in the people file, "
        "then `okrmail mail release` this message)"
    )


def prompt_not_answerable(
    prompt: Prompt | PromptInfo, now: datetime, max_age_days: float
) -> str | None:
    """Replies to prompts never sent, or sent too long ago, are not recorded."""
    return prompt_never_sent(prompt) or prompt_too_old(prompt, now, max_age_days)


def prompt_never_sent(prompt: Prompt | PromptInfo) -> str | None:
    """A prompt still pending, or cancelled before it went, has no reply to record."""
    if prompt.status in {"pending", "cancelled"}:
        return f"answers check-in #{prompt.id}, which was never sent ({prompt.status})"
    return None


def prompt_too_old(prompt: Prompt | PromptInfo, now: datetime, max_age_days: float) -> str | None:
    """A sent prompt answered more than `max_age_days` after it went is not recorded."""
    sent_at = prompt.sent_at or prompt.send_at  # sent_at is set once the server took it
    if now - sent_at > timedelta(days=max_age_days):
        return (
            f"answers a check-in sent on {sent_at:%Y-%m-%d}, more than "
            f"{max_age_days:g} days ago (inbound.max_prompt_age_days); too old to record"
        )
    return None


def several_senders(message: Message) -> str | None:
    """A From header naming more than one address, or more than one From header: the
    sender check reads one of them, a mail client may show another ("lena@example.com
    <mallory@evil.example>" is two addresses)."""
    written = headers.values(message, "From")
    if len(written) == 1 and written[0].count("@") <= 1:
        return None  # the usual From: one address (parsing it costs more than the rest)
    found = list(dict.fromkeys(headers.senders(message)))
    if len(found) <= 1:
        return None
    return (
        f"the From header names several addresses ({', '.join(found[:3])}): a reply has one "
        "sender; probably forged"
    )


def dmarc_failed(message: Message, trusted_authserv_id: str, sender: str = "") -> str | None:
    """DMARC fail as judged by our own receiving server; other servers' verdicts are ignored.

    Only Authentication-Results headers naming `trusted_authserv_id` count: anyone can write
    such a header, but our server is the one that saw the connection (and should remove
    copies naming itself from incoming mail, RFC 8601 section 5). A verdict on another
    domain than the sender's (`header.from`) is about another From than the one we read.
    """
    if not trusted_authserv_id:
        return None
    wanted = trusted_authserv_id.lower()
    domain = ascii_domain(sender.rpartition("@")[2])
    for value in headers.values(message, "Authentication-Results"):
        authserv_id = value.split(";", 1)[0].split()
        if not authserv_id or authserv_id[0].lower() != wanted:
            continue
        result = _DMARC.search(value)
        claimed = _HEADER_FROM.search(value)
        if result and result[1].lower() == "fail":
            domain_said = f" for {claimed[1]}" if claimed else ""
            return (
                f"DMARC check failed{domain_said} at {trusted_authserv_id}: the From address "
                "is probably forged"
            )
        judged = ascii_domain(claimed[1].strip('"').rstrip(".")) if claimed else ""
        if result and judged and domain and judged != domain:
            return (
                f"{trusted_authserv_id} checked DMARC for {claimed[1]}, but the From address "
                f"is {sender}: probably forged"
            )
    return None
