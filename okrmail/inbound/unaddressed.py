"""Mail from one of our people that names no check-in: a new email to the check-in
address ("my check-in", answers and all), or a reply whose client dropped both the reply
token and the thread. It is quarantined like any mail that routes nowhere, but its sender
believes they answered: they would be chased, and their manager would read "no check-in".

The same goes for a reply to a check-in sent too long ago to be recorded
(`inbound.max_prompt_age_days`: an old email found and answered): its sender is the
check-in's recipient, who would believe it recorded.

So they are told, once a day, at the address we know them by (never the From's, which
anyone can write): nothing was recorded, and how to answer. With one check-in open, the
notice is in that check-in's thread and replies go to its address, so answering the
notice records the check-in. Nothing of their message is repeated, not even its subject:
without DMARC checks a forged From could otherwise put a stranger's words in an email
from us.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.emails import Envelope, our_address
from okrmail.inbound import defences, headers, robots
from okrmail.inbound.assess import Assessment, person_by_address
from okrmail.models import Meeting, Person, Prompt
from okrmail.prompting import REPLY_MARKER, local_day, person_view, shared_context
from okrmail.questions import question_sets
from okrmail.settings import Settings

if TYPE_CHECKING:
    from okrmail.inbound.ingest import Outcome

KIND = "not_a_reply"


def believed_recorded(found: Assessment) -> bool:
    """Whether `found` is a person's email quarantined for naming no check-in of ours, or
    for answering one too old to record: its sender believes it recorded."""
    if found.status != "quarantined" or found.classification.kind != "reply":
        return False
    return found.too_old or (found.route is not None and found.route.names_nothing)


def tell_sender(
    ctx: AppContext, session: Session, inbox_id: int, found: Assessment, outcome: Outcome
) -> None:
    """Tell the sender, if they are one of our people, that their email was not recorded
    (`outcome.reason` says so when they were told)."""
    person = person_by_address(session, found.sender)
    if person is None or not person.active:
        return
    settings, now = ctx.settings, ctx.now()
    open_ones = open_prompts(session, person, now, settings.inbound.max_prompt_age_days)
    # With one open, answering the notice records it; with several (a manager with a prep
    # email for each report), which one they meant is theirs to say.
    prompt = open_ones[0] if len(open_ones) == 1 else None
    today = now.astimezone(robots.zone(person.timezone)).date()
    domain = settings.mail.message_id_domain
    envelope = Envelope(
        sender=our_address(settings.mail),
        to=Address(person.name, addr_spec=person.email),
        # One a day, whatever opened or closed in between: a second stray email that day
        # is answered by the first notice. Recorded with no prompt, so this guessable id
        # routes nothing; a reply finds the prompt by its token, or by the prompt's own
        # Message-ID, which the notice's References carry.
        message_id=f"<{KIND}-{person.id}-{today:%Y%m%d}@{domain}>",
        reply_to=settings.mail.reply_address.format(token=prompt.token) if prompt else None,
        in_reply_to=prompt.message_id if prompt else None,
    )

    def context() -> dict[str, Any]:
        written = headers.date(found.message) or now
        view: dict[str, Any] = {
            "person": person_view(person),
            "organisation": settings.app.organisation,
            "sent_on": local_day(written, person.timezone),
            "admin_email": settings.app.admin_email,
            "open": len(open_ones),
            "marker": REPLY_MARKER,  # answers above it, as in the prompt
            "old": None,  # the check-in answered, when it is too old to record
        }
        if found.too_old and found.prompt is not None:
            view["old"] = _old_prompt_view(session, found.prompt.id, person, settings)
        if prompt is not None:
            pairing = prompt.meeting.series.pairing
            other = pairing.manager if prompt.role == "report" else pairing.report
            questions = question_sets(settings.templates_path)[prompt.question_set]
            view |= {
                **shared_context(ctx, person, prompt.meeting, prompt.question_set),
                "counterpart": person_view(other),
                "questions": [question.text for question in questions.for_role(prompt.role)],
            }
        return view

    notice = outbox.record_once(ctx, session, KIND, envelope, context)
    if notice is not None:
        outcome.outbox_ids.append(notice)
        outcome.reason = f"{outcome.reason}; {person.email} told it was not recorded"


def _old_prompt_view(
    session: Session, prompt_id: int, person: Person, settings: Settings
) -> dict[str, str]:
    """The check-in answered too late, as the notice names it, in the person's days."""
    prompt = session.get(Prompt, prompt_id)
    assert prompt is not None
    pairing = prompt.meeting.series.pairing
    other = pairing.manager if prompt.role == "report" else pairing.report
    return {
        "counterpart": other.name,
        "meeting_day": local_day(prompt.meeting.start, person.timezone),
        "sent_on": local_day(prompt.sent_at or prompt.send_at, person.timezone),
        "max_days": f"{settings.inbound.max_prompt_age_days:g}",
    }


def open_prompts(
    session: Session, person: Person, now: datetime, max_age_days: float
) -> list[Prompt]:
    """The check-ins the person would answer now: sent, not answered, not too old; of
    those, the ones whose meetings are still to come, if any."""
    rows = session.execute(
        select(Prompt, Meeting.start)
        .join(Meeting, Prompt.meeting_id == Meeting.id)
        .where(
            Prompt.person_id == person.id,
            Prompt.status == "sent",
            Meeting.status != "cancelled",
        )
    ).all()
    answerable = [
        (prompt, start)
        for prompt, start in rows
        if defences.prompt_not_answerable(prompt, now, max_age_days) is None
    ]
    coming = [prompt for prompt, start in answerable if start > now]
    return coming or [prompt for prompt, _ in answerable]
