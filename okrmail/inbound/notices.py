"""What robots, bounces and stray replies change: a person marked away, a prompt marked
undeliverable and the admin told which address failed, a person told that a reply to
their check-in came from an address not theirs (each notice once, via the Outbox)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.emails import Envelope, our_address
from okrmail.inbound import bounces, defences, headers, robots
from okrmail.inbound.assess import Assessment, person_by_address
from okrmail.inbound.directory import Directory
from okrmail.models import Prompt
from okrmail.prompting import shared_context
from okrmail.questions import question_sets

if TYPE_CHECKING:
    from okrmail.inbound.ingest import Outcome

# What the receiving server said: a DSN's Diagnostic-Code, qmail's "Remote host said:", or
# else the first SMTP 5xx reply line quoted in the report (Exim, Exchange, ...).
_DIAGNOSTICS = (
    re.compile(rb"Diagnostic-Code:[ \t]*(?:smtp;)?[ \t]*([^\r\n]{1,300})", re.I),
    re.compile(rb"Remote host said:[ \t]*([^\r\n]{1,300})", re.I),
    re.compile(rb"^[ \t]*(5\d\d[ -][^\r\n]{5,300})", re.M),
)


# -- auto-replies ------------------------------------------------------------------------


def record_auto_reply(ctx: AppContext, found: Assessment, outcome: Outcome) -> None:
    """An out-of-office marks its person away (until the date it names, if any)."""
    why = found.classification.why
    person = found.person
    if not found.classification.out_of_office:
        outcome.reason = f"auto-reply ({why}); not read as an answer"
        return
    if person is None:
        outcome.reason = (
            f"out-of-office auto-reply ({why}) from {found.sender or 'an unknown sender'}, "
            "who is none of our people; nobody marked away"
        )
        return
    now = ctx.now()
    # The subject only before its first colon: after it comes our own subject, which names
    # the meeting's date ("Automatic reply: Weekly check-in ... (Tue 17 Nov)").
    own_subject = headers.subject(found.message).split(":", 1)[0]
    text = f"{own_subject}\n{robots.own_text(found.body.text)}"
    until = robots.mark_away(person, text, now, ctx.settings.inbound.away_default_days)
    local = until.astimezone(robots.zone(person.timezone))
    outcome.reason = (
        f"out-of-office auto-reply ({why}); {person.email} is not chased until "
        f"{local:%Y-%m-%d %H:%M} ({person.timezone})"
    )


# -- bounces -----------------------------------------------------------------------------


def record_bounce(
    ctx: AppContext,
    session: Session,
    inbox_id: int,
    raw: bytes,
    found: Assessment,
    outcome: Outcome,
) -> None:
    """Mark the bounced prompts undeliverable and tell the admin about each failed address."""
    classification = found.classification
    if not classification.failed:
        outcome.reason = (
            f"delivery to {', '.join(classification.delayed)} is delayed; the sending server "
            "keeps trying, so nothing is marked"
        )
        return
    diagnostic = _diagnostic(raw)
    told: list[str] = []
    said: list[str] = []
    for address in classification.failed:
        bounced = _what_bounced(ctx, session, found, address)
        prompt = bounced.prompt
        if prompt is not None:
            outcome.prompt_id = outcome.prompt_id or prompt.id
            if prompt.status in {"sent", "pending"}:
                prompt.status = "undeliverable"
                said.append(f"check-in #{prompt.id} marked undeliverable")
            else:
                said.append(f"check-in #{prompt.id} ({prompt.status})")
        elif bounced.kind:
            said.append(f"our {bounced.kind.replace('_', ' ')} email to {address}, no check-in")
        else:
            # Backscatter: a report of mail someone else sent with our address as sender.
            said.append(f"not about mail we sent to {address}: nobody told")
            continue
        notice = _notify_admin(ctx, session, inbox_id, address, bounced, diagnostic)
        if notice is not None:
            outcome.outbox_ids.append(notice)
            told.append(address)
    admin = ctx.settings.app.admin_email
    outcome.reason = "; ".join(
        part
        for part in (
            f"delivery to {', '.join(classification.failed)} failed for good"
            + (f" ({diagnostic})" if diagnostic else ""),
            *said,
            f"{admin} told" if told else ("" if admin or not said else "no app.admin_email set"),
        )
        if part
    )


@dataclass(frozen=True)
class _Bounced:
    """What a bounce is about: a prompt's email, another email of ours (its Outbox
    `kind`), or neither (both None: not mail we sent)."""

    prompt: Prompt | None
    kind: str | None = None


def _what_bounced(ctx: AppContext, session: Session, found: Assessment, address: str) -> _Bounced:
    """The prompt whose email bounced: named by the report's copy of our Message-ID, else
    the latest sent prompt of the person with that address. A report naming another email
    of ours (a digest, a note) is about that one, never about a prompt."""
    try:
        references = bounces.original_message_ids(found.message)
    except Exception:  # an odd report structure: fall back to the address
        references = []
    references = [*references, *headers.referenced_ids(found.message)]
    directory = Directory(session, "")
    sent, _ = directory.prompt_by_references(references)
    # The ORM object: a bounce marks it undeliverable.
    prompt = session.get(Prompt, sent.id) if sent else None
    if prompt is not None and defences.wrong_sender(address, prompt.person) is None:
        return _Bounced(prompt)
    other = directory.sent_without_prompt(references) if references else None
    if other is not None:
        return _Bounced(None, other.kind)
    person = person_by_address(session, address)
    if person is None:
        return _Bounced(prompt)
    since = ctx.now() - timedelta(days=ctx.settings.inbound.max_prompt_age_days)
    latest = session.scalar(
        select(Prompt)
        .where(Prompt.person_id == person.id, Prompt.sent_at.is_not(None), Prompt.sent_at >= since)
        .order_by(Prompt.sent_at.desc())
        .limit(1)
    )
    return _Bounced(latest, None if latest else "email")


def _diagnostic(raw: bytes) -> str:
    for pattern in _DIAGNOSTICS:
        found = pattern.search(raw[:200_000])
        if found:
            return headers.clean(found[1].decode("utf-8", "replace")).strip()
    return ""


def _notify_admin(
    ctx: AppContext,
    session: Session,
    inbox_id: int,
    address: str,
    bounced: _Bounced,
    diagnostic: str,
) -> int | None:
    """Record the admin's notice in the Outbox, unless it is there already or nobody is set."""
    settings = ctx.settings
    admin = settings.app.admin_email
    if not admin:
        return None
    prompt = bounced.prompt
    envelope = Envelope(
        sender=our_address(settings.mail),
        to=Address(addr_spec=admin),
        message_id=bounces.notice_message_id(
            address, prompt.id if prompt else None, settings.mail.message_id_domain
        ),
    )
    return outbox.record_once(
        ctx,
        session,
        "bounce_notice",
        envelope,
        lambda: _notice_context(ctx, session, inbox_id, address, bounced, diagnostic),
    )


def _notice_context(
    ctx: AppContext,
    session: Session,
    inbox_id: int,
    address: str,
    bounced: _Bounced,
    diagnostic: str,
) -> dict[str, Any]:
    person: dict[str, str] | None = None
    meeting_when = ""
    prompt = bounced.prompt
    if prompt is not None:
        person = {"name": prompt.person.name, "email": prompt.person.email}
        # The admin's own zone when they are one of our people, else the person's; named
        # either way, as the admin may be anywhere.
        admin = person_by_address(session, ctx.settings.app.admin_email)
        zone = robots.zone(admin.timezone if admin is not None else prompt.person.timezone)
        start: datetime = prompt.meeting.start.astimezone(zone)
        meeting_when = f"{start:%a %d %b %Y %H:%M} ({zone.key})"
    return {
        "address": address,
        "person": person,
        "meeting_when": meeting_when,
        "diagnostic": diagnostic,
        "organisation": ctx.settings.app.organisation,
        "inbox_id": inbox_id,
        # What bounced: "check-in email", "email (the digest)".
        "what": "check-in email" if prompt else _email_of_kind(bounced.kind),
    }


_KIND_WORDS = {
    "digest": "the digest",
    "manager_note": "a note to a manager",
    "account_broken": "a calendar account alert",
    "quarantine_report": "the quarantine report",
    "bounce_notice": "a bounce notice",
    "wrong_sender": "a notice of a reply from another address",
    "not_a_reply": "a note that an email was not a reply to a check-in",
    "away_noted": "a note that someone is marked away",
    "away_forwarded": "a note to a manager that their report is away",
    "manager_in_thread": "a notice to a manager about their message in a check-in thread",
}


def _email_of_kind(kind: str | None) -> str:
    if not kind or kind == "email":
        return "email"
    return f"email ({_KIND_WORDS.get(kind, kind.replace('_', ' '))})"


# -- replies from an address the person is not known by ----------------------------------


def tell_recipient(ctx: AppContext, session: Session, found: Assessment, outcome: Outcome) -> None:
    """Tell the prompt's recipient, at the address it went to (never the stranger's), that
    a reply to it came from another address and was not recorded: otherwise they believe
    they answered and are chased for it.

    Once per prompt, whatever the addresses (someone holding the token cannot flood the
    person by varying theirs); nothing of the reply's text is repeated. Not when the
    prompt could not be answered anyway, nor when the sender is another of our people (a
    manager or colleague answering all in the thread is not the recipient mistyped).
    """
    settings = ctx.settings
    assert found.prompt is not None
    prompt = session.get(Prompt, found.prompt.id)
    if prompt is None or prompt.message_id is None:
        return
    max_age = settings.inbound.max_prompt_age_days
    if defences.prompt_not_answerable(prompt, ctx.now(), max_age) is not None:
        return
    if found.sender and person_by_address(session, found.sender) is not None:
        return
    person, domain = prompt.person, settings.mail.message_id_domain
    envelope = Envelope(
        sender=our_address(settings.mail),
        to=Address(person.name, addr_spec=person.email),
        # Secret like the prompt's own: a reply naming it in In-Reply-To is routed to the
        # prompt, so it must not be guessable from the prompt's number alone.
        message_id=f"<wrong-sender-{prompt.id}-{prompt.token[:12]}@{domain}>",
        # Answering this notice from the right address records the check-in.
        reply_to=settings.mail.reply_address.format(token=prompt.token),
        in_reply_to=prompt.message_id,
    )

    def context() -> dict[str, Any]:
        questions = question_sets(settings.templates_path)[prompt.question_set]
        return {
            **shared_context(ctx, person, prompt.meeting, prompt.question_set),
            "sender": found.sender or "an address we could not read",
            "answered": prompt.status == "answered",
            "questions": [question.text for question in questions.for_role(prompt.role)],
            "admin_email": settings.app.admin_email,
        }

    notice = outbox.record_once(ctx, session, "wrong_sender", envelope, context, prompt.id)
    if notice is not None:
        outcome.outbox_ids.append(notice)
        outcome.reason = f"{outcome.reason}; {person.email} told"
