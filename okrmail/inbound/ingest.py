"""Ingest: raw bytes in, a stored Inbox row with a status (and a check-in) out.

1. `store` commits every message raw, deduplicated by Message-ID (by content hash when it
   has none) and by ledger key, before anything parses it.
2. `process` assesses the stored messages and records the verdicts: the replies of a
   batch merged at once (redone one savepoint per reply if that fails), robots and
   bounces one savepoint each, and so is telling a person that a reply to their prompt
   came from another address. A message that breaks the pipeline is quarantined with the
   error as its reason, and the others in the batch are unaffected. Nothing is dropped.
3. After the commit, confirmations and notices are recorded and delivered.

A batch shares one transaction per step, which is what makes a fetch of hundreds of
replies cheap; `ingest` is the one-message case (`okrmail ingest`).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.mail.inbound import MailKey
from okrmail import outbox
from okrmail.app import AppContext
from okrmail.inbound import headers, unaddressed
from okrmail.inbound.absences import answer_manager, record_away_note, settle_checkin_absences
from okrmail.inbound.assess import Assessment, decide, first_look
from okrmail.inbound.bulk import Bulk
from okrmail.inbound.checkins import ReplyToMerge, merge_replies
from okrmail.inbound.confirmation import send_confirmations
from okrmail.inbound.directory import Directory
from okrmail.inbound.notices import record_auto_reply, record_bounce, tell_recipient
from okrmail.models import InboxMessage
from okrmail.replies.body import parse_message

log = logging.getLogger(__name__)
_INBOX: Table = InboxMessage.__table__  # type: ignore[assignment]
# Statements built once: building one costs more than running it on a batch's worth of
# rows (SQLAlchemy caches the compiled form, not the construction).
_INSERT_INBOX = insert(_INBOX).returning(_INBOX.c.id, _INBOX.c.message_id, _INBOX.c.sha256)
_INSERT_ONE = insert(_INBOX).returning(_INBOX.c.id)
_BY_MESSAGE_ID = select(_INBOX.c.message_id, _INBOX.c.id).where(
    _INBOX.c.message_id.in_(bindparam("ids", expanding=True))
)
_BY_HASH = select(_INBOX.c.sha256, _INBOX.c.id).where(
    _INBOX.c.sha256.in_(bindparam("hashes", expanding=True)), _INBOX.c.message_id.is_(None)
)
_UNPROCESSED = (
    select(_INBOX.c.id, _INBOX.c.sent_at, _INBOX.c.raw)
    .where(_INBOX.c.id.in_(bindparam("ids", expanding=True)), _INBOX.c.status == "received")
    .order_by(_INBOX.c.id)
)
# Without the raw bytes, for a batch whose bytes are still in memory (most of a row).
_UNPROCESSED_HELD = _UNPROCESSED.with_only_columns(_INBOX.c.id, _INBOX.c.sent_at)
_UNPROCESSED_QUERIES = {
    (postgresql, held): (query.with_for_update(skip_locked=True) if postgresql else query)
    for postgresql in (False, True)
    for held, query in ((False, _UNPROCESSED), (True, _UNPROCESSED_HELD))
}
_RECORD_STATUS = Bulk(update(_INBOX).where(_INBOX.c.id == bindparam("inbox_id")))
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class Incoming:
    """One message to ingest: its bytes, where it came from (imap, maildir, stdin, smtp)
    and, when a mailbox holds it, its ledger key."""

    raw: bytes
    source: str
    key: MailKey | None = None


@dataclass(frozen=True)
class Stored:
    inbox_id: int
    duplicate: bool


@dataclass
class Outcome:
    """What became of one stored message."""

    inbox_id: int
    status: str
    reason: str | None = None
    duplicate: bool = False
    prompt_id: int | None = None
    person_id: int | None = None
    checkin_id: int | None = None
    outbox_ids: list[int] = field(default_factory=list)


# -- 1. store ----------------------------------------------------------------------------


def store(
    ctx: AppContext, items: Sequence[Incoming], parsed: Sequence[Message] | None = None
) -> list[Stored]:
    """Commit each message raw (or find its earlier copy); one result per item, in order.

    `parsed`: the messages already parsed (`parse_message`), one per item; else only their
    header blocks are read here."""
    now = ctx.now()
    peeked = list(parsed) if parsed is not None else [peek_headers(item.raw) for item in items]
    try:
        with ctx.transaction(immediate=True) as session:
            return _store(session, items, peeked, now, careful=False)
    except IntegrityError:
        # Another worker stored one of these between our check and our insert: go again,
        # one savepoint per message, so the rest still land.
        with ctx.transaction(immediate=True) as session:
            return _store(session, items, peeked, now, careful=True)


def _store(
    session: Session,
    items: Sequence[Incoming],
    peeked: Sequence[Message],
    now: datetime,
    *,
    careful: bool,
) -> list[Stored]:
    # Each message's row, and its dedupe key read from it (a copy's row goes unused).
    rows = [_row(item, head, now) for item, head in zip(items, peeked, strict=True)]
    keys = [_key_of_row(row["message_id"], row["sha256"]) for row in rows]
    earlier = _existing(session, keys)  # dedupe key -> inbox id
    added: dict[str, dict[str, Any]] = {}  # new in this batch (a later copy is a duplicate)
    plan: list[tuple[str, bool]] = []  # (dedupe key, duplicate?) per item, in order
    for row, key in zip(rows, keys, strict=True):
        if key in earlier or key in added:
            plan.append((key, True))
            continue
        if careful:
            found = _insert_carefully(session, row, key)
            if found is not None:
                earlier[key] = found
                plan.append((key, True))
                continue
        added[key] = row
        plan.append((key, False))
    if added and not careful:
        # One INSERT for the batch; its ids matched up by dedupe key (asking for them in
        # parameter order instead would cost one statement per row on SQLite).
        rows = session.execute(_INSERT_INBOX, list(added.values()))
        for inbox_id, message_id, sha256 in rows:
            added[_key_of_row(message_id, sha256)]["id"] = inbox_id
    ids = {**earlier, **{key: row["id"] for key, row in added.items()}}
    return [Stored(ids[key], duplicate) for key, duplicate in plan]


def _insert_carefully(session: Session, row: dict[str, Any], key: str) -> int | None:
    """Insert in a savepoint; the id of the earlier copy when there is one."""
    try:
        with session.begin_nested():
            row["id"] = session.execute(_INSERT_ONE, row).scalar_one()
        return None
    except IntegrityError:
        earlier = _existing(session, [key]).get(key)
        if earlier is not None:
            return earlier
    # Same ledger key, different message (a server reusing UIDs): keep it, without the key.
    row.update(account=None, folder=None, uidvalidity=None, uid=None)
    with session.begin_nested():
        row["id"] = session.execute(_INSERT_ONE, row).scalar_one()
    return None


def peek_headers(raw: bytes) -> Message:
    """The header block only (fast: the body is not even read, no header objects)."""
    end = _HEADER_END.search(raw)
    return BytesHeaderParser(policy=compat32).parsebytes(raw[: end.end()] if end else raw)


def _key_of_row(message_id: str | None, sha256: str | None) -> str:
    return f"id:{message_id}" if message_id else f"sha:{sha256}"


def _existing(session: Session, keys: Sequence[str]) -> dict[str, int]:
    """Dedupe keys already stored -> their inbox ids."""
    ids = [key[3:] for key in keys if key.startswith("id:")]
    hashes = [key[4:] for key in keys if key.startswith("sha:")]
    found: dict[str, int] = {}
    if ids:
        rows = session.execute(_BY_MESSAGE_ID, {"ids": ids})
        found.update({f"id:{message_id}": inbox_id for message_id, inbox_id in rows})
    if hashes:
        rows = session.execute(_BY_HASH, {"hashes": hashes})
        found.update({f"sha:{digest}": inbox_id for digest, inbox_id in rows})
    return found


def _row(item: Incoming, head: Message, now: datetime) -> dict[str, Any]:
    key = item.key
    return {
        "message_id": headers.own_message_id(head),
        "sha256": hashlib.sha256(item.raw).hexdigest(),
        "raw": item.raw,
        "size": len(item.raw),
        "source": item.source,
        "account": key.account if key else None,
        "folder": key.folder if key else None,
        "uidvalidity": key.uidvalidity if key else None,
        "uid": key.uid if key else None,
        "received_at": now,
        "status": "received",
        "sender": headers.sender(head)[:320] or None,
        "subject": headers.subject(head)[:1000] or None,
        "sent_at": headers.date(head),
    }


def known_keys(ctx: AppContext, keys: Sequence[MailKey]) -> set[MailKey]:
    """The ledger keys among `keys` already stored (so receivers skip their bodies)."""
    known: set[MailKey] = set()
    groups: dict[tuple[str, str, int], list[str]] = {}
    for key in keys:
        groups.setdefault((key.account, key.folder, key.uidvalidity), []).append(key.uid)
    with ctx.sessions() as session:
        for (account, folder, uidvalidity), uids in groups.items():
            for start in range(0, len(uids), 500):
                found = session.scalars(
                    select(InboxMessage.uid).where(
                        InboxMessage.account == account,
                        InboxMessage.folder == folder,
                        InboxMessage.uidvalidity == uidvalidity,
                        InboxMessage.uid.in_(uids[start : start + 500]),
                    )
                )
                known.update(MailKey(account, folder, uidvalidity, uid) for uid in found if uid)
    return known


# -- 2. process --------------------------------------------------------------------------


def process(
    ctx: AppContext, inbox_ids: Sequence[int], parsed: Mapping[int, Parsed] | None = None
) -> list[Outcome]:
    """Assess and record each stored message still `received`, in one transaction.
    `parsed`: messages held in memory, already parsed, by inbox id (the rest are read and
    parsed from the database).

    The batch is read in one query, looked up in a few (`Directory.preload`), its replies
    merged into check-ins with one statement per kind of write, then its robots and
    bounces recorded, and its statuses written in one UPDATE. Whatever breaks on one
    message quarantines that message with the error as its reason, and the others are
    unaffected.
    """
    with ctx.transaction(immediate=True) as session:
        parsed = parsed or {}
        received = _unprocessed(session, inbox_ids, parsed)
        directory = Directory(session, ctx.settings.mail.reply_address)
        looks = {
            item.id: _first_look(item, held.message if (held := parsed.get(item.id)) else None)
            for item in received
        }
        preloaded = _preload(session, directory, looks.values())
        outcomes: dict[int, Outcome] = {}
        replies: list[tuple[Received, Assessment]] = []
        robots: list[tuple[Received, Assessment]] = []
        strays: list[tuple[int, Assessment]] = []  # replies from another address than the prompt's
        # Our people's mail that names no check-in, or one too old to record.
        astray: list[tuple[int, Assessment]] = []
        away: list[tuple[int, Assessment]] = []  # notes that their writer is away
        for item in received:
            found = looks[item.id]
            if found is None:
                outcomes[item.id] = _broken(item.id, "could not be read")
            elif found.classification.kind != "reply":
                robots.append((item, found))
            else:
                outcome = _decide_reply(ctx, directory, None if preloaded else session, item, found)
                if outcome is None:
                    replies.append((item, found))
                else:
                    outcomes[item.id] = outcome
                    if found.wrong_sender:
                        strays.append((item.id, found))
                    elif found.status == "away":
                        away.append((item.id, found))
                    elif unaddressed.believed_recorded(found):
                        astray.append((item.id, found))
        outcomes.update(_record_checkins(ctx, session, replies))
        _settle_absences(ctx, session, [(found, outcomes[item.id]) for item, found in replies])
        # Robots and bounces after the replies: a reply proves its prompt was delivered,
        # whichever order the two arrived in. Rare, and they write notices: a savepoint each.
        for item, found in robots:
            outcomes[item.id] = _process_robot(ctx, directory, session, item, found)
        for inbox_id, found in away:
            _notice(ctx, session, record_away_note, inbox_id, found, outcomes[inbox_id])
        for inbox_id, found in strays:
            _notice(ctx, session, _answer_stray, inbox_id, found, outcomes[inbox_id])
        for inbox_id, found in astray:
            _notice(ctx, session, unaddressed.tell_sender, inbox_id, found, outcomes[inbox_id])
        ordered = [outcomes[item.id] for item in received]
        texts = {inbox_id: found.text for inbox_id, found in looks.items() if found}
        now = ctx.now()
        statuses = [_status_row(outcome, texts.get(outcome.inbox_id), now) for outcome in ordered]
        _RECORD_STATUS.execute(session, statuses)
    return ordered


def _status_row(outcome: Outcome, body_text: str | None, now: datetime) -> dict[str, Any]:
    return {
        "inbox_id": outcome.inbox_id,
        "status": outcome.status,
        "reason": headers.clean(outcome.reason) if outcome.reason else None,
        "prompt_id": outcome.prompt_id,
        "person_id": outcome.person_id,
        "body_text": body_text,
        "processed_at": now,
    }


@dataclass(frozen=True)
class Parsed:
    """A stored message still in memory: its bytes and their parse."""

    raw: bytes
    message: Message


@dataclass(frozen=True)
class Received:
    """A stored message as processing reads it. Not the ORM row: loading it, and flushing
    its changes piecemeal, costs more than the rest of the bookkeeping together."""

    id: int
    raw: bytes
    sent_at: datetime | None


def _unprocessed(
    session: Session, inbox_ids: Sequence[int], held: Mapping[int, Parsed]
) -> list[Received]:
    """The messages among `inbox_ids` still `received`, in order; on PostgreSQL, those
    another worker is processing right now are skipped (it holds their row locks). The
    raw bytes are read only for messages not `held` in memory."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    in_memory = all(inbox_id in held for inbox_id in inbox_ids)
    rows = session.execute(_UNPROCESSED_QUERIES[postgresql, in_memory], {"ids": list(inbox_ids)})
    if in_memory:
        return [Received(row.id, held[row.id].raw, row.sent_at) for row in rows]
    return [Received(row.id, row.raw, row.sent_at) for row in rows]


def _broken(inbox_id: int, what: str, error: BaseException | None = None) -> Outcome:
    """The outcome of a message that broke the pipeline: kept for a person to look at."""
    log.error("inbox message #%s %s", inbox_id, what, exc_info=error)
    detail = f" ({type(error).__name__}: {str(error)[:200]})" if error else ""
    return Outcome(inbox_id, "quarantined", f"{what}{detail}; kept for a person to look at")


def _first_look(item: Received, message: Message | None) -> Assessment | None:
    try:
        return first_look(item.raw, message)
    except Exception:  # parsing never raises by design; if it does, the message is kept
        log.exception("inbox message #%s could not be read", item.id)
        return None


def _preload(session: Session, directory: Directory, looks: Iterable[Assessment | None]) -> bool:
    """Preload the batch's lookups; False when that failed (each message then looks its
    own up, in a savepoint, so one message cannot sink the batch)."""
    try:
        with session.begin_nested():
            directory.preload(found.message for found in looks if found is not None)
        return True
    except Exception:
        log.exception("preloading a batch failed; each message looks its own up")
        return False


def _decide_reply(
    ctx: AppContext,
    directory: Directory,
    careful: Session | None,
    item: Received,
    found: Assessment,
) -> Outcome | None:
    """The outcome of a reply that will not be merged; None for one that will. With
    `careful` (the batch was not preloaded, so deciding runs queries), in a savepoint."""
    try:
        if careful is None:
            decide(directory, found, ctx.settings, ctx.now())
        else:
            with careful.begin_nested():
                decide(directory, found, ctx.settings, ctx.now())
    except Exception as error:  # whatever broke, the message is kept for a person
        return _broken(item.id, "could not be processed", error)
    if found.status == "checkin":
        return None
    return _outcome(item.id, found)


def _outcome(inbox_id: int, found: Assessment) -> Outcome:
    outcome = Outcome(inbox_id, found.status, found.reason)
    outcome.prompt_id = found.prompt.id if found.prompt else None
    outcome.person_id = found.person.id if found.person else None
    return outcome


def _process_robot(
    ctx: AppContext, directory: Directory, session: Session, item: Received, found: Assessment
) -> Outcome:
    """Decide on and record an auto-reply or a bounce, in a savepoint of its own."""
    try:
        with session.begin_nested():
            decide(directory, found, ctx.settings, ctx.now())
            outcome = _outcome(item.id, found)
            if found.status == "bounce":
                record_bounce(ctx, session, item.id, item.raw, found, outcome)
            elif found.status == "auto-reply":
                record_auto_reply(ctx, found, outcome)
            return outcome
    except Exception as error:  # whatever broke, the message is kept for a person
        return _broken(item.id, "could not be processed", error)


def _answer_stray(
    ctx: AppContext, session: Session, inbox_id: int, found: Assessment, outcome: Outcome
) -> None:
    """A reply to a prompt from another address than its person's: their manager's is
    answered as such; anyone else's is reported to the person."""
    if not answer_manager(ctx, session, inbox_id, found, outcome):
        tell_recipient(ctx, session, found, outcome)


def _notice(
    ctx: AppContext,
    session: Session,
    record: Callable[[AppContext, Session, int, Assessment, Outcome], None],
    inbox_id: int,
    found: Assessment,
    outcome: Outcome,
) -> None:
    """Record what a message changes beyond a check-in (a person marked away, someone
    told), in a savepoint: should that fail, the message keeps the status it was given
    (the outcome is restored)."""
    before = replace(outcome, outbox_ids=list(outcome.outbox_ids))
    try:
        with session.begin_nested():
            record(ctx, session, inbox_id, found, outcome)
        return
    except IntegrityError:  # another worker recorded the same notice a moment ago
        log.info("inbox message #%s: its notice is being recorded already", inbox_id)
    except Exception:
        log.exception("recording what inbox message #%s changes failed", inbox_id)
    vars(outcome).update(vars(before))


def _settle_absences(
    ctx: AppContext, session: Session, checkins: Sequence[tuple[Assessment, Outcome]]
) -> None:
    """Who is away, now that these check-ins came (`settle_checkin_absences`), in a
    savepoint: should that fail, the check-ins stand and the absences stay as they were."""
    if not checkins:
        return
    before = [(outcome, outcome.reason) for _, outcome in checkins]
    try:
        with session.begin_nested():
            settle_checkin_absences(ctx, session, checkins)
    except Exception:
        log.exception("settling the absences of %s check-ins failed", len(checkins))
        session.expire_all()
        for outcome, reason in before:
            outcome.reason = reason


def _record_checkins(
    ctx: AppContext, session: Session, replies: Sequence[tuple[Received, Assessment]]
) -> dict[int, Outcome]:
    """Merge the batch's replies into check-ins: all at once, or, when that fails (one bad
    message, or another worker creating the same check-in), one savepoint per reply."""
    if not replies:
        return {}
    try:
        with session.begin_nested():
            return _merge(ctx, session, replies)
    except Exception:
        log.info("merging %s replies at once failed; merging one by one", len(replies))
        # Whatever the failed attempt left in memory is read again from the database.
        session.expire_all()
    outcomes: dict[int, Outcome] = {}
    for item, found in replies:
        for attempt in (1, 2):
            try:
                with session.begin_nested():
                    outcomes.update(_merge(ctx, session, [(item, found)]))
                break
            except Exception as error:
                session.expire_all()
                # An IntegrityError the first time: a rival worker created the check-in a
                # moment ago. It is there now, so the second attempt merges into it.
                if attempt == 2 or not isinstance(error, IntegrityError):
                    outcomes[item.id] = _broken(item.id, "could not be recorded", error)
                    break
    return outcomes


def _merge(
    ctx: AppContext, session: Session, replies: Sequence[tuple[Received, Assessment]]
) -> dict[int, Outcome]:
    now = ctx.now()
    pending = []
    for item, found in replies:
        prompt, parsed = found.prompt, found.parsed
        assert prompt is not None and parsed is not None
        answered_at = _written_at(item.sent_at, prompt.sent_at, now)
        pending.append(
            ReplyToMerge(item.id, prompt, found.text, parsed, found.key_results, answered_at)
        )
    checkin_ids = merge_replies(session, pending, now=now, confirm=ctx.settings.inbound.confirm)
    outcomes = {}
    for (item, found), checkin_id in zip(replies, checkin_ids, strict=True):
        outcome = _outcome(item.id, found)
        outcome.checkin_id = checkin_id
        how = found.route.how if found.route else ""
        outcome.reason = f"recorded in check-in #{checkin_id} ({how})"
        outcomes[item.id] = outcome
    return outcomes


def _written_at(dated: datetime | None, prompt_sent_at: datetime | None, now: datetime) -> datetime:
    """When the person wrote it: the Date header, but never in the future or before the
    prompt went out (clocks and headers lie)."""
    written = min(dated or now, now)
    if prompt_sent_at is not None:
        written = max(written, prompt_sent_at)
    return written


# -- 3. the whole pipeline ---------------------------------------------------------------


def ingest_batch(
    ctx: AppContext, items: Sequence[Incoming], *, follow_up: bool = True
) -> list[Outcome]:
    """Store, process, then (with follow_up) confirm and deliver; one Outcome per item."""
    messages = [parse_message(item.raw) for item in items]  # parsed once, read by both steps
    stored = store(ctx, items, messages)
    # Copies too: one stored before but never processed (its first delivery broke after
    # storing it, and the sender tries again) is processed now. `process` passes over
    # those processed already, as it reads only messages still `received`.
    held: dict[int, Parsed] = {}
    for entry, item, message in zip(stored, items, messages, strict=True):
        held.setdefault(entry.inbox_id, Parsed(item.raw, message))
    by_id = {outcome.inbox_id: outcome for outcome in process(ctx, list(held), held)}
    outcomes = _outcomes(ctx, stored, by_id)
    if follow_up:
        follow_up_outcomes(ctx, outcomes)
    return outcomes


def ingest(ctx: AppContext, raw: bytes, *, source: str = "stdin") -> Outcome:
    return ingest_batch(ctx, [Incoming(raw, source)])[0]


def follow_up_outcomes(ctx: AppContext, outcomes: Sequence[Outcome]) -> int:
    """Confirm the check-ins these messages touched and deliver what they queued."""
    checkins = sorted({o.checkin_id for o in outcomes if o.checkin_id is not None})
    outbox_ids = [row for o in outcomes for row in o.outbox_ids]
    if checkins and ctx.settings.inbound.confirm:
        outbox_ids += send_confirmations(ctx, checkins)
    return outbox.deliver(ctx, outbox_ids) if outbox_ids else 0


def _outcomes(
    ctx: AppContext, stored: Sequence[Stored], processed: dict[int, Outcome]
) -> list[Outcome]:
    """One outcome per stored item. What processing queued (`outbox_ids`) goes with the
    first item of each message, the one a caller follows up."""
    outcomes, followed = [], set()
    for entry in stored:
        outcome = processed.get(entry.inbox_id)
        if outcome is None:
            outcomes.append(_earlier(ctx, entry.inbox_id, entry.duplicate))
            continue
        if entry.inbox_id in followed:
            outcome = replace(outcome, outbox_ids=[])
        followed.add(entry.inbox_id)
        outcomes.append(replace(outcome, duplicate=True) if entry.duplicate else outcome)
    return outcomes


def _earlier(ctx: AppContext, inbox_id: int, duplicate: bool) -> Outcome:
    """The outcome already on record (a duplicate, or processed by another worker)."""
    with ctx.sessions() as session:
        row = session.get(InboxMessage, inbox_id)
        assert row is not None
        return Outcome(
            inbox_id, row.status, row.reason, duplicate=duplicate, prompt_id=row.prompt_id
        )


def reprocess_stuck(ctx: AppContext, older_than: timedelta, limit: int = 200) -> list[Outcome]:
    """Process messages stored but never processed (a crash between the two steps), or
    released from quarantine but not processed again; either for `older_than`."""
    cutoff = ctx.now() - older_than
    # A released message keeps its old received_at; processed_at says when it was released.
    waiting_since = func.coalesce(InboxMessage.processed_at, InboxMessage.received_at)
    with ctx.sessions() as session:
        ids = list(
            session.scalars(
                select(InboxMessage.id)
                .where(InboxMessage.status == "received", waiting_since < cutoff)
                .order_by(InboxMessage.id)
                .limit(limit)
            )
        )
    return process(ctx, ids) if ids else []
