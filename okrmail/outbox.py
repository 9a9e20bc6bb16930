"""The Outbox: every message is recorded (with its stable Message-ID) before it is sent.

Delivery claims a row with a conditional UPDATE, so two workers handed the same message
send it once; a transient failure is retried with exponential backoff and jitter, and a
permanent one (or too many attempts) is marked failed with the reason.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from okrmail.app import AppContext
from okrmail.emails import Envelope, build_email
from okrmail.models import OutboxMessage, Prompt

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)


def record(
    session: Session,
    message: EmailMessage,
    *,
    kind: str,
    now: datetime,
    lease: timedelta,
    prompt_id: int | None = None,
) -> OutboxMessage:
    """Add `message` to the Outbox, claimed for immediate delivery by the caller's job."""
    row = OutboxMessage(
        message_id=str(message["Message-ID"]),
        kind=kind,
        prompt_id=prompt_id,
        recipient=str(message["To"]),
        subject=str(message["Subject"]),
        raw=message.as_bytes(),
        status="queued",
        attempts=0,
        next_attempt_at=now,
        claim_expires_at=now + lease,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def record_once(
    ctx: AppContext,
    session: Session,
    template: str,
    envelope: Envelope,
    context: Callable[[], dict[str, Any]],
    prompt_id: int | None = None,
) -> int | None:
    """Build template `template` and record it under the envelope's Message-ID, claimed
    for delivery by the caller; its id, or None when a message with that id is recorded
    already (a second worker racing to it fails on the unique id). `context` is called
    only when the message is built."""
    taken = select(OutboxMessage.id).where(OutboxMessage.message_id == envelope.message_id)
    if session.scalar(taken):
        return None
    settings = ctx.settings
    message = build_email(settings.templates_path, template, context(), envelope, date=ctx.now())
    lease = timedelta(seconds=settings.tick.claim_lease_seconds)
    return record(
        session, message, kind=template, now=ctx.now(), lease=lease, prompt_id=prompt_id
    ).id


def due_filter(now: datetime):  # type: ignore[no-untyped-def]
    """Rows a tick may hand out: queued and due, or stuck in `sending` past their lease."""
    unclaimed = or_(OutboxMessage.claim_expires_at.is_(None), OutboxMessage.claim_expires_at < now)
    return or_(
        and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now, unclaimed),
        and_(OutboxMessage.status == "sending", OutboxMessage.claim_expires_at < now),
    )


def _claim(ctx: AppContext, outbox_id: int) -> OutboxMessage | None:
    """Move one row to `sending` if nobody else holds it; None when someone does."""
    now = ctx.now()
    lease = timedelta(seconds=ctx.settings.tick.claim_lease_seconds)
    with ctx.transaction() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id)
            .where(
                or_(
                    OutboxMessage.status == "queued",
                    and_(OutboxMessage.status == "sending", OutboxMessage.claim_expires_at < now),
                )
            )
            .values(status="sending", claim_expires_at=now + lease)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return session.get(OutboxMessage, outbox_id)


def deliver(ctx: AppContext, outbox_ids: Sequence[int]) -> int:
    """Send the given Outbox rows over one mail connection; returns how many were sent."""
    sent = 0
    sender = ctx.mail_sender()
    try:
        for outbox_id in outbox_ids:
            row = _claim(ctx, outbox_id)
            if row is None:
                continue
            message = message_from_bytes(row.raw, policy=policy.SMTP)
            try:
                sender.send(message)  # type: ignore[arg-type]
            except ConnectorError as error:
                _failed(ctx, row, error)
            else:
                _sent(ctx, row)
                sent += 1
    finally:
        sender.close()
    return sent


def _sent(ctx: AppContext, row: OutboxMessage) -> None:
    now = ctx.now()
    with ctx.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(status="sent", sent_at=now, attempts=row.attempts + 1, claim_expires_at=None)
        )
        if row.kind == "prompt" and row.prompt_id is not None:
            session.execute(update(Prompt).where(Prompt.id == row.prompt_id).values(sent_at=now))


def _failed(ctx: AppContext, row: OutboxMessage, error: ConnectorError) -> None:
    attempts = row.attempts + 1
    give_up = error.permanent or attempts >= ctx.settings.mail.max_attempts
    delay = backoff(attempts, ctx.settings.mail.retry_base_seconds)
    values: dict[str, object] = {
        "attempts": attempts,
        "last_error": error.message,
        "claim_expires_at": None,
        "status": "failed" if give_up else "queued",
        "next_attempt_at": ctx.now() + delay,
    }
    with ctx.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
    if give_up:
        log.error("giving up on %s to %s: %s", row.message_id, row.recipient, error.message)
    else:
        log.warning("will retry %s in %s: %s", row.message_id, delay, error.message)


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """Exponential backoff with full jitter, capped: spreads retries after an outage."""
    ceiling = min(base_seconds * 2 ** (attempts - 1), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))
