"""Merge a parsed reply into the prompt's one CheckIn, keeping every earlier answer.

"Later" means written later (the reply's Date, never later than its arrival), not processed
later: a reply fetched out of order does not overwrite a newer answer, it is recorded as
history. Key results take the newest progress and confidence, unless a newer check-in has
already updated them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from okrmail.models import (
    CheckIn,
    CheckInAnswer,
    CheckInReading,
    KeyResult,
    Prompt,
)
from okrmail.prompting import current_key_results
from okrmail.replies.answers import KeyResultRef, ParsedReply

NOTE_KINDS = {"blockers": "blocker", "help_requests": "help", "wins": "win"}


def numbered_key_results(session: Session, person_id: int) -> list[KeyResult]:
    """The person's key results numbered as the prompt shows them (KR1 = index 0)."""
    return [result for result, _ in current_key_results(session, person_id)]


def key_result_refs(results: Sequence[KeyResult]) -> list[KeyResultRef]:
    return [
        KeyResultRef(
            number=number,
            title=result.title,
            start=result.start_value,
            target=result.target_value,
            unit=result.unit,
            current=result.current_value,
        )
        for number, result in enumerate(results, start=1)
    ]


def checkin_for(session: Session, prompt: Prompt, now: datetime, answered_at: datetime) -> CheckIn:
    """The prompt's CheckIn, created on the first reply (late when written after the
    meeting began); locked on PostgreSQL so two workers merging into it take turns."""
    query = select(CheckIn).where(CheckIn.prompt_id == prompt.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    checkin = session.scalar(query)
    if checkin is not None:
        return checkin
    checkin = CheckIn(
        prompt=prompt,
        person_id=prompt.person_id,
        meeting_id=prompt.meeting_id,
        late=answered_at >= prompt.meeting.start,
        revision=0,
        confirmation_due=False,
        confirmed_revision=0,
        unclear=[],
        created_at=now,
        updated_at=now,
    )
    if session.get_bind().dialect.name != "postgresql":
        # SQLite lets one writer in at a time: a rival insert surfaces as a busy snapshot
        # for the whole transaction, which a savepoint could not save anyway.
        session.add(checkin)
        return checkin
    try:
        with session.begin_nested():
            session.add(checkin)
    except IntegrityError:  # another worker created it a moment ago
        checkin = session.scalars(query).one()
    return checkin


def merge_reply(
    session: Session,
    checkin: CheckIn,
    inbox_id: int,
    body_text: str,
    parsed: ParsedReply,
    key_results: Sequence[KeyResult],
    *,
    answered_at: datetime,
    now: datetime,
    confirm: bool,
) -> None:
    """Record `parsed` (read from `body_text` of Inbox message `inbox_id`) in `checkin`,
    then update the key results."""
    fresh = checkin.revision == 0
    by_number = {number: result for number, result in enumerate(key_results, start=1)}
    _, new_answers = _merge_rows(
        session, checkin, CheckInAnswer, _answers(parsed), answered_at, now, fresh
    )
    readings, new_readings = _merge_rows(
        session,
        checkin,
        CheckInReading,
        _readings(parsed, by_number, body_text),
        answered_at,
        now,
        fresh,
    )
    _update_key_results(readings, by_number, answered_at)
    checkin.revision += 1
    checkin.confirmation_due = confirm
    checkin.last_inbox_message_id = inbox_id
    checkin.unclear = list(parsed.unclear)
    checkin.updated_at = now
    if checkin.prompt.status in {"sent", "undeliverable"}:
        checkin.prompt.status = "answered"
    # One flush (a new check-in gets its id), then the new rows in one INSERT per table:
    # a reply carries a dozen rows, and the unit of work would add them one by one.
    session.flush()
    for model, rows in ((CheckInAnswer, new_answers), (CheckInReading, new_readings)):
        for row in rows:
            row.update(checkin_id=checkin.id, inbox_message_id=inbox_id)
        if rows:
            session.execute(insert(model), rows)


def _answers(parsed: ParsedReply) -> list[dict[str, Any]]:
    return [
        {
            "key": ("answer", answer.question_key),
            "question_key": answer.question_key,
            "text": answer.text,
            "span_start": answer.span.start,
            "span_end": answer.span.end,
            "how": answer.how[:32],
        }
        for answer in parsed.answers.values()
    ]


def _readings(
    parsed: ParsedReply, by_number: dict[int, KeyResult], body_text: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for progress in parsed.progress:
        result = by_number.get(progress.kr_number)
        rows.append(
            {
                "key": ("progress", progress.kr_number),
                "kind": "progress",
                "kr_number": progress.kr_number,
                "key_result_id": result.id if result else None,
                "value": _decimal(progress.value),
                "percent": _decimal(progress.percent),
                "status": progress.status[:32],
                **_span(progress.span),
            }
        )
    for confidence in parsed.confidence:
        result = by_number.get(confidence.kr_number) if confidence.kr_number else None
        rows.append(
            {
                "key": ("confidence", confidence.kr_number),
                "kind": "confidence",
                "kr_number": confidence.kr_number,
                "key_result_id": result.id if result else None,
                "score": confidence.score,
                **_span(confidence.span),
            }
        )
    for attribute, kind in NOTE_KINDS.items():
        for note in getattr(parsed, attribute):
            rows.append({"key": (kind, _fold(note.text)), "kind": kind, **_span(note.span)})
    if parsed.notes.strip():
        start = max(body_text.find(parsed.notes), 0)
        rows.append(
            {
                "key": ("note", _fold(parsed.notes)),
                "kind": "note",
                "text": parsed.notes,
                "span_start": start,
                "span_end": start + len(parsed.notes),
            }
        )
    return rows


def _span(span: Any) -> dict[str, Any]:
    return {"text": span.text, "span_start": span.start, "span_end": span.end}


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    # Numeric(18, 4): a value the column cannot hold is dropped, not an error.
    return number if number.is_finite() and abs(number) < Decimal(10) ** 13 else None


@dataclass
class _Current:
    """The current row for one key: its values, and the stored row if it was stored before."""

    values: dict[str, Any]
    answered_at: datetime
    stored: CheckInAnswer | CheckInReading | None = None


def _merge_rows(
    session: Session,
    checkin: CheckIn,
    model: type[CheckInAnswer] | type[CheckInReading],
    rows: Iterable[dict[str, Any]],
    answered_at: datetime,
    now: datetime,
    fresh: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Merge `rows` into the current ones: each supersedes the current row with the same
    key if it is newer. Returns (the current rows' values after the merge, the rows to
    insert); stored rows it supersedes are updated in the session.

    Notes (blockers, wins, ...) are keyed by their text, so they accumulate; an identical
    answer repeated later is not recorded twice.
    """
    current: dict[tuple[Any, ...], _Current] = {}
    if not fresh:
        for row in session.scalars(
            select(model).where(model.checkin_id == checkin.id, model.current.is_(True))
        ):
            values = _values_of(row)
            current[_key_of(values)] = _Current(values, row.answered_at, row)
    inserts: list[dict[str, Any]] = []
    for values in rows:
        key = values.pop("key")
        existing = current.get(key)
        if existing is not None and _same(existing.values, values):
            continue
        newest = existing is None or existing.answered_at <= answered_at
        if existing is not None and newest:
            _supersede(existing, now)
        record = {
            **values,
            "answered_at": answered_at,
            "current": newest,
            "superseded_at": None if newest else now,
        }
        inserts.append(record)
        if newest:
            current[key] = _Current(record, answered_at)
    return [entry.values for entry in current.values()], inserts


def _supersede(entry: _Current, now: datetime) -> None:
    if entry.stored is not None:
        entry.stored.current = False
        entry.stored.superseded_at = now
    else:  # written earlier in this same reply: its insert has not run yet
        entry.values["current"] = False
        entry.values["superseded_at"] = now


def _values_of(row: CheckInAnswer | CheckInReading) -> dict[str, Any]:
    if isinstance(row, CheckInAnswer):
        return {"question_key": row.question_key, "text": row.text}
    return {
        "kind": row.kind,
        "kr_number": row.kr_number,
        "value": row.value,
        "percent": row.percent,
        "score": row.score,
        "text": row.text,
    }


def _key_of(values: dict[str, Any]) -> tuple[Any, ...]:
    if "question_key" in values:
        return ("answer", values["question_key"])
    if values["kind"] in {"progress", "confidence"}:
        return (values["kind"], values.get("kr_number"))
    return (values["kind"], _fold(values.get("text", "")))


def _same(existing: dict[str, Any], new: dict[str, Any]) -> bool:
    if "question_key" in existing:
        return _fold(existing["text"]) == _fold(new["text"])
    if existing["kind"] == "progress":
        return (existing.get("value"), existing.get("percent")) == (
            new.get("value"),
            new.get("percent"),
        )
    if existing["kind"] == "confidence":
        return existing.get("score") == new.get("score")
    return True  # notes are keyed by their text


def _update_key_results(
    readings: Sequence[dict[str, Any]], by_number: dict[int, KeyResult], answered_at: datetime
) -> None:
    """Carry the check-in's current readings onto the key results they name.

    A confidence given for no key result in particular applies to those without their own.
    """
    confidences = [r for r in readings if r.get("kind") == "confidence"]
    overall = next((r for r in confidences if r.get("kr_number") is None), None)
    specific = {r["kr_number"] for r in confidences if r.get("kr_number")}
    for number, result in by_number.items():
        if result.updated_at is not None and result.updated_at > answered_at:
            continue  # a newer check-in already spoke for this key result
        changed = False
        for reading in readings:
            if reading.get("kr_number") != number:
                continue
            if reading["kind"] == "progress" and reading.get("value") is not None:
                changed |= result.current_value != reading["value"]
                result.current_value = reading["value"]
            elif reading["kind"] == "confidence":
                changed |= result.confidence != reading["score"]
                result.confidence = reading["score"]
        if overall is not None and number not in specific:
            changed |= result.confidence != overall["score"]
            result.confidence = overall["score"]
        if changed:
            result.updated_at = answered_at
