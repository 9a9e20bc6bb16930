"""What an answer shown to people (in the confirmation, in the digest) has been overtaken
by: "KR1 18/50, KR2 31%" answered on Tuesday, then "Sorry, KR1 is 20, not 18" in reply
to the confirmation. The answer is the person's words and stays as written; beside it, the
values later replies set, so nobody reads 18 above a key result that says 20."""

from __future__ import annotations

from collections.abc import Sequence

from okrmail.models import CheckInAnswer, CheckInReading
from okrmail.prompting import format_value

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
