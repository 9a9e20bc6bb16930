"""Prompts: when each question email goes out, what it says, and sending it once.

A prompt is due a lead time before its meeting, moved into the recipient's waking hours
in their own time zone. Its Reply-To carries an unguessable per-prompt token and its
Message-ID is derived from the row, so a retried job records the same message.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from email.headerregistry import Address
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, Table, bindparam, select, update
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.emails import Envelope, build_email, our_address
from okrmail.hours import hours_for
from okrmail.models import KeyResult, Meeting, Objective, Pairing, Person, Prompt
from okrmail.models.people import share_of_the_way
from okrmail.questions import question_sets
from okrmail.settings import PromptSettings, parse_clock

REPLY_MARKER = "##- Please type your reply above this line -##"
# Heads the recap of what a confirmation recorded: what follows it is ours, not answers.
RECAP_MARKER = "##- Your check-in as recorded: to change it, reply above this line -##"


def new_token() -> str:
    """160 random bits as lower-case base32: unguessable and safe in an address local part
    (some servers lower-case local parts, so no mixed case)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()


def prompt_message_id(prompt: Prompt, domain: str) -> str:
    return f"<prompt-{prompt.id}-{prompt.token[:12]}@{domain}>"


def send_time(
    meeting_start: datetime, person: Person, rules: PromptSettings, now: datetime
) -> datetime:
    """When to send: `lead_hours` before the meeting, on one of the recipient's working days,
    inside their working hours (clipped to the configured waking hours), in their own zone.

    If the lead time falls outside those hours, the prompt goes at the end of the working
    hours before it, unless that is more than `earliest_hours` ahead of the meeting, in which
    case it goes at the start of the next working hours. Never before `now`.
    """
    hours = hours_for(person, parse_clock(rules.waking_start), parse_clock(rules.waking_end))
    target = max(meeting_start - timedelta(hours=rules.lead_hours), now)
    if hours.allows(target):
        return target
    earlier = hours.last_allowed(target)
    if earlier >= max(now, meeting_start - timedelta(hours=rules.earliest_hours)):
        return earlier
    later = hours.next_allowed(target)
    return later if later < meeting_start else target


def schedule_prompts(ctx: AppContext, session: Session, meeting: Meeting, pairing: Pairing) -> int:
    """Create the prompts hanging off a new meeting (report, and manager where the set asks)."""
    question_set = question_sets(ctx.settings.templates_path)[pairing.question_set]
    recipients = [("report", pairing.report)]
    if question_set.manager_questions:
        recipients.append(("manager", pairing.manager))
    created = 0
    for role, person in recipients:
        session.add(
            Prompt(
                meeting=meeting,
                person_id=person.id,
                role=role,
                question_set=pairing.question_set,
                token=new_token(),
                send_at=send_time(meeting.start, person, ctx.settings.prompts, ctx.now()),
                status="pending",
            )
        )
        created += 1
    return created


def retime_prompts(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a move: pending prompts follow the meeting to its new time."""
    for prompt in _pending(session, meeting):
        prompt.send_at = send_time(meeting.start, prompt.person, ctx.settings.prompts, ctx.now())
        prompt.claim_expires_at = None


def cancel_prompts(session: Session, meeting: Meeting) -> None:
    """After a cancellation: prompts not yet sent will never be."""
    for prompt in _pending(session, meeting):
        prompt.status = "cancelled"


def restore_prompts(ctx: AppContext, session: Session, meeting: Meeting) -> None:
    """After a cancellation is undone: the prompts it cancelled (never sent) are due again,
    timed for the meeting as it is now."""
    cancelled = session.scalars(
        select(Prompt).where(Prompt.meeting_id == meeting.id, Prompt.status == "cancelled")
    ).all()
    for prompt in cancelled:
        prompt.status, prompt.claim_expires_at = "pending", None
        prompt.send_at = send_time(meeting.start, prompt.person, ctx.settings.prompts, ctx.now())


def _pending(session: Session, meeting: Meeting) -> Sequence[Prompt]:
    return session.scalars(
        select(Prompt).where(Prompt.meeting_id == meeting.id, Prompt.status == "pending")
    ).all()


# -- rendering ---------------------------------------------------------------------------


# Units written straight after the number ("88%"); any other unit follows a space ("4 days").
_ATTACHED_UNITS = frozenset({"%", "‰", "°"})


def unit_suffix(unit: str) -> str:
    """What follows a value of this unit: "%" as it is, " days" with its space, or ""."""
    if not unit:
        return ""
    return unit if unit in _ATTACHED_UNITS else f" {unit}"


def format_value(value: Decimal | None, *, grouped: bool = False) -> str:
    """The number as written, without trailing zeros ("1200000", "99.5"); `grouped`: with
    thousands separators from 10,000 on ("1,200,000", but "2025"), for text only people
    read (the digest). Prompts and confirmations keep the plain form: replies quote them,
    and the reader recognises its own lines by their words (`prompt_progress_line`)."""
    if value is None:
        return "?"
    text = f"{value:,f}" if grouped and abs(value) >= 10_000 else f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def amount(value: Decimal | None, unit: str, *, grouped: bool = True) -> str:
    """A value with its unit, for people to read: "1,200,000 GBP", "88%", "1 day", "2 days"
    (`grouped`: with thousands separators, as `format_value` says).

    Units are imported in the plural ("days", "errors per 1k requests"); for exactly one,
    the unit's first word is made singular when it plainly is an English plural.
    """
    suffix = unit_suffix(unit)
    if value is not None and abs(value) == 1 and suffix.startswith(" "):
        first, space, rest = suffix[1:].partition(" ")
        suffix = f" {_singular(first)}{space}{rest}"
    return f"{format_value(value, grouped=grouped)}{suffix}"


_INVARIABLE = frozenset({"series", "species", "news", "kudos", "analyses", "lives"})


def _singular(word: str) -> str:
    """ "days" -> "day", "stories" -> "story", "boxes" -> "box", "statuses" -> "status";
    anything that does not look like a lower-case English plural (GBP, bps, NPS) as it is."""
    if len(word) <= 3 or not word.isalpha() or not word.islower() or word in _INVARIABLE:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes", "uses")):
        return word[:-3] if word.endswith("zzes") else word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def current_key_results(session: Session, person_id: int) -> list[tuple[KeyResult, Objective]]:
    """The person's key results in the order prompts number them (KR1 first): the latest
    active cycle, by objective then key-result position. Replies are read by the same
    numbers, so everything that says "KR2" must come through here."""
    return current_key_results_of(session, [person_id]).get(person_id, [])


_KEY_RESULTS: Table = KeyResult.__table__  # type: ignore[assignment]
_OBJECTIVES: Table = Objective.__table__  # type: ignore[assignment]


def current_key_results_statement(*columns: Any) -> Select[Any]:
    """The key results of the people bound to the expanding parameter `people`, in the
    order prompts number them: by person, the latest cycle first, then by objective and
    key-result position. Each row is `columns` followed by the owner's id and the cycle;
    run it with `current_key_result_rows`, which keeps each person's latest cycle. One
    definition of the order for everything that numbers key results, whatever it loads
    (ORM objects or plain rows)."""
    return (
        select(*columns, _OBJECTIVES.c.person_id, _OBJECTIVES.c.cycle)
        .select_from(_KEY_RESULTS)
        .join(_OBJECTIVES, _KEY_RESULTS.c.objective_id == _OBJECTIVES.c.id)
        .where(
            _OBJECTIVES.c.person_id.in_(bindparam("people", expanding=True)),
            _OBJECTIVES.c.active,
            _KEY_RESULTS.c.active,
        )
        .order_by(
            _OBJECTIVES.c.person_id,
            _OBJECTIVES.c.cycle.desc(),
            _OBJECTIVES.c.position,
            _KEY_RESULTS.c.position,
        )
    )


def current_key_result_rows(
    session: Session, statement: Select[Any], person_ids: Iterable[int]
) -> dict[int, list[Row[Any]]]:
    """The rows of `statement` (made by `current_key_results_statement`) for these people,
    by person, each person's latest cycle only; a person with none is left out."""
    wanted = sorted(set(person_ids))
    found: dict[int, list[Row[Any]]] = {}
    for start in range(0, len(wanted), 500):
        for row in session.execute(statement, {"people": wanted[start : start + 500]}):
            mine = found.setdefault(row[-2], [])
            if not mine or mine[0][-1] == row[-1]:  # rows come latest cycle first
                mine.append(row)
    return found


_CURRENT_KEY_RESULTS = current_key_results_statement(KeyResult, Objective)


def current_key_results_of(
    session: Session, person_ids: Iterable[int]
) -> dict[int, list[tuple[KeyResult, Objective]]]:
    """`current_key_results` for many people in one query (a batch of replies)."""
    found = current_key_result_rows(session, _CURRENT_KEY_RESULTS, person_ids)
    return {
        person_id: [(result, objective) for result, objective, *_ in rows]
        for person_id, rows in found.items()
    }


def key_result_lines(
    session: Session, person_id: int, *, for_digest: bool = False
) -> list[dict[str, Any]]:
    """The person's current key results as the prompt lists them, numbered KR1, KR2, ...

    `for_digest`: every value with its unit and thousands separators ("start 4 days",
    "310,000 of 1,200,000 GBP"). Prompts keep the plain form, which the reply reader
    recognises when the prompt comes back quoted (`prompt_progress_line`).
    """
    lines = []
    for result, objective in current_key_results(session, person_id):
        progress = key_result_progress(result, for_digest=for_digest)
        lines.append(
            {
                "number": len(lines) + 1,
                "cycle": objective.cycle,
                "objective": objective.title,
                "title": result.title,
                "unit": result.unit,
                "progress_text": progress,
            }
        )
    return lines


def key_result_progress(result: KeyResult, *, for_digest: bool = False) -> str:
    """Where a key result stands, as `key_result_lines` shows it."""
    start, current, target = result.start_value, result.current_value, result.target_value
    if not for_digest:
        return prompt_progress_line(start, current, target, result.unit)
    return standing(start, current, target, result.unit)


def standing(start: Decimal, value: Decimal | None, target: Decimal, unit: str) -> str:
    """Where a key result stands at `value`, for people to read: "310,000 of 1,200,000 GBP
    (26%)" for a count from zero, otherwise how far it has come from its start, "41 points
    (53% of the way from 31 to 50 points)" or for one that goes down "4 days (60% of the
    way from 7 to 2 days)"."""
    return _standing(
        format_value(start, grouped=True),
        amount(start, unit),
        amount(value, unit),
        format_value(value, grouped=True),
        amount(target, unit),
        share_of_the_way(start, value, target),
        counted_from_zero=_counted_from_zero(start, target, unit),
        of_the_whole=_of_the_whole(start, target, unit),
    )


def prompt_progress_line(
    start: Decimal, current: Decimal | None, target: Decimal, unit: str
) -> str:
    """The line under a key result in a prompt ("34 of 45 teams (76%)", "4 days (60% of
    the way from 7 to 2 days)"), its numbers without thousands separators. The reply reader
    recognises it by its words when the prompt comes back quoted (`replies.answers`), so
    both take it from here."""
    return _standing(
        format_value(start),
        format_value(start),  # without its unit, as prompts always had it
        amount(current, unit, grouped=False),
        format_value(current),
        amount(target, unit, grouped=False),
        share_of_the_way(start, current, target),
        counted_from_zero=_counted_from_zero(start, target, unit),
        of_the_whole=_of_the_whole(start, target, unit),
    )


def earlier_progress_lines(
    start: Decimal, current: Decimal | None, target: Decimal, unit: str
) -> tuple[str, ...]:
    """The lines earlier versions printed where `prompt_progress_line` prints something
    else now: a reply may quote a prompt sent before an upgrade, and the reader must still
    know the line as ours."""
    if current is None or _counted_from_zero(start, target, unit):
        return ()  # said as it always was
    suffix = unit_suffix(unit)
    shown, target_shown = format_value(current), f"{format_value(target)}{suffix}"
    share = share_of_the_way(start, current, target)
    if target > start:
        return (f"{shown} of {target_shown} ({share}%)",)
    return (
        f"{shown}{suffix}, target {target_shown} ({share}% of the way)",
        f"{shown} of {target_shown}",  # the first prompts said "31 of 10 bugs (30%)"
    )


def _counted_from_zero(start: Decimal, target: Decimal, unit: str) -> bool:
    """Whether "38 of 45 teams (84%)" says it: a count that starts at zero, where the share
    of the target is the share of the way. From any other start "41 of 50 (53%)" reads as
    a sum gone wrong, and "4 of 2 days" or "99.9 of 99.95%" make no sense at all."""
    return start == 0 and target > 0 and unit != "%"


def _of_the_whole(start: Decimal, target: Decimal, unit: str) -> bool:
    return unit == "%" and start == 0 and target == 100


def _standing(
    start: str,
    start_alone: str,
    current: str,
    of: str,
    target: str,
    share: int | None,
    *,
    counted_from_zero: bool,
    of_the_whole: bool,
) -> str:
    """`current` and `target` with their unit, `start` without it and `start_alone` as said
    on its own; `of`: the bare current value, said against the target; `share`: percent of
    the way, None before any update; `of_the_whole`: a percentage from 0 to 100."""
    if share is None:
        return f"no update yet (start {start_alone}, target {target})"
    if counted_from_zero:
        return f"{of} of {target} ({share}%)"
    if of_the_whole:
        return f"{current} (target {target})"  # the share of the way is the value itself
    return f"{current} ({share}% of the way from {start} to {target})"


def _when(start: datetime, end: datetime, timezone: str) -> tuple[str, str]:
    zone = ZoneInfo(timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = f"{local_start:%A} {local_start.day} {local_start:%B %Y}"
    when = f"{day}, {local_start:%H:%M}–{local_end:%H:%M} ({timezone})"
    return when, local_day(start, timezone)


def local_day(instant: datetime, timezone: str) -> str:
    """The day of `instant` where `timezone` is, as emails name it: "Mon 30 Nov"."""
    local = instant.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b}"


def absence_days(
    person: Person, now: datetime, timezone: str | None = None
) -> list[dict[str, str]]:
    """Each absence `person` is marked for at `now`, soonest first, in the days of
    `timezone` (theirs by default): "from" (empty once it has begun) and "back"."""
    zone = timezone or person.timezone
    return [
        {"from": local_day(starts, zone) if starts else "", "back": local_day(back, zone)}
        for starts, back in person.absences(now)
    ]


def person_view(person: Person) -> dict[str, str]:
    """A person as the email templates show them."""
    return {"name": person.name, "first_name": person.name.split()[0], "email": person.email}


def shared_context(
    ctx: AppContext, person: Person, meeting: Meeting, question_set_name: str
) -> dict[str, Any]:
    """What every email about a prompt shows of it (the prompt itself, its confirmation):
    the recipient, the meeting in their time zone, the question set, the organisation.
    Takes the rows rather than the prompt, so a batch can pass what it loaded at once."""
    question_set = question_sets(ctx.settings.templates_path)[question_set_name]
    when, day = _when(meeting.start, meeting.end, person.timezone)
    return {
        "person": person_view(person),
        "meeting": {"local_when": when, "local_day": day, "start_utc": meeting.start.isoformat()},
        "question_set": {
            "name": question_set.name,
            "title": question_set.title,
            "description": question_set.description,
        },
        "organisation": ctx.settings.app.organisation,
    }


def prompt_context(ctx: AppContext, session: Session, prompt: Prompt) -> dict[str, Any]:
    """Everything the prompt templates show; plain JSON types only."""
    meeting = prompt.meeting
    pairing = meeting.series.pairing
    counterpart = pairing.manager if prompt.role == "report" else pairing.report
    question_set = question_sets(ctx.settings.templates_path)[prompt.question_set]
    return {
        **shared_context(ctx, prompt.person, meeting, prompt.question_set),
        "counterpart": person_view(counterpart),
        "role": prompt.role,
        "questions": [
            {"number": number, "key": question.key, "text": question.text, "hint": question.hint}
            for number, question in enumerate(question_set.for_role(prompt.role), start=1)
        ],
        "key_results": key_result_lines(session, pairing.report_id),
        "marker": REPLY_MARKER,
    }


def build_prompt_email(ctx: AppContext, session: Session, prompt: Prompt):  # type: ignore[no-untyped-def]
    mail = ctx.settings.mail
    envelope = Envelope(
        sender=our_address(mail),
        to=Address(prompt.person.name, addr_spec=prompt.person.email),
        message_id=prompt_message_id(prompt, mail.message_id_domain),
        reply_to=mail.reply_address.format(token=prompt.token),
    )
    context = prompt_context(ctx, session, prompt)
    return build_email(ctx.settings.templates_path, "prompt", context, envelope, date=ctx.now())


# -- sending -----------------------------------------------------------------------------


def send_prompts(ctx: AppContext, prompt_ids: Sequence[int]) -> int:
    """Record each pending prompt's email in the Outbox, then deliver them on one connection.

    Safe to run twice: the pending -> sent transition is a conditional UPDATE in the same
    transaction as the Outbox insert, so only one run records (and so sends) each prompt.
    """
    # Both build on this module (the context, the send time); imported here, not at the top.
    from okrmail.chasing import schedule_chases
    from okrmail.digests import follow_prompt

    lease = timedelta(seconds=ctx.settings.tick.claim_lease_seconds)
    outbox_ids: list[int] = []
    for prompt_id in prompt_ids:
        with ctx.transaction() as session:
            prompt = session.get(Prompt, prompt_id)
            if prompt is None or prompt.status != "pending":
                continue
            if prompt.meeting.status == "cancelled":
                prompt.status = "cancelled"
                continue
            message = build_prompt_email(ctx, session, prompt)
            claimed = session.execute(
                update(Prompt)
                .where(Prompt.id == prompt_id, Prompt.status == "pending")
                .values(
                    status="sent",
                    message_id=str(message["Message-ID"]),
                    claim_expires_at=None,
                    told_start=prompt.meeting.start,
                )
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            row = outbox.record(
                session, message, kind="prompt", now=ctx.now(), lease=lease, prompt_id=prompt_id
            )
            outbox_ids.append(row.id)
            if prompt.role == "report":  # the digest first: the reminders go before it
                follow_prompt(ctx, session, prompt.meeting, ctx.now())
            schedule_chases(ctx, session, prompt, ctx.now())
    return outbox.deliver(ctx, outbox_ids) if outbox_ids else 0
