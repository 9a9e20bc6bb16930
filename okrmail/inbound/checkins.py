"""Merge parsed replies into their prompts' CheckIns, keeping every earlier answer.

"Later" means written later (the reply's Date, never later than its arrival), not processed
later: a reply fetched out of order does not overwrite a newer answer, it is recorded as
history. Key results take the newest progress and confidence, unless a newer check-in has
already updated them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from okrmail.inbound.bulk import Bulk
from okrmail.inbound.directory import KeyResultInfo, PromptInfo
from okrmail.models import (
    CheckIn,
    CheckInAnswer,
    CheckInReading,
    KeyResult,
    Prompt,
)
from okrmail.prompting import current_key_results
from okrmail.replies.answers import KeyResultRef, ParsedReply

_CHECKINS: Table = CheckIn.__table__  # type: ignore[assignment]
_ROWS: dict[type, Table] = {
    CheckInAnswer: CheckInAnswer.__table__,  # type: ignore[dict-item]
    CheckInReading: CheckInReading.__table__,  # type: ignore[dict-item]
}
_ANSWERABLE = {"sent", "undeliverable"}  # prompt statuses a reply turns into "answered"
# Statements built once (building costs more than running them on a batch).
_INSERTS = {model: Bulk(insert(table)) for model, table in _ROWS.items()}
_SUPERSEDE = {
    model: update(table)
    .where(table.c.id == bindparam("row_id"))
    .values(current=False, superseded_at=bindparam("superseded"))
    for model, table in _ROWS.items()
}
_CURRENT_ROWS = {
    model: select(table).where(
        table.c.checkin_id.in_(bindparam("ids", expanding=True)), table.c.current.is_(True)
    )
    for model, table in _ROWS.items()
}
_INSERT_CHECKINS = insert(_CHECKINS).returning(_CHECKINS.c.id, _CHECKINS.c.prompt_id)
_UPDATE_CHECKINS = update(_CHECKINS).where(_CHECKINS.c.id == bindparam("checkin_id"))
_CHECKINS_OF = (
    select(_CHECKINS.c.id, _CHECKINS.c.prompt_id, _CHECKINS.c.revision, _CHECKINS.c.unclear)
    .where(_CHECKINS.c.prompt_id.in_(bindparam("prompts", expanding=True)))
    .order_by(_CHECKINS.c.id)
)
_CHECKINS_OF_LOCKED = _CHECKINS_OF.with_for_update()
_KEY_RESULTS: Table = KeyResult.__table__  # type: ignore[assignment]
_UPDATE_KEY_RESULTS = Bulk(
    update(_KEY_RESULTS)
    .where(_KEY_RESULTS.c.id == bindparam("kr_id"))
    .values(
        current_value=bindparam("new_value"),
        confidence=bindparam("new_confidence"),
        updated_at=bindparam("new_updated_at"),
        updated_for=bindparam("new_updated_for"),
    )
)
_PROMPTS: Table = Prompt.__table__  # type: ignore[assignment]
_MARK_ANSWERED = (
    update(_PROMPTS)
    .where(_PROMPTS.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="answered")
)
NOTE_KINDS = {"blockers": "blocker", "help_requests": "help", "wins": "win"}


def numbered_key_results(session: Session, person_id: int) -> list[KeyResult]:
    """The person's key results numbered as the prompt shows them (KR1 = index 0)."""
    return [result for result, _ in current_key_results(session, person_id)]


def key_result_refs(results: Sequence[KeyResult | KeyResultInfo]) -> list[KeyResultRef]:
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


@dataclass(frozen=True)
class ReplyToMerge:
    """One parsed reply (read from `body_text` of Inbox message `inbox_id`) to merge into
    its prompt's check-in; `key_results` are the prompt's, numbered as it showed them."""

    inbox_id: int
    prompt: PromptInfo
    body_text: str
    parsed: ParsedReply
    key_results: Sequence[KeyResultInfo]
    answered_at: datetime


@dataclass
class _CheckInState:
    """A check-in being merged into, as the column values to write (no ORM object: the
    batch is written with a few Core statements), and its current rows by key."""

    prompt: PromptInfo
    id: int | None  # None until inserted
    values: dict[str, Any]
    current: dict[type, dict[tuple[Any, ...], _Current]]


def merge_replies(
    session: Session, replies: Sequence[ReplyToMerge], *, now: datetime, confirm: bool
) -> list[int]:
    """Merge each reply, in order, into its prompt's check-in (created by the first reply);
    returns the check-in id of each reply. A batch costs a few statements, not a few per
    reply: one read of the check-ins and one of their current rows, then one statement
    per kind of write.

    On PostgreSQL the existing check-ins are locked, so two workers merging into one take
    turns; two workers creating the same one make the insert fail on its unique prompt,
    and the caller retries (the check-in then exists).
    """
    states = _states(session, replies, now)
    inserts: dict[type, list[tuple[_CheckInState, dict[str, Any]]]] = {model: [] for model in _ROWS}
    superseded: dict[type, list[int]] = {model: [] for model in _ROWS}
    # Key results as the batch leaves them (a later reply reads what an earlier one set);
    # copied onto the looked-up records only once everything is written.
    live: dict[int, _KeyResultNow] = {}
    for reply in replies:
        state = states[reply.prompt.id]
        by_number = {
            number: live.setdefault(result.id, _KeyResultNow.of(result))
            for number, result in enumerate(reply.key_results, start=1)
        }
        _retract_notes(state, reply, now, superseded[CheckInReading])
        _retract_confidence(state, reply, now, superseded[CheckInReading])
        rows = {
            CheckInAnswer: _answers(reply.parsed),
            CheckInReading: _readings(reply.parsed, by_number, reply.body_text),
        }
        for model, values in rows.items():
            merged = _merge_rows(
                state.current[model], values, reply.answered_at, now, superseded[model]
            )
            for record in merged:
                record["inbox_message_id"] = reply.inbox_id
                inserts[model].append((state, record))
        # Only what this reply says moves the key results (unless an earlier-written reply
        # said otherwise): the check-in's other readings were carried onto them when given,
        # and may be older than their values now (a late word on last week's check-in must
        # not bring back last week's values). A manager's reply speaks of their report's key
        # results, which stay the report's to update: it is kept in their own check-in.
        if reply.prompt.role == "report":
            said = [row for row in rows[CheckInReading] if row.get("current", True)]
            _update_key_results(said, by_number, reply.prompt.meeting_start, reply.answered_at)
        state.values.update(
            revision=state.values["revision"] + 1,
            confirmation_due=confirm,
            last_inbox_message_id=reply.inbox_id,
            unclear=_still_unclear(state.values["unclear"], reply.parsed),
            updated_at=now,
        )
    changed = [result for result in live.values() if result.changed]
    answered = {r.prompt.id: r.prompt for r in replies if r.prompt.status in _ANSWERABLE}
    _write_checkins(session, list(states.values()))
    _write_key_results(session, changed)
    _mark_answered(session, answered)
    for model, ids in superseded.items():
        if ids:
            rows = [{"row_id": row_id, "superseded": now} for row_id in ids]
            session.execute(_SUPERSEDE[model], rows)
    for model, pending in inserts.items():
        if pending:
            for state, record in pending:
                record["checkin_id"] = state.id  # known now: the check-ins are written
            _INSERTS[model].execute(session, [record for _, record in pending])
    # Written: the looked-up records may now say so (a failed merge leaves them as they
    # were, for the retry).
    for result in changed:
        result.apply()
    for prompt in answered.values():
        prompt.status = "answered"
    return [states[reply.prompt.id].id for reply in replies]  # type: ignore[misc]


_DEFAULTS: dict[str, Any] = {"text": "", "how": "", "current": True}
# Every row starts as every column (Core's executemany takes one set of keys for all rows).
_BLANK = {
    model: {column.key: _DEFAULTS.get(column.key) for column in table.c if column.key != "id"}
    for model, table in _ROWS.items()
}


def _still_unclear(before: Sequence[str], parsed: ParsedReply) -> list[str]:
    """What is unclear after this reply: what it could not read, and what earlier replies
    could not, unless this one now gives it ("KR3 +7 setups" is asked about until a value
    for KR3 comes, whatever else is said meanwhile)."""
    read = {
        "progress": {reading.kr_number for reading in parsed.progress},
        "confidence": {reading.kr_number for reading in parsed.confidence},
    }
    kept = []
    for line in before:
        if line in parsed.unclear or line.startswith(_ABOUT_THAT_REPLY):
            continue
        kind = "confidence" if "confidence" in line else "progress"
        named = {int(number) for number in _KR_NAMED.findall(line)}
        given = read[kind]
        if kind == "confidence" and None in given:
            continue  # a confidence for all of them
        if named & given if named else given:
            continue  # read now (a line naming no key result: once any is read)
        kept.append(line)
    return kept + list(parsed.unclear)


_KR_NAMED = re.compile(r"\bKR(\d+)\b")
# Said of the reply it was read in, not of the check-in.
_ABOUT_THAT_REPLY = ("the reply is very long",)


def _write_checkins(session: Session, states: Sequence[_CheckInState]) -> None:
    """Insert the new check-ins (learning their ids) and update the others."""
    new = {state.prompt.id: state for state in states if state.id is None}
    if new:
        # Matched up by prompt (one check-in each), which lets the INSERT go out as one
        # statement: asking for the ids in parameter order would cost one per row on SQLite.
        rows = session.execute(_INSERT_CHECKINS, [state.values for state in new.values()])
        for checkin_id, prompt_id in rows:
            new[prompt_id].id = checkin_id
    old = [state for state in states if state.prompt.id not in new]
    if old:
        session.execute(
            _UPDATE_CHECKINS,
            [{**_changed(state.values), "checkin_id": state.id} for state in old],
        )


def _changed(values: dict[str, Any]) -> dict[str, Any]:
    names = ("revision", "confirmation_due", "last_inbox_message_id", "unclear", "updated_at")
    return {name: values[name] for name in names}


def _states(
    session: Session, replies: Sequence[ReplyToMerge], now: datetime
) -> dict[int, _CheckInState]:
    """The check-in of every prompt the replies answer, with its current rows: the existing
    ones (locked on PostgreSQL) read in one query each, the missing ones to be created."""
    prompts: dict[int, ReplyToMerge] = {}  # the first reply to each, in order
    for reply in replies:
        prompts.setdefault(reply.prompt.id, reply)
    postgresql = session.get_bind().dialect.name == "postgresql"
    query = _CHECKINS_OF_LOCKED if postgresql else _CHECKINS_OF
    states: dict[int, _CheckInState] = {}
    found = session.execute(query, {"prompts": list(prompts)})
    for checkin_id, prompt_id, revision, unclear in found:
        values = {"revision": revision, "unclear": list(unclear or [])}
        current: dict[type, dict[tuple[Any, ...], _Current]] = {model: {} for model in _ROWS}
        states[prompt_id] = _CheckInState(prompts[prompt_id].prompt, checkin_id, values, current)
    by_id = {state.id: state for state in states.values()}
    for model in _ROWS:
        if not by_id:
            break
        stored = session.execute(_CURRENT_ROWS[model], {"ids": list(by_id)}).mappings()
        for row in stored:
            values = _values_of(row)
            entry = _Current(values, row["answered_at"], row["id"])
            by_id[row["checkin_id"]].current[model][_key_of(values)] = entry
    for prompt_id, first in prompts.items():
        if prompt_id not in states:
            states[prompt_id] = _new_checkin(first, now)
    return states


def _new_checkin(first: ReplyToMerge, now: datetime) -> _CheckInState:
    """A prompt's check-in, created by its first reply (late when written after the
    meeting began)."""
    prompt = first.prompt
    values = {
        "prompt_id": prompt.id,
        "person_id": prompt.person_id,
        "meeting_id": prompt.meeting_id,
        "late": first.answered_at >= prompt.meeting_start,
        "revision": 0,
        "confirmation_due": False,
        "confirmed_revision": 0,
        "last_inbox_message_id": None,
        "unclear": [],
        "created_at": now,
        "updated_at": now,
    }
    return _CheckInState(prompt, None, values, {model: {} for model in _ROWS})


def _answers(parsed: ParsedReply) -> list[dict[str, Any]]:
    return [
        {
            **_BLANK[CheckInAnswer],
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
    parsed: ParsedReply, by_number: dict[int, _KeyResultNow], body_text: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for progress in parsed.progress:
        result = by_number.get(progress.kr_number)
        value = progress.value
        if progress.status == "no-change" and result is not None:
            # "No change" means the value as it stands now: the batch may have replies
            # read before this one that moved it since this one was parsed.
            value = result.current_value
        rows.append(
            {
                **_BLANK[CheckInReading],
                "key": ("progress", progress.kr_number),
                "kind": "progress",
                "kr_number": progress.kr_number,
                "key_result_id": result.id if result else None,
                "value": _decimal(value),
                "percent": _decimal(progress.percent),
                "status": progress.status[:32],
                **_span(progress.span),
            }
        )
    for confidence in parsed.confidence:
        result = by_number.get(confidence.kr_number) if confidence.kr_number else None
        rows.append(
            {
                **_BLANK[CheckInReading],
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
            rows.append(
                {
                    **_BLANK[CheckInReading],
                    "key": (kind, folded(note.text)),
                    "kind": kind,
                    **_span(note.span),
                }
            )
    if parsed.notes.strip():
        span = parsed.notes_span
        start = span.start if span else max(body_text.find(parsed.notes), 0)
        rows.append(
            {
                **_BLANK[CheckInReading],
                "key": ("note", folded(parsed.notes)),
                "kind": "note",
                "text": parsed.notes,
                "span_start": start,
                "span_end": span.end if span else start + len(parsed.notes),
            }
        )
    return rows


def _span(span: Any) -> dict[str, Any]:
    return {"text": span.text, "span_start": span.start, "span_end": span.end}


def folded(text: str) -> str:
    """`text` lowered, its whitespace runs one space: the form notes are compared in."""
    return " ".join(text.lower().split())


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    # Numeric(18, 4): a value the column cannot hold is dropped, not an error.
    return number if number.is_finite() and abs(number) < _NUMERIC_LIMIT else None


_NUMERIC_LIMIT = Decimal(10) ** 13  # computed once: the bound `_decimal` keeps values under


@dataclass(slots=True)
class _Current:
    """The current row for one key: its values, and the stored row if it was stored before."""

    values: dict[str, Any]
    answered_at: datetime
    stored_id: int | None = None  # None: written earlier in this batch, not inserted yet


def _merge_rows(
    current: dict[tuple[Any, ...], _Current],
    rows: Iterable[dict[str, Any]],
    answered_at: datetime,
    now: datetime,
    superseded: list[int],
) -> list[dict[str, Any]]:
    """Merge `rows` into `current` (the check-in's current rows by key, updated in place):
    each supersedes the current row with the same key if it is newer. Returns the rows to
    insert (the dicts of `rows`, completed in place); the ids of stored rows it supersedes
    are added to `superseded`.

    Notes (blockers, wins, ...) are keyed by their text, so they accumulate; an identical
    answer repeated later is not recorded twice.
    """
    inserts: list[dict[str, Any]] = []
    for values in rows:
        key = values.pop("key")
        existing = current.get(key)
        if existing is not None and _same(existing.values, values):
            continue
        newest = existing is None or existing.answered_at <= answered_at
        if existing is not None and newest:
            _supersede(existing, now, superseded)
        values.update(
            answered_at=answered_at, current=newest, superseded_at=None if newest else now
        )
        inserts.append(values)
        if newest:
            current[key] = _Current(values, answered_at)
    return inserts


def _retract_notes(
    state: _CheckInState, reply: ReplyToMerge, now: datetime, superseded: list[int]
) -> None:
    """Blockers, requests for help and wins read from an answer this reply replaces are
    no longer current ("2. Blocked on legal", then "2. None, legal signed"): they are
    superseded like the answer, and come back only if the new reply says them again."""
    answers, readings = state.current[CheckInAnswer], state.current[CheckInReading]
    for question_key, answer in reply.parsed.answers.items():
        old = answers.get(("answer", question_key))
        if old is None or old.answered_at > reply.answered_at:
            continue
        replaced = folded(old.values["text"])
        if replaced == folded(answer.text):
            continue
        for key, entry in list(readings.items()):
            if key[0] in _NOTE_READINGS and key[1] and key[1] in replaced:
                _supersede(entry, now, superseded)
                del readings[key]


_NOTE_READINGS = frozenset(NOTE_KINDS.values())


def _retract_confidence(
    state: _CheckInState, reply: ReplyToMerge, now: datetime, superseded: list[int]
) -> None:
    """A confidence for no key result in particular, given after scores for some ("KR1 8,
    KR2 6", then "7 for all of them"), stands for every key result this reply gives none
    for: their earlier scores are superseded."""
    given = {reading.kr_number for reading in reply.parsed.confidence}
    if None not in given:
        return
    readings = state.current[CheckInReading]
    for key, entry in list(readings.items()):
        kind, number = key[0], key[1]
        older = entry.answered_at <= reply.answered_at
        if kind == "confidence" and number is not None and number not in given and older:
            _supersede(entry, now, superseded)
            del readings[key]


def _supersede(entry: _Current, now: datetime, superseded: list[int]) -> None:
    if entry.stored_id is not None:
        superseded.append(entry.stored_id)
    else:  # written earlier in this same batch: its insert has not run yet
        entry.values["current"] = False
        entry.values["superseded_at"] = now


def _values_of(row: Mapping[str, Any]) -> dict[str, Any]:
    if "question_key" in row:
        return {"question_key": row["question_key"], "text": row["text"]}
    names = ("kind", "kr_number", "value", "percent", "score", "text")
    return {name: row[name] for name in names}


def _key_of(values: dict[str, Any]) -> tuple[Any, ...]:
    if "question_key" in values:
        return ("answer", values["question_key"])
    if values["kind"] in {"progress", "confidence"}:
        return (values["kind"], values.get("kr_number"))
    return (values["kind"], folded(values.get("text", "")))


def _same(existing: dict[str, Any], new: dict[str, Any]) -> bool:
    if "question_key" in existing:
        return folded(existing["text"]) == folded(new["text"])
    if existing["kind"] == "progress":
        return (existing.get("value"), existing.get("percent")) == (
            new.get("value"),
            new.get("percent"),
        )
    if existing["kind"] == "confidence":
        return existing.get("score") == new.get("score")
    return True  # notes are keyed by their text


@dataclass(slots=True)
class _KeyResultNow:
    """A key result's values during a merge, and the looked-up record they end up on."""

    result: KeyResultInfo
    current_value: Decimal | None
    confidence: int | None
    updated_at: datetime | None
    updated_for: datetime | None
    changed: bool = False

    @property
    def id(self) -> int:
        return self.result.id

    @classmethod
    def of(cls, result: KeyResultInfo) -> _KeyResultNow:
        return cls(
            result, result.current_value, result.confidence, result.updated_at, result.updated_for
        )

    def apply(self) -> None:
        self.result.current_value = self.current_value
        self.result.confidence = self.confidence
        self.result.updated_at = self.updated_at
        self.result.updated_for = self.updated_for

    def spoken_for(self, meeting_start: datetime, answered_at: datetime) -> bool:
        """Whether a check-in for a later meeting, or a later reply for this one, has set
        the values already: a late word on last week's check-in (even answered after this
        week's) leaves this week's values."""
        if self.updated_for is not None and self.updated_for != meeting_start:
            return self.updated_for > meeting_start
        return self.updated_at is not None and self.updated_at > answered_at


def _update_key_results(
    readings: Sequence[dict[str, Any]],
    by_number: dict[int, _KeyResultNow],
    meeting_start: datetime,
    answered_at: datetime,
) -> None:
    """Carry a reply's new readings onto the key results they name, unless a check-in for
    a later meeting (or a later reply) has spoken for them.

    A confidence given for no key result in particular applies to those the reply gives
    none for.
    """
    confidences = [r for r in readings if r.get("kind") == "confidence"]
    overall = next((r for r in confidences if r.get("kr_number") is None), None)
    specific = {r["kr_number"] for r in confidences if r.get("kr_number")}
    for number, result in by_number.items():
        if result.spoken_for(meeting_start, answered_at):
            continue
        value, confidence = result.current_value, result.confidence
        for reading in readings:
            if reading.get("kr_number") != number:
                continue
            if reading["kind"] == "progress" and reading.get("value") is not None:
                value = reading["value"]
            elif reading["kind"] == "confidence":
                confidence = reading["score"]
        if overall is not None and number not in specific:
            confidence = overall["score"]
        if (value, confidence) != (result.current_value, result.confidence):
            result.current_value, result.confidence = value, confidence
            result.updated_at, result.updated_for = answered_at, meeting_start
            result.changed = True


def _write_key_results(session: Session, changed: Sequence[_KeyResultNow]) -> None:
    if changed:
        rows = [
            {
                "kr_id": result.id,
                "new_value": result.current_value,
                "new_confidence": result.confidence,
                "new_updated_at": result.updated_at,
                "new_updated_for": result.updated_for,
            }
            for result in changed
        ]
        _UPDATE_KEY_RESULTS.execute(session, rows)


def _mark_answered(session: Session, answered: dict[int, PromptInfo]) -> None:
    """Prompts sent (or thought undeliverable) are answered now; one UPDATE for all."""
    if answered:
        session.execute(_MARK_ANSWERED, {"ids": list(answered)})
