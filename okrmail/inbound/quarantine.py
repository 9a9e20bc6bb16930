"""Quarantined mail: what a person reviews, and releasing it once the cause is fixed.

A message is quarantined with a reason a person can act on: sent from an address the
person was not known by, a token nobody was sent, a prompt too old to answer, a message
that could not be read. `quarantined` lists them for review; once the cause is fixed (an
alias added, a setting raised, a bug fixed), `release` processes them again, from their
stored bytes, under today's data. Every defence applies as the first time: a message that
still fails stays quarantined, with the reason it fails now.

So that someone looks, the admin (app.admin_email) gets a report of what was quarantined
since the last one, every inbound.quarantine_report_hours: a periodic task the tick
claims, sent only when there is something to report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from okrmail import outbox, periodic
from okrmail.app import AppContext
from okrmail.emails import Envelope
from okrmail.inbound.ingest import Outcome, follow_up_outcomes, process
from okrmail.inbound.notices import our_address, record_once
from okrmail.models import InboxMessage
from okrmail.models.periodic import PeriodicTask

TASK = "quarantine-report"
SHOWN_IN_REPORT = 25  # the newest; the count says how many more


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
    """The tick's job: report what was quarantined since the last report (the first time:
    over the last interval), then schedule the next one. A failed report leaves its
    stretch of time to the next."""
    every = timedelta(hours=ctx.settings.inbound.quarantine_report_hours)
    for task_id in ids:
        until = ctx.now()
        with ctx.sessions() as session:
            since = session.get_one(PeriodicTask, task_id).last_run_at or until - every
        error = "the report stopped unexpectedly"
        try:
            send_report(ctx, since, until)
            error = None
        finally:
            periodic.finish(ctx, task_id, every, error, ran_at=until if error is None else since)


def send_report(ctx: AppContext, since: datetime, until: datetime) -> int | None:
    """Email the admin the messages quarantined after `since`, up to `until`; the outbox
    id, or None when there was nothing to report."""
    settings = ctx.settings
    recent = (InboxMessage.processed_at > since) & (InboxMessage.processed_at <= until)
    with ctx.transaction() as session:
        total = session.scalar(
            select(func.count())
            .select_from(InboxMessage)
            .where(InboxMessage.status == "quarantined", recent)
        )
        if not total:
            return None
        shown = [
            Quarantined(*row)
            for row in session.execute(_QUARANTINED.where(recent).limit(SHOWN_IN_REPORT))
        ]
        domain = settings.mail.message_id_domain
        envelope = Envelope(
            sender=our_address(settings),
            to=Address(addr_spec=settings.app.admin_email),
            message_id=f"<quarantine-{until:%Y%m%d%H%M%S}-{total}@{domain}>",
        )
        context = {
            "total": total,
            "since": f"{since:%Y-%m-%d %H:%M} UTC",
            "messages": [
                {**asdict(item), "received_at": f"{item.received_at:%Y-%m-%d %H:%M} UTC"}
                for item in shown
            ],
            "organisation": settings.app.organisation,
        }
        notice = record_once(ctx, session, "quarantine_report", envelope, lambda: context)
    if notice is not None:
        outbox.deliver(ctx, [notice])
    return notice
