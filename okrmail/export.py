"""`okrmail checkins export`: every check-in as rows for analysis elsewhere.

CSV is long format, one row per recorded fact (an answer, a key-result reading, a
blocker...), which pivots cleanly in any spreadsheet; JSON is one object per check-in.
Only current values are exported (superseded answers stay in the database as history).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from okrmail.models import CheckIn, Meeting
from okrmail.prompting import format_value

COLUMNS = (
    "checkin_id",
    "person",
    "manager",
    "meeting_start_utc",
    "question_set",
    "late",
    "created_at_utc",
    "updated_at_utc",
    "fact",
    "question_key",
    "kr_number",
    "value",
    "percent",
    "score",
    "status",
    "text",
)


def _checkins(session: Session, since: datetime | None) -> Iterator[CheckIn]:
    query = (
        select(CheckIn)
        .join(Meeting, CheckIn.meeting_id == Meeting.id)
        .order_by(Meeting.start, CheckIn.id)
    )
    if since is not None:
        query = query.where(CheckIn.updated_at >= since)
    yield from session.scalars(query)


def _head(checkin: CheckIn) -> dict[str, Any]:
    prompt = checkin.prompt
    pairing = prompt.meeting.series.pairing
    return {
        "checkin_id": checkin.id,
        "person": prompt.person.email,
        "manager": pairing.manager.email,
        "meeting_start_utc": prompt.meeting.start.isoformat(),
        "question_set": prompt.question_set,
        "late": checkin.late,
        "created_at_utc": checkin.created_at.isoformat(),
        "updated_at_utc": checkin.updated_at.isoformat(),
    }


def _facts(checkin: CheckIn) -> Iterator[dict[str, Any]]:
    for answer in checkin.answers:
        if answer.current:
            yield {"fact": "answer", "question_key": answer.question_key, "text": answer.text}
    for reading in checkin.readings:
        if reading.current:
            yield {
                "fact": reading.kind,
                "kr_number": reading.kr_number,
                "value": None if reading.value is None else format_value(reading.value),
                "percent": None if reading.percent is None else format_value(reading.percent),
                "score": reading.score,
                "status": reading.status,
                "text": reading.text,
            }


def export_csv(session: Session, since: datetime | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for checkin in _checkins(session, since):
        head = _head(checkin)
        for fact in _facts(checkin):
            writer.writerow({**head, **fact})
    return out.getvalue()


def export_json(session: Session, since: datetime | None = None) -> str:
    records = []
    for checkin in _checkins(session, since):
        facts = list(_facts(checkin))
        records.append(
            {
                **_head(checkin),
                "answers": {f["question_key"]: f["text"] for f in facts if f["fact"] == "answer"},
                "readings": [f for f in facts if f["fact"] != "answer"],
            }
        )
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
