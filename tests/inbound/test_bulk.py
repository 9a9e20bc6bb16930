"""Bulk: rows through one statement bind exactly as `Session.execute` binds them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from okrmail.app import AppContext
from okrmail.inbound import checkins, ingest
from okrmail.inbound.bulk import Bulk
from okrmail.models import CheckInAnswer, CheckInReading, PeriodicTask

BERLIN = ZoneInfo("Europe/Berlin")
WRITTEN = datetime(2026, 11, 16, 9, 30, 12, 345678, tzinfo=BERLIN)
LATER = datetime(2026, 11, 17, 6, 0, tzinfo=UTC)


def _reading(**values: Any) -> dict[str, Any]:
    return {**checkins._BLANK[CheckInReading], **values}


ROWS: list[tuple[Bulk, list[dict[str, Any]]]] = [
    (
        checkins._INSERTS[CheckInReading],
        [
            _reading(checkin_id=1, kind="progress", kr_number=1, value=Decimal("12.5"),
                     percent=Decimal("40.0000"), status="on-track", span_start=0, span_end=9,
                     inbox_message_id=1, answered_at=WRITTEN, current=True),
            _reading(checkin_id=1, kind="confidence", kr_number=None, score=7, text="7",
                     span_start=3, span_end=4, inbox_message_id=1, answered_at=LATER,
                     current=False, superseded_at=LATER),
            _reading(checkin_id=2, kind="note", text="Grüße", span_start=0, span_end=5,
                     inbox_message_id=2, answered_at=WRITTEN),
        ],
    ),
    (
        checkins._INSERTS[CheckInAnswer],
        [
            {**checkins._BLANK[CheckInAnswer], "checkin_id": 1, "question_key": "progress",
             "text": "Shipped", "span_start": 0, "span_end": 7, "how": "label",
             "inbox_message_id": 1, "answered_at": WRITTEN},
            {**checkins._BLANK[CheckInAnswer], "checkin_id": 1, "question_key": "blockers",
             "text": "None", "span_start": 9, "span_end": 13, "how": "",
             "inbox_message_id": 1, "answered_at": WRITTEN, "current": False,
             "superseded_at": LATER},
        ],
    ),
    (
        checkins._UPDATE_KEY_RESULTS,
        [
            {"kr_id": 10**6, "new_value": Decimal("3.25"), "new_confidence": 8,
             "new_updated_at": WRITTEN, "new_updated_for": LATER},
            {"kr_id": 10**6 + 1, "new_value": None, "new_confidence": None,
             "new_updated_at": LATER, "new_updated_for": WRITTEN},
        ],
    ),
    (
        ingest._RECORD_STATUS,
        [
            {"inbox_id": 10**6, "status": "checkin", "reason": "recorded", "prompt_id": None,
             "person_id": None, "body_text": "Hi", "processed_at": WRITTEN},
            {"inbox_id": 10**6 + 1, "status": "quarantined", "reason": None,
             "prompt_id": None, "person_id": None, "body_text": None, "processed_at": LATER},
        ],
    ),
]  # fmt: skip


def _sent(
    ctx: AppContext, run: Callable[[Any], None]
) -> list[tuple[str, list[Sequence[Any]] | Any]]:
    """What `run(session)` hands the driver: (SQL, parameters) per statement; the writes
    themselves are rolled back (the rows name check-ins that do not exist)."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, [tuple(row) for row in parameters] if _[1] else parameters))

    assert ctx.engine is not None
    event.listen(ctx.engine, "before_cursor_execute", record)
    try:
        with ctx.sessions() as session, session.begin():
            try:
                with session.begin_nested():
                    run(session)
            except IntegrityError:
                pass
    finally:
        event.remove(ctx.engine, "before_cursor_execute", record)
    return [
        entry for entry in sent if not entry[0].startswith(("SAVEPOINT", "ROLLBACK", "RELEASE"))
    ]


@pytest.mark.parametrize("case", range(len(ROWS)))
def test_bulk_binds_every_row_as_session_execute_does(
    ctx: AppContext, case: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulk, rows = ROWS[case]

    by_session = _sent(ctx, lambda session: session.execute(bulk.statement, rows))
    assert ctx.engine is not None
    if ctx.engine.dialect.name == "sqlite":  # bound by Bulk itself, not by the session
        monkeypatch.setattr(Session, "execute", None)
    by_bulk = _sent(ctx, lambda session: bulk.execute(session, rows))

    assert by_bulk == by_session
    assert len(by_bulk) == 1


def test_bulk_of_no_rows_runs_nothing(ctx: AppContext) -> None:
    assert _sent(ctx, lambda session: ingest._RECORD_STATUS.execute(session, [])) == []


def test_bulk_writes_after_the_sessions_pending_changes(ctx: AppContext) -> None:
    """As `Session.execute` autoflushes first: a row may name what the session holds."""
    tasks = Bulk(insert(PeriodicTask.__table__))
    rows = [{"name": f"bulk-{number}", "next_run_at": LATER} for number in range(2)]

    def run(session: Session) -> None:
        session.add(PeriodicTask(name="pending", next_run_at=WRITTEN))
        tasks.execute(session, rows)

    sent = _sent(ctx, run)

    assert [statement.split()[:3] for statement, _ in sent] == [
        ["INSERT", "INTO", "periodic_tasks"]
    ] * 2
    assert sent[0][1] != sent[1][1] and "pending" in str(sent[0][1])
