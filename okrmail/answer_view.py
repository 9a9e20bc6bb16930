"""Answers and notes as shown to people (in the confirmation, in the digest).

An answer may have been overtaken: "KR1 18/50, KR2 31%" answered on Tuesday, then "Sorry,
KR1 is 20, not 18" in reply to the confirmation. The answer is the person's words and
stays as written; beside it, the values later replies set, so nobody reads 18 above a key
result that says 20.

A note (what answered no question in particular) is shown without its greeting and
sign-off, and not at all when all it said were values already shown with the key results:
"KR2 40" typed above the quoted confirmation is KR2's new value, not also something to
read again under "Kept as a note".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from okrmail.models import CheckInAnswer, CheckInReading
from okrmail.prompting import format_value
from okrmail.replies.courtesy import without_courtesies
from okrmail.replies.fields import without_labels

# The reading that a question of each kind is answered with, where it has values.
_VALUES_OF = {"kr_progress": "progress", "confidence": "confidence"}


def updated_since(kind: str, answer: CheckInAnswer, readings: Sequence[CheckInReading]) -> str:
    """The current values a later reply set for what the answer (to a question of `kind`)
    gives, "KR1 20; KR2 confidence 6/10"; "" when none did."""
    wanted = _VALUES_OF.get(kind)
    later = [
        row
        for row in readings
        if row.kind == wanted
        and row.current
        and row.inbox_message_id != answer.inbox_message_id
        and row.answered_at >= answer.answered_at
    ]
    return "; ".join(_value(row) for row in later)


def _value(row: CheckInReading) -> str:
    label = f"KR{row.kr_number}" if row.kr_number else "all key results"
    if row.kind == "confidence":
        return f"{label} confidence {row.score}/10"
    if row.value is not None:
        return f"{label} {format_value(row.value)}"
    if row.percent is not None:
        return f"{label} {format_value(row.percent)}%"
    return f"{label} {(row.status or 'noted').replace('-', ' ')}"


# What may be left of a note once the values read from it, the key-result labels and the
# words for confidence are taken out (`without_labels`), for it to have said nothing else:
# "KR2 40", "KR1: 20, KR3 = 12", "Zuversicht: hoch", "progress KR2 6 and KR3 4".
_ONLY_LABELS = re.compile(r"(?i)(?:\b(?:progress|and|now|is)\b|[\W_])*")
_VALUE_KINDS = frozenset({"progress", "confidence"})


def note_shown(note: CheckInReading, readings: Sequence[CheckInReading]) -> str:
    """The note's text as shown: without its courtesies; "" when nothing else is left, or
    when it held nothing but values read from it (`readings`: the check-in's, any
    revision: a value since replaced was still read from this note)."""
    text = without_courtesies(note.text)
    if not text:
        return ""
    start, end = note.span_start, note.span_end
    values = [
        row.text
        for row in sorted(readings, key=lambda row: row.span_start)
        if row.kind in _VALUE_KINDS
        and row.inbox_message_id == note.inbox_message_id
        and start <= row.span_start < row.span_end <= end
    ]
    if not values:
        return text
    # Taken out by their words, not by offset: the note's lines were right-stripped and
    # joined, so its offsets drift from the body's that the spans count in.
    left, position = [], 0
    for value in values:
        found = note.text.find(value, position)
        if found < 0:
            return text
        left.append(note.text[position:found])
        position = found + len(value)
    left.append(note.text[position:])
    rest = without_labels(without_courtesies(" ".join(left)))
    return "" if _ONLY_LABELS.fullmatch(rest) else text
