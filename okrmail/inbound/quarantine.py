"""Quarantined mail: what a person reviews, and releasing it once the cause is fixed.

A message is quarantined with a reason a person can act on: sent from an address the
person was not known by, a token nobody was sent, a prompt too old to answer, a message
that could not be read. `quarantined` lists them for review; once the cause is fixed (an
alias added, a setting raised, a bug fixed), `release` processes them again, from their
stored bytes, under today's data. Every defence applies as the first time: a message that
still fails stays quarantined, with the reason it fails now.

So that someone looks, the admin (app.admin_email) gets a report of the quarantined
messages no report has listed yet, every inbound.quarantine_report_hours: a periodic task
the tick claims, sent only when there is something to report. A released message that
fails again is listed again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from okrmail import outbox, periodic
from okrmail.app import AppContext
from okrmail.emails import Envelope, our_address
from okrmail.inbound.ingest import Outcome, follow_up_outcomes, process
from okrmail.models import InboxMessage

if TYPE_CHECKING:
    from okrmail.settings import Settings

TASK = "quarantine-report"
SHOWN_IN_REPORT = 25  # the newest; the count says how many more
RETRY = timedelta(hours=1)  # a failed report is tried again this soon (or sooner)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quarantined:
    """A quarantined message as a person reviews it."""

    id: int
    received_at: datetime
    sender: str | None
    subject: str | None
    reason: str | None


_QUARANTINED = (
    select(
        InboxMessage.id,
        InboxMessage.received_at,
        InboxMessage.sender,
        InboxMessage.subject,
        InboxMessage.reason,
    )
    .where(InboxMessage.status == "quarantined")
    .order_by(InboxMessage.id.desc())
)
_UNREPORTED = (
    select(InboxMessage.id)
    .where(InboxMessage.status == "quarantined", InboxMessage.reported_at.is_(None))
    .order_by(InboxMessage.id.desc())
)


def quarantined(ctx: AppContext, limit: int = 50) -> list[Quarantined]:
    """The most recently received quarantined messages, newest first."""
    with ctx.sessions() as session:
        return [Quarantined(*row) for row in session.execute(_QUARANTINED.limit(limit))]


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
                    reported_at=None,  # quarantined again, it is news again
                )
            )
    outcomes = process(ctx, releasing) if releasing else []
    done = {outcome.inbox_id for outcome in outcomes}
    for inbox_id in releasing:
        if inbox_id not in done:  # a fetch running meanwhile processed it first
            refused[inbox_id] = "processed meanwhile by another worker"
    follow_up_outcomes(ctx, outcomes)
    return Release(outcomes, refused)


# -- the admin's report ----------------------------------------------------------------------


def claim_report(ctx: AppContext, session: Session, now: datetime, lease: timedelta) -> list[int]:
    """The report task's id when one is due; [] when no admin is set to read it."""
    if not ctx.settings.app.admin_email:
        return []
    return periodic.claim(session, TASK, now, lease)


def report_quarantine(ctx: AppContext, ids: list[int]) -> None:
    """The tick's job: report the quarantined messages no report has listed yet, then
    schedule the next report. A failed one is tried again within the hour."""
    every = timedelta(hours=ctx.settings.inbound.quarantine_report_hours)
    for task_id in ids:
        try:
            send_report(ctx)
        except Exception as error:  # reported on the task and in the log; retried soon
            log.exception("the quarantine report failed")
            periodic.finish(ctx, task_id, min(every, RETRY), f"{type(error).__name__}: {error}")
        else:
            periodic.finish(ctx, task_id, every)


def send_report(ctx: AppContext) -> int | None:
    """Email the admin the quarantined messages no report has listed yet, and mark them
    listed, in one transaction; the outbox id, or None when there was none.

    Marking the messages, not a stretch of time, is what makes the report whole and
    single: a message committed while a report is being written waits for the next one,
    and two runs of the job cannot both list a message. On PostgreSQL the second skips
    the rows the first holds; on SQLite writers take turns, and the second finds rows
    marked that it read unmarked, and gives up.
    """
    settings, now = ctx.settings, ctx.now()
    try:
        with ctx.transaction() as session:
            query = _UNREPORTED
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))  # newest first
            if not ids:
                return None
            marked = session.execute(
                update(InboxMessage)
                .where(InboxMessage.id.in_(ids), InboxMessage.reported_at.is_(None))
                .values(reported_at=now)
            )
            if marked.rowcount != len(ids):
                raise _ReportedMeanwhile
            notice = outbox.record_once(
                ctx,
                session,
                "quarantine_report",
                _report_envelope(settings, ids[0]),
                lambda: _report_context(session, ids, settings.app.organisation),
            )
    except _ReportedMeanwhile:
        return None
    if notice is not None:
        outbox.deliver(ctx, [notice])  # a failure here is the Outbox's to retry
    return notice


class _ReportedMeanwhile(Exception):
    """Another run of the report listed some of these messages first: roll back."""


def _report_envelope(settings: Settings, newest: int) -> Envelope:
    # Each report is new mail: what keeps a message out of a second report is its mark.
    domain = settings.mail.message_id_domain
    return Envelope(
        sender=our_address(settings.mail),
        to=Address(addr_spec=settings.app.admin_email),
        message_id=f"<quarantine-{newest}-{uuid.uuid4().hex[:16]}@{domain}>",
    )


def _report_context(session: Session, ids: list[int], organisation: str) -> dict[str, Any]:
    shown = _QUARANTINED.where(InboxMessage.id.in_(ids[:SHOWN_IN_REPORT]))
    return {
        "total": len(ids),
        "messages": [
            {**asdict(item), "received_at": f"{item.received_at:%Y-%m-%d %H:%M} UTC"}
            for item in (Quarantined(*row) for row in session.execute(shown))
        ],
        "organisation": organisation,
    }
