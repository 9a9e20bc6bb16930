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

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from okrmail.inbound import headers
from okrmail.models import OutboxMessage, Prompt

RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class Route:
    """Where a message goes: a prompt (and how we knew), or a problem a person can read."""

    prompt: Prompt | None
    how: str = ""
    problem: str | None = None


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
    pattern = token_pattern(reply_address)
    found: list[tuple[str, str]] = []
    for name in RECIPIENT_HEADERS:
        for value in headers.values(message, name):
            for token in pattern.findall(value):
                if token.lower() not in (seen for seen, _ in found):
                    found.append((token.lower(), name))
    return found


def route(session: Session, message: Message, reply_address: str) -> Route:
    """The prompt `message` answers, or a Route with the problem that stops it."""
    tokens = tokens_in(message, reply_address)
    if tokens:
        return _by_token(session, tokens)
    references = headers.referenced_ids(message)
    if references:
        prompt, reference = by_references(session, references)
        if prompt is not None:
            return Route(prompt, how=f"reply to our message {reference}")
    return Route(
        None,
        problem="not a reply to a check-in: no reply token in "
        + ", ".join(RECIPIENT_HEADERS)
        + (
            " and its In-Reply-To/References name no message we sent"
            if references
            else ", and no In-Reply-To/References"
        ),
    )


def _by_token(session: Session, tokens: Sequence[tuple[str, str]]) -> Route:
    # What the defences and the check-in read next, in the same round trip.
    prompts = session.scalars(
        select(Prompt)
        .where(Prompt.token.in_([t for t, _ in tokens]))
        .options(joinedload(Prompt.person), joinedload(Prompt.meeting))
    )
    by_token = {prompt.token: prompt for prompt in prompts}
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


def by_references(session: Session, references: Sequence[str]) -> tuple[Prompt | None, str]:
    """The prompt of the nearest referenced message we sent, and that Message-ID."""
    if not references:
        return None, ""
    rows = session.execute(
        select(OutboxMessage.message_id, OutboxMessage.prompt_id).where(
            OutboxMessage.message_id.in_(list(references)),
            OutboxMessage.prompt_id.is_not(None),
        )
    ).all()
    prompt_of = {message_id: prompt_id for message_id, prompt_id in rows}
    for reference in references:  # nearest first: In-Reply-To, then newest References
        if reference in prompt_of:
            return session.get(Prompt, prompt_of[reference]), reference
    return None, ""
