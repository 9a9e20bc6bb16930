"""The confirmation: tell the sender what their check-in now says, and what is missing.

It shows the merged check-in (every reply so far), per question and per key result. Its
Reply-To carries the prompt's token and its Message-ID is in the Outbox with the prompt, so
a reply to it routes back to the same check-in and corrects or completes it. One message
per check-in revision: the Message-ID is derived from it, so a retried job records it once.

Confirmations are recorded in batches, as ingest merges them: one statement claims the due
check-ins, a few queries load what their emails show, one more finds the Message-IDs the
Outbox already has. If anything in a batch fails, it is rolled back and redone one check-in
per transaction, so only the bad one stays due (and is logged) for the next run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from okrmail import outbox
from okrmail.answer_view import note_shown, updated_since
from okrmail.app import AppContext
from okrmail.emails import Envelope, build_email, our_address
from okrmail.inbound.checkins import folded
from okrmail.models import (
    CheckIn,
    CheckInAnswer,
    CheckInReading,
    InboxMessage,
    KeyResult,
    Meeting,
    OutboxMessage,
    Pairing,
    Person,
    Prompt,
    Series,
)
from okrmail.prompting import (
    RECAP_MARKER,
    absence_days,
    current_key_results_of,
    format_value,
    shared_context,
    standing,
)
from okrmail.questions import NOTE_KIND, Question, question_sets

log = logging.getLogger(__name__)
SHOWN_ANSWER = 400  # characters of each answer (and note) quoted back
NOTE_TITLES = {
    "blocker": "Blocker",
    "help": "Help wanted",
    "win": "Win",
    "note": "Kept as a note",  # written outside any answer; shown unless only courtesies
}
BATCH = 200  # check-ins claimed, loaded and recorded per transaction


def confirmation_message_id(checkin: CheckIn, domain: str) -> str:
    return f"<confirm-{checkin.id}-{checkin.revision}-{checkin.prompt.token[:8]}@{domain}>"


def send_confirmations(ctx: AppContext, checkin_ids: Sequence[int] | None = None) -> list[int]:
    """Record the confirmation of each check-in whose latest revision is unconfirmed.

    With no ids, every check-in with one due. Returns the Outbox ids, in the order of the
    check-ins, claimed for the caller to deliver (past their lease the tick delivers them
    anyway). A check-in another worker has claimed is skipped; one whose confirmation
    cannot be built is logged and left due, and the others are recorded all the same.
    """
    if checkin_ids is None:
        with ctx.sessions() as session:
            checkin_ids = list(
                session.scalars(
                    select(CheckIn.id)
                    .where(CheckIn.confirmation_due.is_(True))
                    .order_by(CheckIn.id)
                )
            )
    wanted = list(dict.fromkeys(checkin_ids))  # each once, in the caller's order
    recorded: list[int] = []
    for start in range(0, len(wanted), BATCH):
        recorded += _confirm_batch(ctx, wanted[start : start + BATCH])
    return recorded


def _confirm_batch(ctx: AppContext, checkin_ids: Sequence[int]) -> list[int]:
    """One transaction for the batch; after a failure, one per check-in."""
    try:
        with ctx.transaction() as session:
            return _confirm(ctx, session, checkin_ids)
    except Exception:  # whatever broke, the other check-ins are still confirmed
        if len(checkin_ids) == 1:
            log.exception("confirming check-in #%s failed; it stays due", checkin_ids[0])
            return []
        log.info("confirming %s check-ins at once failed; one by one", len(checkin_ids))
    return [row for checkin_id in checkin_ids for row in _confirm_batch(ctx, [checkin_id])]


def _confirm(ctx: AppContext, session: Session, checkin_ids: Sequence[int]) -> list[int]:
    claimed = set(
        session.scalars(
            update(CheckIn)
            .where(CheckIn.id.in_(checkin_ids), CheckIn.confirmation_due.is_(True))
            .values(confirmation_due=False, confirmed_revision=CheckIn.revision)
            .returning(CheckIn.id)
            .execution_options(synchronize_session=False)
        )
    )  # the rest: another worker has them, or nothing new
    if not claimed:
        return []
    confirmations = _load(session, [i for i in checkin_ids if i in claimed])
    messages = [(due, build_confirmation(ctx, due)) for due in confirmations]
    wanted = [str(message["Message-ID"]) for _, message in messages]
    recorded_before = set(
        session.scalars(
            select(OutboxMessage.message_id).where(OutboxMessage.message_id.in_(wanted))
        )
    )  # a retried job: recorded once, by the first run
    lease = timedelta(seconds=ctx.settings.tick.claim_lease_seconds)
    return [
        outbox.record(
            session,
            message,
            kind="confirmation",
            now=ctx.now(),
            lease=lease,
            prompt_id=due.checkin.prompt_id,
        ).id
        for due, message in messages
        if str(message["Message-ID"]) not in recorded_before
    ]


# -- what a confirmation shows, loaded for a batch ---------------------------------------


@dataclass(frozen=True)
class Confirmation:
    """One claimed check-in and everything its confirmation shows."""

    checkin: CheckIn
    prompt: Prompt
    person: Person  # the prompt's recipient
    meeting: Meeting
    reply_sender: str | None  # the latest reply's sender and Message-ID
    reply_message_id: str | None
    answers: dict[str, CheckInAnswer]  # current answers by question key
    readings: list[CheckInReading]  # current readings, oldest first
    replaced: list[CheckInReading]  # values since replaced (the notes they were read from)
    key_results: list[KeyResult]  # the pairing's report's, numbered as the prompt shows them


def _load(session: Session, checkin_ids: Sequence[int]) -> list[Confirmation]:
    """The check-ins (in the given order) with their prompts, people, meetings, latest
    replies, current answers and readings, and the key results of their pairings' reports,
    in a fixed handful of queries."""
    rows = session.execute(
        select(CheckIn, Prompt, Person, Meeting, Pairing.report_id)
        .join(Prompt, CheckIn.prompt_id == Prompt.id)
        .join(Person, Prompt.person_id == Person.id)
        .join(Meeting, Prompt.meeting_id == Meeting.id)
        .join(Series, Meeting.series_id == Series.id)
        .join(Pairing, Series.pairing_id == Pairing.id)
        .where(CheckIn.id.in_(checkin_ids))
    ).all()
    found = {row[0].id: row for row in rows}
    reply_ids = {row[0].last_inbox_message_id for row in rows} - {None}
    # Only the columns needed: the row also holds the raw message and its text.
    replies = {
        reply.id: reply
        for reply in session.execute(
            select(InboxMessage.id, InboxMessage.sender, InboxMessage.message_id).where(
                InboxMessage.id.in_(reply_ids)
            )
        )
    }
    answers: dict[int, dict[str, CheckInAnswer]] = defaultdict(dict)
    for answer in session.scalars(
        select(CheckInAnswer)
        .where(CheckInAnswer.checkin_id.in_(checkin_ids), CheckInAnswer.current.is_(True))
        .order_by(CheckInAnswer.id)
    ):
        answers[answer.checkin_id][answer.question_key] = answer
    readings: dict[int, list[CheckInReading]] = defaultdict(list)
    replaced: dict[int, list[CheckInReading]] = defaultdict(list)
    for reading in session.scalars(
        select(CheckInReading)
        .where(CheckInReading.checkin_id.in_(checkin_ids))
        .order_by(CheckInReading.id)
    ):
        if reading.current:
            readings[reading.checkin_id].append(reading)
        elif reading.kind in {"progress", "confidence"}:
            replaced[reading.checkin_id].append(reading)
    key_results = current_key_results_of(session, [row.report_id for row in rows])
    loaded = []
    for checkin_id in checkin_ids:
        checkin, prompt, person, meeting, report_id = found[checkin_id]
        reply = replies.get(checkin.last_inbox_message_id)
        loaded.append(
            Confirmation(
                checkin=checkin,
                prompt=prompt,
                person=person,
                meeting=meeting,
                reply_sender=reply.sender if reply else None,
                reply_message_id=reply.message_id if reply else None,
                answers=answers[checkin_id],
                readings=readings[checkin_id],
                replaced=replaced[checkin_id],
                key_results=[result for result, _ in key_results.get(report_id, [])],
            )
        )
    return loaded


# -- rendering ---------------------------------------------------------------------------


def build_confirmation(ctx: AppContext, due: Confirmation) -> EmailMessage:
    mail = ctx.settings.mail
    prompt, parent = due.prompt, due.reply_message_id
    envelope = Envelope(
        sender=our_address(mail),
        to=_recipient(due),
        message_id=confirmation_message_id(due.checkin, mail.message_id_domain),
        reply_to=mail.reply_address.format(token=prompt.token),
        in_reply_to=parent,
        references=tuple(ref for ref in (prompt.message_id,) if ref and ref != parent),
    )
    context = confirmation_context(ctx, due)
    return build_email(
        ctx.settings.templates_path, "confirmation", context, envelope, date=ctx.now()
    )


def _recipient(due: Confirmation) -> Address:
    """The address the latest reply came from, else (no reply, or one no header can carry:
    "lena+ä@example.com" passes the sender check, which drops the +tag) the person's."""
    if due.reply_sender:
        try:
            return Address(due.person.name, addr_spec=due.reply_sender)
        except ValueError:  # the header defects email.headerregistry raises
            pass
    return Address(due.person.name, addr_spec=due.person.email)


def confirmation_context(ctx: AppContext, due: Confirmation) -> dict[str, Any]:
    """Everything the confirmation templates show; plain JSON types only."""
    checkin, prompt = due.checkin, due.prompt
    question_set = question_sets(ctx.settings.templates_path)[prompt.question_set]
    questions = question_set.for_role(prompt.role)
    key_results = _key_results(due.key_results, due.readings)
    kinds = {question.kind for question in questions}
    shown = [
        _question(number, question, due.answers.get(question.key), due.readings)
        for number, question in enumerate(questions, start=1)
    ]
    shown_under_questions = {
        _READ_FOR[question.kind]
        for question, entry in zip(questions, shown, strict=True)
        if entry["elsewhere"]
    }
    return {
        **shared_context(ctx, due.person, due.meeting, prompt.question_set),
        "late": checkin.late,
        # Cancelled after the prompt went out: the person should know their answers reach
        # no meeting, though they are kept.
        "cancelled": due.meeting.status == "cancelled",
        "revision": checkin.revision,
        "recap_marker": RECAP_MARKER,
        "questions": shown,
        # Shown when asked about, or read anyway: a manager's prep questions ask nothing
        # of their report's key results, which would all read "not given".
        "key_results": key_results
        if kinds & {"kr_progress", "confidence"} or _any_read(key_results)
        else [],
        "notes": _notes(
            due.readings, due.replaced, shown_under_questions, _answered_by_kind(questions, due)
        ),
        "missing": _missing(questions, shown, key_results, kinds),
        "unclear": list(checkin.unclear or []),
        # Said in this check-in or before: reminders wait, and the digest says so.
        "away": away_view(due.person, ctx.now()),
        "manager_told": prompt.role == "report",
    }


def away_view(person: Person, now: datetime) -> dict[str, Any] | None:
    """When the person is marked away (a check-in can say so: "I'm away next week"), in
    their own days: from (empty when it has begun) and back, and `later`, the same for
    another absence apart from that one; None when not."""
    absences = absence_days(person, now)
    if not absences:
        return None
    return {**absences[0], "later": absences[1:]}


def _any_read(key_results: Sequence[dict[str, Any]]) -> bool:
    return any(kr["progress"] is not None or kr["confidence"] is not None for kr in key_results)


def _notes(
    readings: Sequence[CheckInReading],
    replaced: Sequence[CheckInReading],
    shown: set[str],
    answered: dict[str, str],
) -> list[dict[str, str]]:
    """The notes, in order, each text once ("Blocker, help wanted: …" for a sentence that is
    both). Left out: kinds already shown under their question; a sentence that is already
    in the answer to its kind's question (the blocker that answered "What is in your way?"),
    unless it is also of another kind; free-text notes that only gave values (`note_shown`,
    with `replaced`: values read then and since replaced)."""
    values = [*readings, *replaced]
    titles: dict[str, list[str]] = {}
    answer_only: dict[str, bool] = {}
    for row in readings:
        if row.kind in NOTE_TITLES and row.kind not in shown and (text := _shown(row, values)):
            titles.setdefault(text, []).append(NOTE_TITLES[row.kind])
            in_answer = folded(row.text) in answered.get(row.kind, "")
            answer_only[text] = answer_only.get(text, True) and in_answer
    return [
        {"kind": ", ".join([kinds[0], *(kind.lower() for kind in kinds[1:])]), "text": text}
        for text, kinds in titles.items()
        if not answer_only[text]
    ]


def _answered_by_kind(questions: Sequence[Question], due: Confirmation) -> dict[str, str]:
    """The current answers to the questions that ask for blockers, help or wins, by the
    kind of note they give, folded (`folded`) so that a folded note can be looked up in them."""
    answered: dict[str, str] = defaultdict(str)
    for question in questions:
        answer = due.answers.get(question.key)
        if question.kind in NOTE_KIND and answer is not None:
            answered[NOTE_KIND[question.kind]] += " " + folded(answer.text)
    return answered


def _shown(row: CheckInReading, readings: Sequence[CheckInReading]) -> str:
    """A note's text as shown: a free-text note as `note_shown` shows it."""
    return _shortened(note_shown(row, readings) if row.kind == "note" else row.text)


def _question(
    number: int,
    question: Question,
    answer: CheckInAnswer | None,
    readings: Sequence[CheckInReading],
) -> dict[str, Any]:
    """A question as shown, with its answer; without one, what the reply said about it
    elsewhere (a free paragraph's progress, confidence or blocker)."""
    text = _shortened(answer.text.strip()) if answer else ""
    elsewhere = "" if text else _shortened(_said_elsewhere(question.kind, readings))
    return {
        "number": number,
        "key": question.key,
        "text": question.text,
        "answer": text,
        "updated": updated_since(question.kind, answer, readings) if answer else "",
        "elsewhere": elsewhere,
        "optional": question.optional,
    }


# The reading kind that answers a question of each kind, wherever in the reply it was read.
_READ_FOR = {"kr_progress": "progress", "confidence": "confidence", **NOTE_KIND}


def _said_elsewhere(kind: str, readings: Sequence[CheckInReading]) -> str:
    """What the readings say that answers a question of `kind` ("" when nothing does):
    "KR1 9 of 18; KR2 88%", "KR1 8/10", or the noted sentences, one per line."""
    wanted = _READ_FOR.get(kind)
    found = [row for row in readings if row.kind == wanted]
    if wanted == "progress":
        return "; ".join(f"KR{row.kr_number} {row.text}" for row in found)
    if wanted == "confidence":
        return "; ".join(
            f"KR{row.kr_number} {row.score}/10" if row.kr_number else f"{row.score}/10 overall"
            for row in found
        )
    return "\n".join(row.text for row in found)


def _shortened(text: str) -> str:
    return text if len(text) <= SHOWN_ANSWER else text[: SHOWN_ANSWER - 1].rstrip() + "…"


def _key_results(
    results: Sequence[KeyResult], readings: Sequence[CheckInReading]
) -> list[dict[str, Any]]:
    progress = {r.kr_number: r for r in readings if r.kind == "progress"}
    confidence = {r.kr_number: r for r in readings if r.kind == "confidence"}
    overall = confidence.get(None)
    lines = []
    for number, result in enumerate(results, start=1):
        reading = progress.get(number)
        score = confidence.get(number) or overall
        shown = None
        if reading is not None and reading.value is not None:
            # As the digest shows it: a key result that goes down reads "4 days, target 2
            # days (33% of the way)", not "4 of 2 days".
            shown = standing(result.start_value, reading.value, result.target_value, result.unit)
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
    shown: Sequence[dict[str, Any]],
    key_results: Sequence[dict[str, Any]],
    kinds: set[str],
) -> list[str]:
    """What the check-in still lacks, each with how to add it by replying. A question
    answered in all but name (a blocker noted in a free paragraph) lacks nothing, nor does
    an optional one left out (the prompt says to skip what does not apply); progress and
    confidence are asked for per key result."""
    missing = [
        f'no answer to question {entry["number"]} ("{_short(question.text)}"): reply with '
        f'"{entry["number"]}. " and your answer'
        for question, entry in zip(questions, shown, strict=True)
        if not entry["answer"]
        and not entry["elsewhere"]
        and not question.optional
        and question.kind not in {"kr_progress", "confidence"}
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
            f"no confidence given for KR{kr['number']}: reply with a number from 1 to 10, "
            f'e.g. "KR{kr["number"]} confidence 7"'
            for kr in key_results
            if kr["confidence"] is None
        )
    return missing


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
