"""The manager's pre-meeting digest: when it is due, and sending it exactly once.

One Digest row per meeting, created with the meeting. In `before_meeting` mode it goes
`lead_hours` before the meeting; in `morning` mode at `morning_time` on the meeting's day
(manager's zone), and all of one manager's digests due at the same moment go as one email.
A moved meeting re-times its digest; a cancelled one cancels it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.digest_view import digest_context
from okrmail.emails import Envelope, build_email, our_address
from okrmail.models import Digest, Meeting, Pairing, Person
from okrmail.settings import DigestSettings, parse_clock


def digest_time(
    meeting_start: datetime, manager: Person, rules: DigestSettings, now: datetime
) -> datetime:
    """When the digest for a meeting starting at `meeting_start` is due (never in the past)."""
    before = meeting_start - timedelta(hours=rules.lead_hours)
    if rules.mode == "morning":
        zone = ZoneInfo(manager.timezone)
        day = meeting_start.astimezone(zone).date()
        morning = datetime.combine(day, parse_clock(rules.morning_time), tzinfo=zone)
        if morning < meeting_start:
            before = morning.astimezone(meeting_start.tzinfo)
    return max(before, min(now, meeting_start))


def schedule_digest(ctx: AppContext, session: Session, meeting: Meeting, pairing: Pairing) -> None:
    session.add(
        Digest(
            meeting=meeting,
            manager_id=pairing.manager_id,
            send_at=digest_time(meeting.start, pairing.manager, ctx.settings.digest, ctx.now()),
            status="pending",
        )
    )


def _digest_of(session: Session, meeting: Meeting) -> Digest | None:
    return session.scalar(select(Digest).where(Digest.meeting_id == meeting.id))


def digest_sent(session: Session, meeting: Meeting) -> bool:
    digest = _digest_of(session, meeting)
    return digest is not None and digest.status == "sent"


def digest_due(ctx: AppContext, session: Session, meeting: Meeting) -> datetime | None:
    """When the manager's digest for `meeting` went out, or when it is due as the meeting
    stands now: computed, not read from the row, since a moved meeting's reminders are
    re-timed before its digest. None when no digest will go (cancelled, or none)."""
    digest = _digest_of(session, meeting)
    if digest is None or digest.status == "cancelled":
        return None
    if digest.status == "sent" and digest.sent_at is not None:
        return digest.sent_at
    return digest_time(meeting.start, digest.manager, ctx.settings.digest, ctx.now())


def retime_digest(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a move: a digest not yet sent follows the meeting (a sent one stays sent)."""
    digest = _digest_of(session, meeting)
    if digest is not None and digest.status == "pending":
        _time_for(ctx, session, digest, meeting)


def restore_digest(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a cancellation is undone: the digest it cancelled is due again."""
    digest = _digest_of(session, meeting)
    if digest is not None and digest.status == "cancelled":
        digest.status = "pending"
        _time_for(ctx, session, digest, meeting)


def _time_for(ctx: AppContext, session: Session, digest: Digest, meeting: Meeting) -> None:
    manager = session.get_one(Person, digest.manager_id)
    digest.send_at = digest_time(meeting.start, manager, ctx.settings.digest, ctx.now())
    digest.claim_expires_at = None


def cancel_digest(session: Session, meeting: Meeting) -> None:
    digest = _digest_of(session, meeting)
    if digest is not None and digest.status == "pending":
        digest.status = "cancelled"


def build_digest_email(
    ctx: AppContext, session: Session, manager: Person, digests: Sequence[Digest]
) -> EmailMessage:
    mail = ctx.settings.mail
    meetings = sorted((digest.meeting for digest in digests), key=lambda meeting: meeting.start)
    context = digest_context(ctx, session, manager, meetings)
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
        digest = session.scalars(query.order_by(Meeting.start)).first()
        if digest is None:
            what = f"meeting #{meeting_id}" if meeting_id else "an upcoming meeting"
            raise LookupError(f"{manager_email} has no digest for {what}")
        return build_digest_email(ctx, session, manager, [digest])
