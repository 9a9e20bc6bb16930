"""The manager's pre-meeting digest: when it is due, and sending it exactly once.

One Digest row per meeting, created with the meeting. In `before_meeting` mode it goes
`lead_hours` before the meeting; in `morning` mode at `morning_time` on the meeting's day
(manager's zone), and all of one manager's digests due at the same moment go as one email.
Either way it waits for the report to have had a fair chance to answer a prompt that went
out late (a meeting moved to short notice). A moved meeting re-times its digest; one moved
later after its digest went out gets a fresh one before the new time (another row, for the
new start), saying what changed since. When it comes due it goes if there is something to
say: the move took the meeting to another day or more than BRIEFED_WITHIN from the time the
digest sent was for, or the report answered since that digest; else it is skipped (status
"skipped": the one sent still briefs the meeting). Until then the reminders run to it, as
for any move. A cancelled meeting cancels its digest.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.digest_view import digest_context
from okrmail.emails import Envelope, build_email, our_address
from okrmail.models import CheckIn, Digest, Meeting, Pairing, Person, Prompt
from okrmail.prompting import send_time
from okrmail.settings import DigestSettings, parse_clock

log = logging.getLogger(__name__)

# The report's time to answer a prompt before the digest says they have not: a digest due
# sooner after the prompt waits ...
ANSWER_TIME = timedelta(hours=1)
# ... but leaves the manager this long to read it before the meeting.
READING_TIME = timedelta(minutes=15)
# A digest sent still briefs a meeting moved by no more than this, either way, on the same
# day (the manager's), when nothing was answered since it went: a second one would say only
# "nothing new". Checked when the fresh digest comes due, so an answer up to then counts.
BRIEFED_WITHIN = timedelta(hours=3)


def planned_time(
    meeting_start: datetime,
    manager: Person,
    rules: DigestSettings,
    prompted_at: datetime | None = None,
) -> datetime:
    """When the digest for a meeting at `meeting_start` is due as planned (may be past):
    `lead_hours` before, or in morning mode that morning; but no sooner than ANSWER_TIME
    after the report's prompt (`prompted_at`), unless that leaves the manager less than
    READING_TIME before the meeting. So a meeting moved to 90 minutes ahead has its digest
    30 minutes before it, with whatever the report answered by then."""
    due = meeting_start - timedelta(hours=rules.lead_hours)
    if rules.mode == "morning":
        zone = ZoneInfo(manager.timezone)
        day = meeting_start.astimezone(zone).date()
        morning = datetime.combine(day, parse_clock(rules.morning_time), tzinfo=zone)
        if morning < meeting_start:
            due = morning.astimezone(meeting_start.tzinfo)
    if prompted_at is not None:
        due = max(due, min(prompted_at + ANSWER_TIME, meeting_start - READING_TIME))
    return due


def digest_time(
    meeting_start: datetime,
    manager: Person,
    rules: DigestSettings,
    now: datetime,
    prompted_at: datetime | None = None,
) -> datetime:
    """When the digest for a meeting starting at `meeting_start` is due (never in the past)."""
    return max(planned_time(meeting_start, manager, rules, prompted_at), min(now, meeting_start))


def prompted_at(session: Session, meeting: Meeting) -> datetime | None:
    """When the report's prompt for `meeting` went out, or is to; None when it will not."""
    prompt = session.scalar(
        select(Prompt).where(Prompt.meeting_id == meeting.id, Prompt.role == "report")
    )
    if prompt is None or prompt.status == "cancelled":
        return None
    return prompt.sent_at or prompt.send_at


def schedule_digest(ctx: AppContext, session: Session, meeting: Meeting, pairing: Pairing) -> None:
    # The prompt was planned a moment ago, with the same rule (no query: bulk booking).
    prompt_at = send_time(meeting.start, pairing.report, ctx.settings.prompts, ctx.now())
    session.add(
        Digest(
            meeting=meeting,
            meeting_start=meeting.start,
            manager_id=pairing.manager_id,
            send_at=digest_time(
                meeting.start, pairing.manager, ctx.settings.digest, ctx.now(), prompt_at
            ),
            status="pending",
        )
    )


def _digests_of(session: Session, meeting: Meeting, *, lock: bool = False) -> list[Digest]:
    """The meeting's digests, oldest first; `lock`: rows locked (PostgreSQL) against a
    send in flight, which then commits first and is seen as sent."""
    query = select(Digest).where(Digest.meeting_id == meeting.id).order_by(Digest.id)
    return list(session.scalars(query.with_for_update() if lock else query))


def current_digest(session: Session, meeting: Meeting) -> Digest | None:
    """The digest for the meeting as it stands: the one still to go (or cancelled with the
    meeting), else the last one sent (a skipped one left it to serve)."""
    digests = _digests_of(session, meeting)
    unsent = [digest for digest in digests if digest.status in {"pending", "cancelled"}]
    return (unsent or digests or [None])[-1]


def digest_sent(session: Session, meeting: Meeting) -> bool:
    digest = current_digest(session, meeting)
    return digest is not None and digest.status == "sent"


def digest_due(ctx: AppContext, session: Session, meeting: Meeting) -> datetime | None:
    """When the manager's digest for `meeting` went out, or when it is due as the meeting
    stands now (moves re-time the digest before the reminders, which read this). None when
    no digest will go (cancelled, or none)."""
    digest = current_digest(session, meeting)
    if digest is None or digest.status == "cancelled":
        return None
    if digest.status == "sent" and digest.sent_at is not None:
        return digest.sent_at
    return digest.send_at


def retime_digest(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a move: the digest follows the meeting. One already sent stays sent, and
    still serves when it went out no earlier than one for the new time would (moved
    earlier, or back to the time it was for); else a fresh one is due before the new
    time (a skipped one is planned again), which `send_digests` skips if the move was
    small and nothing was answered by then (`_nothing_new`)."""
    digests = _digests_of(session, meeting, lock=True)
    waiting = [digest for digest in digests if digest.status == "pending"]
    skipped = [digest for digest in digests if digest.status == "skipped"]
    sent = [digest for digest in digests if digest.status == "sent"]
    prompt_at = prompted_at(session, meeting)
    if not digests or (not waiting and not sent):
        return  # none planned, or cancelled with the meeting
    manager = session.get_one(Person, digests[0].manager_id)
    due = planned_time(meeting.start, manager, ctx.settings.digest, prompt_at)
    if any(_serves(digest, meeting, due) for digest in sent):
        for digest in waiting:
            session.delete(digest)
        return
    # A skipped row is reused (not added to): one row per start (unique), and a skipped
    # row left for another start could take the new one.
    waiting += skipped
    if not waiting:
        waiting = [Digest(meeting=meeting, manager_id=manager.id, status="pending")]
        session.add(waiting[0])
    fresh, *extra = waiting
    for digest in extra:
        session.delete(digest)
    if extra:
        session.flush()  # the rows deleted free their starts before the fresh one takes one
    fresh.status = "pending"
    fresh.meeting_start = meeting.start
    fresh.send_at = max(due, min(ctx.now(), meeting.start))
    fresh.claim_expires_at = None


def _serves(digest: Digest, meeting: Meeting, due: datetime) -> bool:
    """Whether a digest sent earlier still serves the meeting as it is now, whose digest
    would be due at `due`: it was for this time, or went no earlier than one for it would
    (whatever is answered after it is news for the meeting as much as if it had not moved).
    A small move is not decided here but when the fresh digest is due (`_nothing_new`):
    an answer may still come before then, and the reminders run to that time."""
    if digest.meeting_start == meeting.start:
        return True
    return digest.sent_at is not None and digest.sent_at >= due


def _nothing_new(session: Session, digest: Digest) -> bool:
    """Whether the digest about to go would only repeat the last one sent for its meeting:
    the meeting moved a little since (`_moved_a_little`) and nothing was answered since
    that one went."""
    last = previous_digests(session, [digest]).get(digest.meeting_id)
    if last is None or last.sent_at is None:
        return False
    return _moved_a_little(last.meeting_start, digest.meeting_start, digest.manager) and (
        not _answered_since(session, digest.meeting, last.sent_at)
    )


def _moved_a_little(briefed: datetime, start: datetime, manager: Person) -> bool:
    """Moved by at most BRIEFED_WITHIN from `briefed`, either way, on the same day where
    the manager is (a digest about "today" still reads true). Earlier moves rarely get
    this far: the digest sent then usually went no earlier than one for the new time."""
    zone = ZoneInfo(manager.timezone)
    same_day = briefed.astimezone(zone).date() == start.astimezone(zone).date()
    return same_day and abs(start - briefed) <= BRIEFED_WITHIN


def _answered_since(session: Session, meeting: Meeting, since: datetime) -> bool:
    """Whether a check-in for the meeting came, or was added to, after `since`."""
    found = session.scalar(
        select(CheckIn.id)
        .join(Prompt, CheckIn.prompt_id == Prompt.id)
        .where(Prompt.meeting_id == meeting.id)
        .where(or_(CheckIn.created_at > since, CheckIn.updated_at > since))
        .limit(1)
    )
    return found is not None


def follow_prompt(ctx: AppContext, session: Session, meeting: Meeting, sent: datetime) -> None:
    """The report's prompt went out at `sent`, perhaps later than planned (a late tick):
    the digest still waiting gives them their time to answer (later, never earlier)."""
    digest = current_digest(session, meeting)
    if digest is None or digest.status != "pending":
        return
    manager = session.get_one(Person, digest.manager_id)
    due = digest_time(meeting.start, manager, ctx.settings.digest, ctx.now(), sent)
    if due > digest.send_at:
        digest.send_at = due


def restore_digest(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a cancellation is undone: the digest it cancelled is due again."""
    cancelled = [d for d in _digests_of(session, meeting, lock=True) if d.status == "cancelled"]
    for digest in cancelled:
        digest.status = "pending"
    if cancelled:
        retime_digest(ctx, session, meeting)


def cancel_digest(session: Session, meeting: Meeting) -> None:
    for digest in _digests_of(session, meeting, lock=True):
        if digest.status == "pending":
            digest.status = "cancelled"


def previous_digests(session: Session, digests: Sequence[Digest]) -> dict[int, Digest]:
    """For each of `digests` that follows one sent for another time of its meeting (the
    meeting moved since), that one, by meeting id: the new digest says what changed."""
    earlier: dict[int, Digest] = {}
    for digest in digests:
        before = session.scalars(
            select(Digest)
            .where(
                Digest.meeting_id == digest.meeting_id,
                Digest.status == "sent",
                Digest.id < digest.id,  # rows come in order: not a later one (a preview)
                Digest.sent_at.is_not(None),
            )
            .order_by(Digest.id.desc())
        ).first()
        if before is not None:
            earlier[digest.meeting_id] = before
    return earlier


def build_digest_email(
    ctx: AppContext, session: Session, manager: Person, digests: Sequence[Digest]
) -> EmailMessage:
    mail = ctx.settings.mail
    meetings = sorted((digest.meeting for digest in digests), key=lambda meeting: meeting.start)
    context = digest_context(ctx, session, manager, meetings, previous_digests(session, digests))
    envelope = Envelope(
        sender=our_address(mail),
        to=Address(manager.name, addr_spec=manager.email),
        message_id=f"<digest-{min(d.id for d in digests)}-{manager.id}@{mail.message_id_domain}>",
    )
    return build_email(ctx.settings.templates_path, "digest", context, envelope, date=ctx.now())


def send_digests(ctx: AppContext, digest_ids: Sequence[int]) -> int:
    """Send the given digests, one email per manager and send time; each digest at most once.

    The pending -> sent change is a conditional UPDATE in the transaction that records the
    email in the Outbox, so a job that runs twice (or two workers) sends it once.
    """
    lease = timedelta(seconds=ctx.settings.tick.claim_lease_seconds)
    groups: dict[tuple[int, datetime], list[int]] = defaultdict(list)
    with ctx.sessions() as session:
        for digest in session.scalars(select(Digest).where(Digest.id.in_(digest_ids))):
            groups[(digest.manager_id, digest.send_at)].append(digest.id)
    outbox_ids = []
    for (manager_id, _), ids in sorted(groups.items()):
        with ctx.transaction() as session:
            digests = _pending(session, ids)
            if not digests:
                continue
            manager = session.get_one(Person, manager_id)
            message = build_digest_email(ctx, session, manager, digests)
            claimed = session.execute(
                update(Digest)
                .where(Digest.id.in_([d.id for d in digests]), Digest.status == "pending")
                .values(
                    status="sent",
                    sent_at=ctx.now(),
                    message_id=str(message["Message-ID"]),
                    claim_expires_at=None,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != len(digests):  # type: ignore[attr-defined]
                session.rollback()  # someone else sent (some of) them meanwhile
                continue
            outbox_ids.append(
                outbox.record(session, message, kind="digest", now=ctx.now(), lease=lease).id
            )
    return outbox.deliver(ctx, outbox_ids) if outbox_ids else 0


def _pending(session: Session, ids: list[int]) -> list[Digest]:
    digests = session.scalars(
        select(Digest).where(Digest.id.in_(ids), Digest.status == "pending").with_for_update()
    ).all()
    live = []
    for digest in digests:
        if digest.meeting.status == "cancelled":
            digest.status = "cancelled"
        elif _nothing_new(session, digest):
            digest.status, digest.claim_expires_at = "skipped", None
            log.info("digest %s skipped: the one sent still briefs the meeting", digest.id)
        else:
            live.append(digest)
    return live


def preview(ctx: AppContext, manager_email: str, meeting_id: int | None = None) -> EmailMessage:
    """The digest the manager would get for `meeting_id` (default: their next meeting)."""
    with ctx.sessions() as session:
        manager = session.scalar(select(Person).where(Person.email == manager_email.lower()))
        if manager is None:
            raise LookupError(f"no person {manager_email!r}")
        query = select(Digest).join(Meeting).where(Digest.manager_id == manager.id)
        if meeting_id is not None:
            query = query.where(Digest.meeting_id == meeting_id)
        else:
            query = query.where(Meeting.start >= ctx.now(), Meeting.status != "cancelled")
        digest = session.scalars(query.order_by(Meeting.start, Digest.id.desc())).first()
        if digest is None:
            what = f"meeting #{meeting_id}" if meeting_id else "an upcoming meeting"
            raise LookupError(f"{manager_email} has no digest for {what}")
        return build_digest_email(ctx, session, manager, [digest])
