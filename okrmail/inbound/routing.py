"""Routing: which prompt a reply belongs to.

First the reply token in a recipient address (To, Cc, Delivered-To, X-Original-To,
Envelope-To: forwarding and BCC delivery leave it only in the last three); then, for mail
whose client dropped the +token, In-Reply-To / References against the Message-IDs of
everything we sent (prompts, confirmations, reminders: every Outbox row knows its prompt).
A token that looks like ours but names no prompt is a problem, not a miss: it is forged,
mistyped or stale, and such mail is quarantined rather than routed by its references.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache
from typing import TYPE_CHECKING

from okrmail.inbound import headers

if TYPE_CHECKING:
    from okrmail.inbound.directory import Directory, PromptInfo

RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class Route:
    """Where a message goes: a prompt (and how we knew), or a problem a person can read."""

    prompt: PromptInfo | None
    how: str = ""
    problem: str | None = None
    # Names nothing we sent: no reply token, no reference to our mail (a new email to the
    # check-in address, or a reply whose client dropped both).
    names_nothing: bool = False


@lru_cache(maxsize=8)
def token_pattern(reply_address: str) -> re.Pattern[str]:
    """A regex finding the token in addresses shaped like `reply_address` (any case)."""
    prefix, suffix = reply_address.split("{token}")
    return re.compile(
        rf"(?<![\w.+=-]){re.escape(prefix)}([a-z0-9]{{8,64}}){re.escape(suffix)}(?![\w-])",
        re.I,
    )


def tokens_in(message: Message, reply_address: str) -> list[tuple[str, str]]:
    """(token, header) for every reply token in the recipient headers, first seen first."""
    # Asked twice of each message of a batch (preloading its prompts, then routing it):
    # what was found is kept on the message, as `headers` keeps what it read there.
    known: tuple[str, list[tuple[str, str]]] | None = vars(message).get(_TOKENS)
    if known is None or known[0] != reply_address:
        known = (reply_address, _tokens_in(message, reply_address))
        setattr(message, _TOKENS, known)
    return list(known[1])


_TOKENS = "_okrmail_reply_tokens"


def _tokens_in(message: Message, reply_address: str) -> list[tuple[str, str]]:
    pattern = token_pattern(reply_address)
    found: list[tuple[str, str]] = []
    for name in RECIPIENT_HEADERS:
        for value in headers.values(message, name):
            for token in pattern.findall(value):
                if token.lower() not in (seen for seen, _ in found):
                    found.append((token.lower(), name))
    return found


def route(directory: Directory, message: Message) -> Route:
    """The prompt `message` answers, or a Route with the problem that stops it."""
    tokens = tokens_in(message, directory.reply_address)
    if tokens:
        return _by_token(directory, tokens)
    references = headers.referenced_ids(message)
    if references:
        prompt, reference = directory.prompt_by_references(references)
        if prompt is not None:
            return Route(prompt, how=f"reply to our message {reference}")
        ours = directory.sent_without_prompt(references)
        if ours is not None:
            return Route(
                None,
                problem=f"a reply to {_WHAT_WE_SENT.get(ours.kind, 'an email')} we sent "
                f"{ours.recipient} on {ours.created_at:%Y-%m-%d}, which takes no replies; "
                "nothing was recorded",
            )
    return Route(
        None,
        names_nothing=True,
        problem="not a reply to a check-in: no reply token in "
        + ", ".join(RECIPIENT_HEADERS)
        + (
            " and its In-Reply-To/References name no message we sent"
            if references
            else ", and no In-Reply-To/References"
        ),
    )


# The emails that belong to no check-in (Outbox kinds), as a quarantine reason names them.
_WHAT_WE_SENT = {
    "digest": "the pre-meeting digest",
    "chase_manager_note": "the note about a missing check-in",
    "account_broken": "the calendar account alert",
    "bounce_notice": "the bounce notice",
    "quarantine_report": "the quarantine report",
    "not_a_reply": "the note that an email was not recorded",
}


def _by_token(directory: Directory, tokens: Sequence[tuple[str, str]]) -> Route:
    by_token = directory.prompts_by_token([token for token, _ in tokens])
    unknown = [(token, where) for token, where in tokens if token not in by_token]
    if unknown:
        token, where = unknown[0]
        return Route(
            None,
            problem=f"unknown reply token {token[:8]}… in {where}: it matches no check-in "
            "email we sent (forged, mistyped, or from a deleted prompt)",
        )
    if len(by_token) > 1:
        return Route(
            None,
            problem=f"addressed to {len(by_token)} different check-ins at once; "
            "cannot tell which one it answers",
        )
    token, where = tokens[0]
    return Route(by_token[token], how=f"reply token in {where}")
