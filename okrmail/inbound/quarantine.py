"""Quarantined mail: what a person reviews, and releasing it once the cause is fixed.

A message is quarantined with a reason a person can act on: sent from an address the
person was not known by, a token nobody was sent, a prompt too old to answer, a message
that could not be read. `quarantined` lists them for review; once the cause is fixed (an
alias added, a setting raised, a bug fixed), `release` processes them again, from their
stored bytes, under today's data. Every defence applies as the first time: a message that
still fails stays quarantined, with the reason it fails now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from okrmail.app import AppContext
from okrmail.inbound.ingest import Outcome, follow_up_outcomes, process
from okrmail.models import InboxMessage


@dataclass(frozen=True)
class Quarantined:
    """A quarantined message as a person reviews it."""

    id: int
    received_at: datetime
    sender: str | None
    subject: str | None
    reason: str | None


def quarantined(ctx: AppContext, limit: int = 50) -> list[Quarantined]:
    """The most recently received quarantined messages, newest first."""
    with ctx.sessions() as session:
        rows = session.execute(
            select(
                InboxMessage.id,
                InboxMessage.received_at,
                InboxMessage.sender,
                InboxMessage.subject,
                InboxMessage.reason,
            )
            .where(InboxMessage.status == "quarantined")
            .order_by(InboxMessage.id.desc())
            .limit(limit)
        )
        return [Quarantined(*row) for row in rows]


@dataclass
class Release:
    """What releasing some messages did: an outcome for each message processed again, and
    for each one that was not, why."""

    outcomes: list[Outcome]
    refused: dict[int, str]


def release(ctx: AppContext, inbox_ids: Sequence[int]) -> Release:
    """Process these quarantined messages again, then confirm and deliver as a fetch does."""
    wanted = list(dict.fromkeys(inbox_ids))
    with ctx.transaction() as session:
        found = dict(
            session.execute(
                select(InboxMessage.id, InboxMessage.status).where(InboxMessage.id.in_(wanted))
            ).all()
        )
        refused = {
            inbox_id: f"not quarantined (its status is {found[inbox_id]})"
            if inbox_id in found
            else "no such message"
            for inbox_id in wanted
            if found.get(inbox_id) != "quarantined"
        }
        releasing = [inbox_id for inbox_id in wanted if inbox_id not in refused]
        if releasing:
            # Back to where a stored, unprocessed message is; only quarantined ones, should
            # someone else be releasing them at the same moment. processed_at marks the
            # release: a fetch running meanwhile takes it for stuck only a lease later (on
            # SQLite nothing else would stop both from processing it).
            session.execute(
                update(InboxMessage)
                .where(InboxMessage.id.in_(releasing), InboxMessage.status == "quarantined")
                .values(
                    status="received",
                    reason=None,
                    prompt_id=None,
                    person_id=None,
                    processed_at=ctx.now(),
                )
            )
    outcomes = process(ctx, releasing) if releasing else []
    done = {outcome.inbox_id for outcome in outcomes}
    for inbox_id in releasing:
        if inbox_id not in done:  # a fetch running meanwhile processed it first
            refused[inbox_id] = "processed meanwhile by another worker"
    follow_up_outcomes(ctx, outcomes)
    return Release(outcomes, refused)
