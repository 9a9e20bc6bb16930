"""The confirmation: tell the sender what their check-in now says, and what is missing.

It shows the merged check-in (every reply so far), per question and per key result. Its
Reply-To carries the prompt's token and its Message-ID is in the Outbox with the prompt, so
a reply to it routes back to the same check-in and corrects or completes it. One message
per check-in revision: the Message-ID is derived from it, so a retried job records it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.emails import Envelope, build_email
from okrmail.inbound.checkins import numbered_key_results
from okrmail.models import CheckIn, CheckInAnswer, CheckInReading, InboxMessage, OutboxMessage
from okrmail.prompting import format_value, prompt_context
from okrmail.questions import Question, question_sets

SHOWN_ANSWER = 400  # characters of each answer quoted back
NOTE_TITLES = {"blocker": "Blocker", "help": "Help wanted", "win": "Win"}


def confirmation_message_id(checkin: CheckIn, domain: str) -> str:
    return f"<confirm-{checkin.id}-{checkin.revision}-{checkin.prompt.token[:8]}@{domain}>"


def send_confirmations(ctx: AppContext, checkin_ids: Sequence[int] | None = None) -> list[int]:
    """Record the confirmation of each check-in whose latest revision is unconfirmed.

    With no ids, every check-in with one due. Returns the Outbox ids, claimed for the
    caller to deliver (past their lease the tick delivers them anyway).
    """
    if checkin_ids is None:
        with ctx.sessions() as session:
            checkin_ids = list(
                session.scalars(select(CheckIn.id).where(CheckIn.confirmation_due.is_(True)))
            )
    recorded = []
    for checkin_id in checkin_ids:
        with ctx.transaction() as session:
            row = _confirm(ctx, session, checkin_id)
            if row is not None:
                recorded.append(row)
    return recorded


def _confirm(ctx: AppContext, session: Session, checkin_id: int) -> int | None:
    claimed = session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin_id, CheckIn.confirmation_due.is_(True))
        .values(confirmation_due=False, confirmed_revision=CheckIn.revision)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None  # another worker has it, or nothing new
    checkin = session.get(CheckIn, checkin_id)
    assert checkin is not None
    session.refresh(checkin)
    message = build_confirmation(ctx, session, checkin)
    exists = session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.message_id == str(message["Message-ID"]))
    )
    if exists is not None:
        return None
    lease = timedelta(seconds=ctx.settings.tick.claim_lease_seconds)
    row = outbox.record(
        session,
        message,
        kind="confirmation",
        now=ctx.now(),
        lease=lease,
        prompt_id=checkin.prompt_id,
    )
    return row.id


def build_confirmation(ctx: AppContext, session: Session, checkin: CheckIn) -> EmailMessage:
    mail = ctx.settings.mail
    prompt = checkin.prompt
    # Only the two columns needed: the row also holds the raw message and its text.
    reply = session.execute(
        select(InboxMessage.sender, InboxMessage.message_id).where(
            InboxMessage.id == checkin.last_inbox_message_id
        )
    ).first()
    to_address = (reply.sender if reply and reply.sender else None) or prompt.person.email
    parent = reply.message_id if reply else None
    envelope = Envelope(
        sender=Address(mail.from_name, addr_spec=mail.from_address),
        to=Address(prompt.person.name, addr_spec=to_address),
        message_id=confirmation_message_id(checkin, mail.message_id_domain),
        reply_to=mail.reply_address.format(token=prompt.token),
        in_reply_to=parent,
        references=tuple(ref for ref in (prompt.message_id,) if ref and ref != parent),
    )
    context = confirmation_context(ctx, session, checkin)
    return build_email(
        ctx.settings.templates_path, "confirmation", context, envelope, date=ctx.now()
    )


def confirmation_context(ctx: AppContext, session: Session, checkin: CheckIn) -> dict[str, Any]:
    """Everything the confirmation templates show; plain JSON types only."""
    prompt = checkin.prompt
    base = prompt_context(ctx, session, prompt)
    question_set = question_sets(ctx.settings.templates_path)[prompt.question_set]
    questions = question_set.for_role(prompt.role)
    answers = {
        row.question_key: row
        for row in session.scalars(
            select(CheckInAnswer).where(
                CheckInAnswer.checkin_id == checkin.id, CheckInAnswer.current.is_(True)
            )
        )
    }
    readings = list(
        session.scalars(
            select(CheckInReading)
            .where(CheckInReading.checkin_id == checkin.id, CheckInReading.current.is_(True))
            .order_by(CheckInReading.id)
        )
    )
    key_results = _key_results(session, prompt.meeting.series.pairing.report_id, readings)
    kinds = {question.kind for question in questions}
    return {
        "person": base["person"],
        "question_set": base["question_set"],
        "meeting": base["meeting"],
        "organisation": base["organisation"],
        "late": checkin.late,
        "revision": checkin.revision,
        "questions": [
            _question(number, question, answers.get(question.key))
            for number, question in enumerate(questions, start=1)
        ],
        "key_results": key_results,
        "notes": [
            {"kind": NOTE_TITLES[row.kind], "text": row.text}
            for row in readings
            if row.kind in NOTE_TITLES
        ],
        "missing": _missing(questions, answers, key_results, kinds),
        "unclear": list(checkin.unclear or []),
    }


def _question(number: int, question: Question, answer: CheckInAnswer | None) -> dict[str, Any]:
    text = answer.text.strip() if answer else ""
    if len(text) > SHOWN_ANSWER:
        text = text[: SHOWN_ANSWER - 1].rstrip() + "…"
    return {"number": number, "key": question.key, "text": question.text, "answer": text}


def _key_results(
    session: Session, person_id: int, readings: Sequence[CheckInReading]
) -> list[dict[str, Any]]:
    progress = {r.kr_number: r for r in readings if r.kind == "progress"}
    confidence = {r.kr_number: r for r in readings if r.kind == "confidence"}
    overall = confidence.get(None)
    lines = []
    for number, result in enumerate(numbered_key_results(session, person_id), start=1):
        reading = progress.get(number)
        score = confidence.get(number) or overall
        unit = f" {result.unit}" if result.unit else ""
        shown = None
        if reading is not None and reading.value is not None:
            target = f"{format_value(result.target_value)}{unit}"
            share = result.progress_percent if result.current_value == reading.value else None
            shown = f"{format_value(reading.value)} of {target}" + (
                f" ({share}%)" if share is not None else ""
            )
            if reading.status in {"done", "no-change"}:
                shown += f", {reading.status.replace('-', ' ')}"
        elif reading is not None:  # "no change" before any value, or only a percentage
            percent = f"{format_value(reading.percent)}%" if reading.percent is not None else ""
            shown = percent or (reading.status or "noted").replace("-", " ")
        lines.append(
            {
                "number": number,
                "title": result.title,
                "progress": shown,
                "progress_source": reading.text if reading else "",
                "confidence": score.score if score else None,
            }
        )
    return lines


def _missing(
    questions: Sequence[Question],
    answers: dict[str, CheckInAnswer],
    key_results: Sequence[dict[str, Any]],
    kinds: set[str],
) -> list[str]:
    """What the check-in still lacks, each with how to add it by replying."""
    missing = [
        f'no answer to question {number} ("{_short(question.text)}"): reply with '
        f'"{number}. " and your answer'
        for number, question in enumerate(questions, start=1)
        if question.key not in answers and question.kind not in {"kr_progress", "confidence"}
    ]
    if "kr_progress" in kinds:
        missing.extend(
            f"no progress given for KR{kr['number']} ({kr['title']}): reply with a value or a "
            f'percentage, e.g. "KR{kr["number"]} 60%"'
            for kr in key_results
            if kr["progress"] is None
        )
    if "confidence" in kinds:
        missing.extend(
            f"no confidence given for KR{kr['number']}: reply with a number from 1 to 10"
            for kr in key_results
            if kr["confidence"] is None
        )
    return missing


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
