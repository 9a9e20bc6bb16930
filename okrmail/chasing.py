"""Chasing: polite reminders for unanswered prompts, and the note to the manager.

Reminders are scheduled when a prompt goes out: the first some hours after it, the last
`last_before_hours` before the meeting and before the manager's digest, each moved into the
recipient's working hours outside quiet hours (earlier, never later, when that would pass
the deadline), never on their days off. Sending re-checks everything in the same
transaction that claims the chase — a reply that has arrived, an out-of-office, a moved or
cancelled meeting, a deadline the service was down across — so a reply racing a chase
stops it. A chase is a reply in the prompt's thread.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from email.headerregistry import Address
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.digests import digest_due, digest_sent
from okrmail.emails import Envelope, build_email, our_address
from okrmail.hours import Hours, hours_for
from okrmail.models import Chase, CheckIn, Meeting, Person, Prompt
from okrmail.prompting import local_day, prompt_context, shared_context
from okrmail.settings import ChaseSettings, parse_clock

log = logging.getLogger(__name__)
# A reminder needs time to be of use: one this close to the manager's digest (or to the
# meeting, whatever `last_before_hours` says) would be answered too late to be read.
TIME_TO_ANSWER = timedelta(minutes=30)
# A tick this late still sends what was due then: the service was slow, not down.
LATE_TICK = timedelta(minutes=15)
# Chases are planned out of the last half hour of the recipient's hours (the end of their
# working day, or quiet hours starting), when another time fits: one at 17:30 for a day
# ending 17:30 is read the next morning at best.
END_OF_DAY_MARGIN = timedelta(minutes=30)

# Why a pending reminder (or note) is skipped when a move left no time for it; planned
# again, under its number, if the meeting moves back.
MEETING_MOVED = "the meeting moved: no time left for it"

# Chase.kind of the note telling a report who has not answered yet that their meeting
# moved to another day than they were told (their reply still counts): in the prompt's
# thread, once per move, in their hours like a reminder.
MOVE_NOTE = "meeting_moved"
# Why a move note is skipped: nothing to tell (moved back, or a reminder told them since).
TOLD_ALREADY = "the meeting is on the day they were last told"
ABOUT_TO_START = "the meeting is about to start"

# Chase.kind of the note telling a report prompted and not yet answered that the meeting
# was cancelled, so there is no need to answer for it now (a reply is still kept): in the
# prompt's thread, once, in their hours like a reminder. Not when they declined it
# themselves: they know.
CANCEL_NOTE = "cancel_note"
# Why a cancel note is skipped: the cancellation was undone before it went.
BACK_ON = "the meeting is back on"
# No cancel note this close to the meeting's time: there is nothing left to spare them.
NEAR_ITS_TIME = "the meeting's time is near"
# Meeting.cancelled_by when the report declined (one occurrence, or the whole series).
DECLINED = frozenset({"declined", "series-declined"})

# (instant, why): no chase may go after the instant; why says so in the skipped row.
Deadline = tuple[datetime, str]


def chase_hours(person: Person, rules: ChaseSettings) -> Hours:
    """Working hours outside quiet hours, in the person's zone."""
    return hours_for(person, parse_clock(rules.quiet_end), parse_clock(rules.quiet_start))


def planning_hours(person: Person, rules: ChaseSettings) -> list[Hours]:
    """The hours to plan a chase in, best first: `chase_hours` without their last
    END_OF_DAY_MARGIN (when that leaves any), then `chase_hours` whole."""
    hours = chase_hours(person, rules)
    day = date(2000, 1, 2)  # any day: only the clock times matter
    end = datetime.combine(day, hours.end) - END_OF_DAY_MARGIN
    if end <= datetime.combine(day, hours.start):
        return [hours]
    return [replace(hours, end=end.time()), hours]


def place(
    target: datetime, earliest: datetime, bound: datetime, choices: Sequence[Hours]
) -> datetime | None:
    """The allowed time for a chase aimed at `target`, in [earliest, bound]: the first of
    `choices` (hours, best first) with one, at `target` or the next allowed time after it,
    else the last allowed time before `bound`; None when none has such a time."""
    for hours in choices:
        candidate = hours.next_allowed(max(target, earliest))
        if candidate > bound:
            candidate = hours.last_allowed(bound)
        if earliest <= candidate <= bound and hours.allows(candidate):
            return candidate
    return None


def reminder_deadlines(
    meeting_start: datetime, digest_at: datetime | None, rules: ChaseSettings
) -> list[Deadline]:
    """No reminder later than `last_before_hours` before the meeting (one as the person
    walks in only annoys), nor after the manager's digest, which already reports them."""
    ahead = max(timedelta(hours=rules.last_before_hours), TIME_TO_ANSWER)
    deadlines = [
        (
            meeting_start - ahead,
            f"reminders go at least {rules.last_before_hours:g} hours before the meeting",
        )
    ]
    if digest_at is not None:
        deadlines.append((digest_at - TIME_TO_ANSWER, "the manager's digest is out or due"))
    return deadlines


def note_deadlines(meeting_start: datetime, digest_at: datetime | None) -> list[Deadline]:
    """The manager's note goes no later than their digest, which says the same."""
    deadlines = [(meeting_start - TIME_TO_ANSWER, ABOUT_TO_START)]
    if digest_at is not None:
        deadlines.append((digest_at, "the manager's digest has said so"))
    return deadlines


def too_late(deadlines: Sequence[Deadline], at: datetime) -> str | None:
    """Why a chase at `at` would be too late, or None when it is not."""
    return next((f"too late: {why}" for limit, why in deadlines if at > limit), None)


def chase_times(
    prompted_at: datetime,
    latest: datetime,
    person: Person,
    rules: ChaseSettings,
    last_contact: datetime | None = None,
) -> list[datetime]:
    """When to remind: first `first_after_hours` after the prompt, last at `latest`, any
    others evenly between; each moved to an allowed time, at least `min_gap_hours` after
    the prompt (and `last_contact`, a reminder already sent) and apart, at most
    `max_per_prompt` of them: fewer when the allowed times do not fit.

    Placed from the last back: the deadline is firm, the targets before it are not, so a
    reminder that would come too soon before the next one moves earlier (as one that would
    pass the deadline does) rather than leaving the next one out."""
    if rules.max_per_prompt == 0:
        return []
    first = prompted_at + timedelta(hours=rules.first_after_hours)
    count = rules.max_per_prompt
    targets = (
        [latest]
        if count == 1
        else [first + (latest - first) * i / (count - 1) for i in range(count)]
    )
    choices = planning_hours(person, rules)
    gap = timedelta(hours=rules.min_gap_hours)
    earliest = max(prompted_at, last_contact or prompted_at) + gap
    times: list[datetime] = []
    bound = latest
    for target in reversed(targets):
        bound = min(bound, target)
        candidate = place(target, earliest, bound, choices)
        if candidate is None:
            continue  # the earlier ones, bound earlier still, are tried all the same
        times.insert(0, candidate)
        bound = candidate - gap
    return times


def schedule_chases(
    ctx: AppContext, session: Session, prompt: Prompt, prompted_at: datetime
) -> None:
    """Plan the pending reminders (and the manager note, if configured) for a sent prompt.

    Called again after the meeting moved: sent ones are counted; pending ones (and those
    an earlier move skipped) take the new times, and those left without one are skipped
    with MEETING_MOVED, so the chase rows say what became of every reminder planned.
    """
    if prompt.role != "report":
        return
    rules = ctx.settings.chase
    existing = session.scalars(
        select(Chase).where(Chase.prompt_id == prompt.id).order_by(Chase.number)
    ).all()
    sent = [chase for chase in existing if chase.kind == "reminder" and chase.status == "sent"]
    now = ctx.now()
    meeting = prompt.meeting
    digest_at = digest_due(ctx, session, meeting)
    latest = min(limit for limit, _ in reminder_deadlines(meeting.start, digest_at, rules))
    # After a move, the plan starts again from the prompt, but no sooner than the gap after
    # the last reminder that went (or the note that the meeting moved, sent or to go).
    contacts = [chase.sent_at for chase in sent if chase.sent_at] + [
        chase.sent_at or chase.send_at
        for chase in existing
        if (chase.kind == MOVE_NOTE and chase.status in {"pending", "sent"})
        or (chase.kind == CANCEL_NOTE and chase.status == "sent")
    ]
    last_contact = max(contacts, default=None)
    planned = chase_times(prompted_at, latest, prompt.person, rules, last_contact)
    times = [t for t in planned if t > now]
    left = max(0, rules.max_per_prompt - len(sent))
    times = times[-left:] if left else []
    _plan(session, prompt, existing, "reminder", times)
    note_times: list[datetime] = []
    note_sent = any(c.kind == "manager_note" and c.status == "sent" for c in existing)
    if rules.notify_manager and times and not note_sent:
        note_at = _manager_note_time(times[-1], meeting, digest_at, rules)
        note_times = [note_at] if note_at is not None else []
    _plan(session, prompt, existing, "manager_note", note_times)


def _plan(
    session: Session,
    prompt: Prompt,
    existing: Sequence[Chase],
    kind: str,
    times: list[datetime],
    why: str = MEETING_MOVED,
    reopen: frozenset[str] = frozenset({MEETING_MOVED}),
) -> None:
    """Give `times` to the prompt's open chases of `kind` (pending, or skipped for a reason
    in `reopen`: a move), by number; skip the ones left over (`why`) and add rows, under
    free numbers (they are unique), for times left over."""
    open_ = [
        chase
        for chase in existing
        if chase.kind == kind
        and (chase.status == "pending" or (chase.status == "skipped" and chase.reason in reopen))
    ]
    for chase, send_at in itertools.zip_longest(open_, times):
        if chase is None:
            number = next(_free_numbers(existing, kind))
            chase = Chase(prompt_id=prompt.id, kind=kind, number=number, send_at=send_at)
            session.add(chase)
            existing = [*existing, chase]
        elif send_at is None:
            chase.status, chase.reason, chase.claim_expires_at = "skipped", why, None
        else:
            chase.status, chase.reason = "pending", None
            chase.send_at, chase.claim_expires_at = send_at, None


def _free_numbers(kept: Sequence[Chase], kind: str) -> Iterator[int]:
    """The numbers, from 1 up, that no kept chase of `kind` has (they are unique)."""
    used = {chase.number for chase in kept if chase.kind == kind}
    return (number for number in itertools.count(1) if number not in used)


def _manager_note_time(
    last_chase: datetime, meeting: Meeting, digest_at: datetime | None, rules: ChaseSettings
) -> datetime | None:
    """Some hours after the last reminder (time to answer it), in the manager's hours, and
    no later than their digest; None when no such time is left."""
    choices = planning_hours(meeting.series.pairing.manager, rules)
    latest = min(limit for limit, _ in note_deadlines(meeting.start, digest_at))
    earliest = last_chase + max(timedelta(hours=rules.min_gap_hours / 2), TIME_TO_ANSWER)
    return place(earliest, earliest, latest, choices)


def moved_to_another_day(prompt: Prompt) -> bool:
    """Whether the meeting is on another day (the person's) than they were last told."""
    if prompt.told_start is None:  # not told anything yet
        return False
    zone = ZoneInfo(prompt.person.timezone)
    told, now = prompt.told_start.astimezone(zone), prompt.meeting.start.astimezone(zone)
    return told.date() != now.date()


def plan_move_note(ctx: AppContext, session: Session, prompt: Prompt) -> None:
    """After a move: the note that the meeting moved, for a report prompted and not yet
    answered whose meeting is now on another day than they were told; as soon as their
    hours allow, half an hour before the meeting at the latest. One already planned takes
    the new time (one note per move, however many moves before it goes), or is skipped
    when there is nothing to tell (moved back) or no time."""
    if prompt.role != "report" or prompt.told_start is None:
        return
    existing = session.scalars(
        select(Chase).where(Chase.prompt_id == prompt.id).order_by(Chase.number)
    ).all()
    now, why = ctx.now(), TOLD_ALREADY
    times: list[datetime] = []
    if moved_to_another_day(prompt) and not answered(session, prompt.id):
        choices = planning_hours(prompt.person, ctx.settings.chase)
        note_at = place(now, now, prompt.meeting.start - TIME_TO_ANSWER, choices)
        times, why = ([note_at], why) if note_at else ([], f"too late: {ABOUT_TO_START}")
    reopen = frozenset({TOLD_ALREADY, f"too late: {ABOUT_TO_START}"})
    _plan(session, prompt, existing, MOVE_NOTE, times, why, reopen)


def retime_chases(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a move: the reminders of the meeting's sent prompts follow the new time, after
    the note that it moved, if one is due."""
    prompts = session.scalars(
        select(Prompt).where(Prompt.meeting_id == meeting.id, Prompt.status == "sent")
    ).all()
    for prompt in prompts:
        plan_move_note(ctx, session, prompt)
        session.flush()
        schedule_chases(ctx, session, prompt, prompt.sent_at or ctx.now())


MEETING_CANCELLED = "the meeting was cancelled"


def plan_cancel_notes(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a cancellation the report did not make: the note that there is no need to
    answer, for a report prompted and not yet answered; as soon as their hours allow, and
    not in the last half hour before the meeting's time (none is planned when that has
    passed). A note skipped when an earlier cancellation was undone is planned again."""
    if meeting.cancelled_by in DECLINED:
        return
    prompts = session.scalars(
        select(Prompt).where(
            Prompt.meeting_id == meeting.id, Prompt.status == "sent", Prompt.role == "report"
        )
    ).all()
    now = ctx.now()
    for prompt in prompts:
        if answered(session, prompt.id):
            continue
        choices = planning_hours(prompt.person, ctx.settings.chase)
        note_at = place(now, now, meeting.start - TIME_TO_ANSWER, choices)
        if note_at is None:
            continue
        existing = session.scalars(
            select(Chase)
            .where(Chase.prompt_id == prompt.id)
            .order_by(Chase.number)
            # cancel_chases has just updated rows in bulk: read them as they now are.
            .execution_options(populate_existing=True)
        ).all()
        _plan(session, prompt, existing, CANCEL_NOTE, [note_at], reopen=frozenset({BACK_ON}))


def restore_chases(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a cancellation is undone: the reminders it cancelled are planned again (from
    scratch: they never went out) for the meeting's sent prompts; a note that it was
    cancelled, not sent yet, is not sent."""
    prompt_ids = select(Prompt.id).where(Prompt.meeting_id == meeting.id)
    session.execute(
        update(Chase)
        .where(
            Chase.prompt_id.in_(prompt_ids), Chase.kind == CANCEL_NOTE, Chase.status == "pending"
        )
        .values(status="skipped", reason=BACK_ON, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Chase)
        .where(
            Chase.prompt_id.in_(prompt_ids),
            Chase.status == "cancelled",
            Chase.reason == MEETING_CANCELLED,
        )
        .execution_options(synchronize_session=False)
    )
    retime_chases(ctx, session, meeting)


def cancel_chases(session: Session, meeting: Meeting, reason: str) -> None:
    """After a cancellation: no reminder for a meeting that will not happen."""
    prompt_ids = select(Prompt.id).where(Prompt.meeting_id == meeting.id)
    session.execute(
        update(Chase)
        .where(Chase.prompt_id.in_(prompt_ids), Chase.status == "pending")
        .values(status="cancelled", reason=reason)
        .execution_options(synchronize_session=False)
    )


def answered(session: Session, prompt_id: int) -> bool:
    return bool(session.scalar(select(exists().where(CheckIn.prompt_id == prompt_id))))


def _why_not(ctx: AppContext, session: Session, chase: Chase) -> str | None:
    """The reason this chase must not go out now, or None when it should."""
    prompt, now = chase.prompt, ctx.now()
    meeting = prompt.meeting
    if answered(session, prompt.id) or prompt.status == "answered":
        return "the check-in was answered"
    if prompt.status not in {"sent", "answered"}:
        return f"the prompt is {prompt.status}"
    if chase.kind == CANCEL_NOTE:
        if meeting.status != "cancelled":
            return BACK_ON
    elif meeting.status == "cancelled":
        return MEETING_CANCELLED
    if chase.kind == MOVE_NOTE:
        if not moved_to_another_day(prompt):
            return TOLD_ALREADY
    # However slightly late: once the digest has said who has not answered (its job may
    # have run before this one), a reminder or note can only come after it. (A cancelled
    # meeting's digest was the one thing that said so: the note that it is off may follow.)
    elif chase.kind != CANCEL_NOTE and digest_sent(session, meeting):
        return "too late: the manager's digest has gone out"
    late = too_late(_deadlines(ctx, session, chase), now - LATE_TICK)
    if late is not None:  # the service was down across the chase's time
        return late
    # Away: not reminded, and their manager is not told they have not answered (no
    # blame for an out-of-office; the digest says they are away).
    person = prompt.person
    back = person.back_from_absence(now)
    if back is not None:
        return f"{person.email} is away until {back:%Y-%m-%d}"
    return None


def _deadlines(ctx: AppContext, session: Session, chase: Chase) -> list[Deadline]:
    meeting = chase.prompt.meeting
    digest_at = digest_due(ctx, session, meeting)
    if chase.kind == "reminder":
        return reminder_deadlines(meeting.start, digest_at, ctx.settings.chase)
    if chase.kind == MOVE_NOTE:
        return [(meeting.start - TIME_TO_ANSWER, ABOUT_TO_START)]
    if chase.kind == CANCEL_NOTE:
        return [(meeting.start - TIME_TO_ANSWER, NEAR_ITS_TIME)]
    return note_deadlines(meeting.start, digest_at)


def send_chases(ctx: AppContext, chase_ids: Sequence[int]) -> int:
    """Send due chases; each is re-checked in the transaction that claims it."""
    lease = timedelta(seconds=ctx.settings.tick.claim_lease_seconds)
    outbox_ids: list[int] = []
    for chase_id in chase_ids:
        with ctx.transaction() as session:
            chase = _locked(session, chase_id)
            # Not due any more: a move re-timed it after the tick claimed it.
            if chase is None or chase.status != "pending" or chase.send_at > ctx.now():
                continue
            reason = _why_not(ctx, session, chase)
            if reason is not None:
                chase.status, chase.reason, chase.claim_expires_at = "skipped", reason, None
                continue
            to_manager = chase.kind == "manager_note"
            recipient = (
                chase.prompt.meeting.series.pairing.manager if to_manager else chase.prompt.person
            )
            hours = chase_hours(recipient, ctx.settings.chase)
            if not hours.allows(ctx.now()):  # the tick ran late: wait for allowed hours ...
                later = hours.next_allowed(ctx.now())
                reason = too_late(_deadlines(ctx, session, chase), later)
                if reason is not None:  # ... unless by then it is too late
                    chase.status, chase.reason, chase.claim_expires_at = "skipped", reason, None
                else:
                    chase.send_at, chase.claim_expires_at = later, None
                continue
            message = build_chase_email(ctx, session, chase)
            chase.status, chase.sent_at = "sent", ctx.now()
            chase.message_id, chase.claim_expires_at = str(message["Message-ID"]), None
            # A reminder (or a note about the meeting) belongs to the prompt (a reply to it
            # answers the check-in); the manager's note does not: a reply from the manager
            # would be taken for a reply to the report's prompt, and rejected as from the
            # wrong sender.
            row = outbox.record(
                session,
                message,
                kind=_OUTBOX_KINDS[chase.kind],
                now=ctx.now(),
                lease=lease,
                prompt_id=None if to_manager else chase.prompt_id,
            )
            if chase.kind in {"reminder", MOVE_NOTE}:  # it gives the meeting's time, as told now
                chase.prompt.told_start = chase.prompt.meeting.start
            outbox_ids.append(row.id)
    return outbox.deliver(ctx, outbox_ids) if outbox_ids else 0


# Outbox.kind (and the Message-ID's first word) of each kind of chase.
_OUTBOX_KINDS = {
    "reminder": "chase",
    "manager_note": "chase_manager_note",
    MOVE_NOTE: MOVE_NOTE,
    CANCEL_NOTE: "meeting_cancelled",
}


def _locked(session: Session, chase_id: int) -> Chase | None:
    """The chase with its prompt row locked (PostgreSQL), so a reply being stored for the
    same prompt waits for this transaction, or this one sees it."""
    chase = session.get(Chase, chase_id, with_for_update=True)
    if chase is not None:
        session.get(Prompt, chase.prompt_id, with_for_update=True)
    return chase


def build_chase_email(ctx: AppContext, session: Session, chase: Chase):  # type: ignore[no-untyped-def]
    """A reminder in the prompt's thread (same Reply-To token), or the manager's note (in
    no thread: the manager never had the prompt, and a reply to it is not a check-in)."""
    prompt = chase.prompt
    mail = ctx.settings.mail
    prompt_id_header = prompt.message_id or ""
    context: dict[str, Any] = prompt_context(ctx, session, prompt)
    context["chase"] = {"number": chase.number, "last": _is_last(session, chase)}
    if chase.kind == "manager_note":
        recipient = prompt.meeting.series.pairing.manager
        template, reply_to, prompt_id_header = "chase_manager_note", None, ""
        context["report"] = {"name": prompt.person.name, "email": prompt.person.email}
        # The meeting as the manager knows it, in their zone, not the report's.
        context["meeting"] = shared_context(ctx, recipient, prompt.meeting, prompt.question_set)[
            "meeting"
        ]
        context["chases_sent"] = _sent_count(session, prompt.id)
    else:
        recipient = prompt.person
        template, reply_to = "chase", mail.reply_address.format(token=prompt.token)
    first_word = "chase"
    if chase.kind == MOVE_NOTE:
        template = first_word = MOVE_NOTE
        context["moved"] = _move_view(prompt)
    elif chase.kind == CANCEL_NOTE:
        template = first_word = _OUTBOX_KINDS[CANCEL_NOTE]
        context["cancelled"] = {"short": _short_when(prompt.meeting.start, prompt.person)}
    envelope = Envelope(
        sender=our_address(mail),
        to=Address(recipient.name, addr_spec=recipient.email),
        message_id=f"<{first_word}-{chase.id}-{prompt.token[:12]}@{mail.message_id_domain}>",
        reply_to=reply_to,
        in_reply_to=prompt_id_header or None,
    )
    return build_email(ctx.settings.templates_path, template, context, envelope, date=ctx.now())


def _move_view(prompt: Prompt) -> dict[str, str]:
    """The move as the note tells it, in the person's zone: from the time they were told
    ("Thursday 19 November 2026, 14:00") to the new one in short ("Mon 23 Nov 14:00")."""
    zone = ZoneInfo(prompt.person.timezone)
    assert prompt.told_start is not None
    told = prompt.told_start.astimezone(zone)
    return {
        "from": f"{told:%A} {told.day} {told:%B %Y}, {told:%H:%M}",
        "to_short": _short_when(prompt.meeting.start, prompt.person),
    }


def _short_when(start: datetime, person: Person) -> str:
    """A meeting's time in short, in the person's zone, for a subject: "Mon 23 Nov 14:00"."""
    local = start.astimezone(ZoneInfo(person.timezone))
    return f"{local_day(local, person.timezone)} {local:%H:%M}"


def _is_last(session: Session, chase: Chase) -> bool:
    later = select(Chase.id).where(
        Chase.prompt_id == chase.prompt_id,
        Chase.kind == "reminder",
        Chase.status == "pending",
        Chase.id != chase.id,
    )
    return not session.scalars(later).first()


def _sent_count(session: Session, prompt_id: int) -> int:
    rows = session.scalars(
        select(Chase).where(
            Chase.prompt_id == prompt_id, Chase.kind == "reminder", Chase.status == "sent"
        )
    ).all()
    return len(rows)
