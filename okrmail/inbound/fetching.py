"""Reading the mailbox: the receiver the settings name, the tick's claim, the fetch job.

The tick stays cheap: one conditional UPDATE on the "fetch-mail" periodic task's row
(okrmail.periodic) claims a fetch at most once per `inbound.fetch_interval_seconds`; the
job does the slow part, the mailbox, then makes the task due again. Each
batch is stored (committed) before its messages are moved out of the folder, so a crash
in between means a re-read that the ledger recognises, never a lost reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from connectors.mail.imap import ImapConfig
from connectors.mail.inbound import MailKey, MailReceiver, build_mail_receiver
from connectors.mail.maildir_in import MaildirInConfig
from okrmail import outbox, periodic
from okrmail.app import AppContext
from okrmail.inbound.confirmation import send_confirmations
from okrmail.inbound.ingest import (
    Incoming,
    Outcome,
    follow_up_outcomes,
    ingest_batch,
    known_keys,
    reprocess_stuck,
)
from okrmail.settings import Settings

log = logging.getLogger(__name__)
# Messages stored (then moved) per transaction. A batch costs some fifteen statements
# whatever its size (one round trip each on PostgreSQL) and two commits, paid once per
# chunk; 100 keeps a chunk's transaction to about a tenth of a second.
CHUNK = 100


def _maildir_config(settings: Settings) -> MaildirInConfig:
    return MaildirInConfig(path=settings.data_path(settings.inbound.maildir))


def _imap_config(settings: Settings) -> ImapConfig:
    imap = settings.inbound.imap
    return ImapConfig(
        host=imap.host,
        port=imap.port,
        security=imap.security,
        username=imap.username,
        password=imap.password.get_secret_value(),
        folder=imap.folder,
        processed_folder=imap.processed_folder,
        timeout_seconds=imap.timeout_seconds,
    )


# Each receiver's configuration, built from the settings (the registry picks the class).
RECEIVER_CONFIGS: dict[str, Callable[[Settings], Any]] = {
    "maildir": _maildir_config,
    "imap": _imap_config,
    "none": lambda settings: None,
}


def build_receiver(settings: Settings) -> MailReceiver:
    name = settings.inbound.provider
    return build_mail_receiver(name, RECEIVER_CONFIGS[name](settings))


# -- the tick's side ---------------------------------------------------------------------

TASK = "fetch-mail"


def claim_fetch(ctx: AppContext, session: Session, now: datetime, lease: timedelta) -> list[int]:
    """The periodic task's id when a fetch is due (at most once per
    inbound.fetch_interval_seconds). Also with no provider to fetch from (mail piped to
    `okrmail ingest`): the job still processes what was stored but never processed, and
    sends confirmations left due."""
    return periodic.claim(session, TASK, now, lease)


# -- the job -----------------------------------------------------------------------------


@dataclass
class FetchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            label = "duplicate" if outcome.duplicate else outcome.status
            counts[label] = counts.get(label, 0) + 1
        summary = ", ".join(f"{label}: {count}" for label, count in sorted(counts.items()))
        line = f"fetched {len(self.outcomes)} message(s)" + (f" ({summary})" if summary else "")
        return f"{line}; error: {self.error}" if self.error else line


def fetch_mail(ctx: AppContext, ids: list[int]) -> None:
    """The tick's job: fetch once for the claimed task, then release it."""
    interval = timedelta(seconds=ctx.settings.inbound.fetch_interval_seconds)
    for task_id in ids:
        report = FetchReport(error="the fetch stopped unexpectedly")
        try:
            report = run_fetch(ctx)
        finally:
            periodic.finish(ctx, task_id, interval, report.error)


def run_fetch(ctx: AppContext, receiver: MailReceiver | None = None) -> FetchReport:
    """Read every waiting message (up to inbound.fetch_batch), ingest, confirm, deliver."""
    receiver = receiver or build_receiver(ctx.settings)
    report = FetchReport()
    try:
        for batch in _batches(receiver.fetch(_known(ctx), ctx.settings.inbound.fetch_batch)):
            report.outcomes += _ingest_and_move(ctx, receiver, batch)
    except ConnectorError as error:
        report.error = error.message
        log.warning("fetching mail failed: %s", error.message)
    finally:
        receiver.close()
    lease = timedelta(seconds=ctx.settings.tick.claim_lease_seconds)
    # Stored but never processed (a crash between the steps): process them now.
    report.outcomes += reprocess_stuck(ctx, older_than=lease)
    leftover = send_confirmations(ctx)  # left due by an earlier run that stopped half-way
    if leftover:
        outbox.deliver(ctx, leftover)
    return report


def _known(ctx: AppContext) -> Callable[[Any], set[MailKey]]:
    return lambda keys: known_keys(ctx, keys)


def _batches(messages: Iterator[tuple[MailKey, bytes]]) -> Iterator[list[tuple[MailKey, bytes]]]:
    batch: list[tuple[MailKey, bytes]] = []
    for item in messages:
        batch.append(item)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _ingest_and_move(
    ctx: AppContext, receiver: MailReceiver, batch: list[tuple[MailKey, bytes]]
) -> list[Outcome]:
    items = [Incoming(raw, receiver.name, key) for key, raw in batch]
    outcomes = ingest_batch(ctx, items, follow_up=False)
    # Stored and committed: only now may the messages leave the folder.
    for key, _ in batch:
        receiver.mark_processed(key)
    follow_up_outcomes(ctx, outcomes)
    return outcomes
