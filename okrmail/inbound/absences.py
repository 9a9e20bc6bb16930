"""People saying someone is away, and managers writing in their report's thread.

"I'm on holiday this week, can we skip this one?" answers nothing: recorded as a check-in
it would stop the reminders but leave an empty check-in for the digest; ignored, the
person would be reminded all week. So the writer is marked away (no reminders until the
date they name, or for `inbound.away_default_days`), thanked with the date, and their
manager told at once, with their words, rather than in the digest two hours before the
meeting they were asked to skip.

A manager who answers in their report's thread ("Lena is on sick leave, let's skip this
one") is not the prompt's recipient, so nothing they write becomes the check-in. When it
says the report is away, the report is marked away as above; otherwise the manager is told,
once per prompt, that their message was not recorded and what would be. Either way the
message stays out of the check-in.

A real check-in from someone marked away says the absence is over, unless it has not
begun: they are answering, so reminders about their other check-ins go on, and the digest
no longer says they are away. A check-in that also says its writer will be away ("I'm on
holiday from the 30th") marks them away for that time as well: reminders before it still
go, none during it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.emails import Envelope, our_address
from okrmail.inbound import defences, robots
from okrmail.inbound.assess import Assessment
from okrmail.models import Person, Prompt
from okrmail.prompting import absence_days, local_day, person_view, shared_context
from okrmail.replies.absence import absence_sentences, says_away
from okrmail.replies.answers import ParsedReply
from okrmail.replies.courtesy import without_courtesies
from okrmail.replies.trim import trim_reply

if TYPE_CHECKING:
    from okrmail.inbound.ingest import Outcome

SHOWN_NOTE = 600  # characters of the person's own words passed on to their manager


def record_away_note(
    ctx: AppContext, session: Session, inbox_id: int, found: Assessment, outcome: Outcome
) -> None:
    """The prompt's person wrote that they are away: mark them, thank them, tell the
    manager."""
    assert found.prompt is not None and found.parsed is not None
    prompt = session.get(Prompt, found.prompt.id)
    assert prompt is not None
    person, manager = prompt.person, prompt.meeting.series.pairing.manager
    note = without_courtesies(found.parsed.notes).strip()
    default_days = ctx.settings.inbound.away_default_days
    until = robots.mark_away(person, note, ctx.now(), default_days, weeks=True)
    outcome.reason = f"says they are away: not chased until {local_day(until, person.timezone)}"
    sent = [
        _away_noted(ctx, session, prompt, inbox_id, writer=person, until=until),
        _away_forwarded(ctx, session, prompt, manager, note, until) if manager != person else None,
    ]
    outcome.outbox_ids += [row for row in sent if row is not None]
    if sent[1] is not None:
        outcome.reason += f"; {manager.email} told"


def settle_checkin_absences(
    ctx: AppContext, session: Session, checkins: Sequence[tuple[Assessment, Outcome]]
) -> None:
    """After a batch's check-ins are merged: each one's writer, if marked away, is away no
    longer, unless that absence is still to come; and an absence the check-in says is to
    come, or lasts on ("I'm on holiday from the 30th", "off sick until Friday, answers
    below"), is recorded. One query for the batch."""
    now = ctx.now()
    recorded = [
        (found.person.id, outcome, absence_sentences(_own_words(found.parsed)))
        for found, outcome in checkins
        if outcome.status == "checkin" and found.person is not None and found.parsed is not None
    ]
    if not recorded:
        return
    ids = sorted({person_id for person_id, _, _ in recorded})
    saying = [person_id for person_id, _, sentences in recorded if sentences]
    found = session.scalars(_AWAY_OR_SAYING, {"ids": ids, "now": now, "saying": saying})
    people = {person.id: person for person in found}
    for person_id, outcome, sentences in recorded:
        person = people.get(person_id)
        if person is None:
            continue
        notes = []
        if person.away_at(now):
            robots.back_now(person, now)
            notes.append("was marked away: back now, reminders go on")
        if sentences:
            notes.append(_record_said(ctx, person, " ".join(sentences), now))
        outcome.reason = "; ".join(filter(None, [outcome.reason, *notes]))


# Built once (building it cost more than running it): of the people `ids`, those marked
# away now or later, and those `saying` they will be.
_AWAY_OR_SAYING = select(Person).where(
    Person.id.in_(bindparam("ids", expanding=True)),
    or_(
        Person.away_until > bindparam("now"),
        Person.later_away_until > bindparam("now"),
        Person.id.in_(bindparam("saying", expanding=True)),
    ),
)


def _own_words(parsed: ParsedReply) -> str:
    """What the reply says in its own words: its answers and its notes."""
    return "\n".join([*(answer.text for answer in parsed.answers.values()), parsed.notes])


def _record_said(ctx: AppContext, person: Person, sentences: str, now: datetime) -> str:
    """Mark `person` away for the absence `sentences` tell of, when they say when."""
    default_days = ctx.settings.inbound.away_default_days
    absence = robots.read_absence(sentences, now, person.timezone, default_days, weeks=True)
    if not absence.named:
        return ""  # "I'm on holiday" beside full answers: when, and whether, is unclear
    dropped = robots.record_absence(person, absence, now)
    said = [_span_text(person, starts, back) for starts, back in person.absences(now)]
    if dropped:
        said.append(f"not marked (more than {robots.MARKED_ABSENCES} apart): ")
        said[-1] += ", ".join(_span_text(person, item.starts, item.back) for item in dropped)
    return "says they are away " + "; and ".join(said)


def _span_text(person: Person, starts: datetime | None, back: datetime) -> str:
    """ "from Fri 20 Nov, back Sat 21 Nov", or "now, back Sat 21 Nov", in their days."""
    begins = f"from {local_day(starts, person.timezone)}" if starts else "now"
    return f"{begins}, back {local_day(back, person.timezone)}"


def answer_manager(
    ctx: AppContext, session: Session, inbox_id: int, found: Assessment, outcome: Outcome
) -> bool:
    """A reply in the thread of a prompt from the manager of its person: False when the
    sender is not that manager (the caller deals with strangers). Marks the report away
    when that is what it says; else tells the manager it was not recorded."""
    assert found.prompt is not None
    prompt = session.get(Prompt, found.prompt.id)
    if prompt is None or prompt.role != "report" or prompt.message_id is None:
        return False
    report, manager = prompt.person, prompt.meeting.series.pairing.manager
    if defences.wrong_sender(found.sender, manager) is not None:
        return False
    own = without_courtesies(trim_reply(found.text)).strip()
    if says_away(own, about=report.name.split()[0]):
        default_days = ctx.settings.inbound.away_default_days
        until = robots.mark_away(report, own, ctx.now(), default_days, weeks=True)
        outcome.status = "away"
        outcome.reason = (
            f"{manager.email} says {report.email} is away: not chased until "
            f"{local_day(until, report.timezone)}"
        )
        row = _away_noted(ctx, session, prompt, inbox_id, writer=manager, until=until)
    else:
        outcome.reason = f"{outcome.reason}; it came from {report.email}'s manager, who was told"
        row = _not_recorded(ctx, session, prompt, manager)
    if row is not None:
        outcome.outbox_ids.append(row)
    return True


def _away_noted(
    ctx: AppContext,
    session: Session,
    prompt: Prompt,
    inbox_id: int,
    *,
    writer: Person,
    until: datetime,
) -> int | None:
    """To whoever said it: marked away until when, and what that changes. Its Reply-To
    is the prompt's: the report can still answer."""
    report, manager = prompt.person, prompt.meeting.series.pairing.manager
    return _record(
        ctx,
        session,
        prompt,
        "away_noted",
        writer,
        f"away-noted-{inbox_id}",
        {
            "about_self": writer == report,
            "report": person_view(report),
            "manager": person_view(manager),
            "until": local_day(until, writer.timezone),
            "later": absence_days(report, ctx.now(), writer.timezone)[1:],
        },
    )


def _away_forwarded(
    ctx: AppContext, session: Session, prompt: Prompt, manager: Person, note: str, until: datetime
) -> int | None:
    """To the manager, once per prompt: their report says they are away, in their words.
    Answering it is answering the report."""
    report = prompt.person
    return _record(
        ctx,
        session,
        prompt,
        "away_forwarded",
        manager,
        f"away-told-{prompt.id}-{prompt.token[:12]}",
        {
            "report": person_view(report),
            "note": note[:SHOWN_NOTE],
            "until": local_day(until, manager.timezone),
            "later": absence_days(report, ctx.now(), manager.timezone)[1:],
        },
        reply_to=report.email,
    )


def _not_recorded(ctx: AppContext, session: Session, prompt: Prompt, manager: Person) -> int | None:
    """To the manager, once per prompt: what they wrote in the report's thread is not the
    report's check-in. Saying the report is away in answer to it marks them away."""
    return _record(
        ctx,
        session,
        prompt,
        "manager_in_thread",
        manager,
        f"thread-note-{prompt.id}-{prompt.token[:12]}",
        {"report": person_view(prompt.person), "answered": prompt.status == "answered"},
    )


def _record(
    ctx: AppContext,
    session: Session,
    prompt: Prompt,
    template: str,
    to: Person,
    message_id: str,
    extra: dict[str, Any],
    reply_to: str | None = None,
) -> int | None:
    """Record `template` to `to` about `prompt`, once per Message-ID; by default in the
    prompt's thread, replies going to the prompt's token."""
    settings = ctx.settings
    in_thread = reply_to is None
    envelope = Envelope(
        sender=our_address(settings.mail),
        to=Address(to.name, addr_spec=to.email),
        message_id=f"<{message_id}@{settings.mail.message_id_domain}>",
        reply_to=settings.mail.reply_address.format(token=prompt.token) if in_thread else reply_to,
        in_reply_to=prompt.message_id if in_thread else None,
    )

    def context() -> dict[str, Any]:
        return {**shared_context(ctx, to, prompt.meeting, prompt.question_set), **extra}

    return outbox.record_once(ctx, session, template, envelope, context, prompt.id)
