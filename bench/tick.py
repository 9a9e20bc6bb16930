"""Cost of one tick with 100 due prompts, in an organisation of 1,000 and of 100,000 people.

The tick's job is to find due work with indexed queries, lease it and hand ids out; the
jobs themselves (rendering, sending) are measured elsewhere. So the dispatcher here only
counts. Goal: the 100k/1k ratio at most 1.5, and the 100k tick under 100 ms.

    .venv/bin/python bench/tick.py [--database-url URL] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from okrmail.app import AppContext
from okrmail.clock import ManualClock
from okrmail.db import upgrade
from okrmail.models import Meeting, Pairing, Person, Prompt, Series
from okrmail.settings import load_settings
from okrmail.tick import tick

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
DUE = 100
MANAGER_SPAN = 8  # reports per manager
PAST, FUTURE = 2, 3  # meetings per report before and after now


class CountingDispatcher:
    """Counts the prompt ids handed out (other periodic work, like a mail fetch, may ride
    along on the first tick; it is dispatched, not run)."""

    def __init__(self) -> None:
        self.ids = 0

    def dispatch(self, job: str, ids: list[int]) -> None:
        if job == "send_prompts":
            self.ids += len(ids)


def seed(engine: sa.Engine, people: int) -> None:
    """`people` people; every non-manager has a weekly series with past and future
    meetings, each with a prompt; exactly DUE prompts are due now."""
    now = NOW  # (aware: the UTC column type insists)
    managers = people // (MANAGER_SPAN + 1)
    person_rows = []
    for index in range(people):
        manager = None if index < managers else (index % managers) + 1
        person_rows.append(
            {
                "id": index + 1,
                "email": f"p{index}@bench.example",
                "name": f"Person {index}",
                "timezone": "Europe/Berlin",
                "work_start": datetime(2000, 1, 1, 9).time(),
                "work_end": datetime(2000, 1, 1, 17).time(),
                "work_days": [1, 2, 3, 4, 5],
                "manager_id": manager,
                "active": True,
                "aliases": [],
            }
        )
    reports = [row for row in person_rows if row["manager_id"]]
    pairings, series, meetings, prompts = [], [], [], []
    due_left = DUE
    for number, report in enumerate(reports, start=1):
        pairings.append(
            {
                "id": number,
                "manager_id": report["manager_id"],
                "report_id": report["id"],
                "cadence": "weekly",
                "question_set": "weekly-checkin",
                "active": True,
            }
        )
        first = now - timedelta(days=7 * PAST) + timedelta(minutes=number % 480)
        series.append(
            {
                "id": number,
                "pairing_id": number,
                "provider": "local",
                "calendar_id": f"m{number}",
                "uid": f"uid{number}",
                "rrule": "FREQ=WEEKLY",
                "timezone": "Europe/Berlin",
                "local_start": first.time(),
                "first_start": first,
                "duration_minutes": 30,
                "status": "active",
                "expanded_until": now + timedelta(days=400),
            }
        )
        for week in range(PAST + FUTURE):
            meeting_id = len(meetings) + 1
            start = first + timedelta(days=7 * week)
            meetings.append(
                {
                    "id": meeting_id,
                    "series_id": number,
                    "original_start": start,
                    "start": start,
                    "end": start + timedelta(minutes=30),
                    "status": "scheduled",
                    "push_pending": False,
                }
            )
            past = start < now
            due = not past and due_left > 0 and week == PAST
            due_left -= due
            send_at = start - timedelta(days=1) if (past or due) else start - timedelta(hours=24)
            if due:
                send_at = now - timedelta(minutes=5)
            elif not past:
                send_at = max(send_at, now + timedelta(hours=1))
            prompts.append(
                {
                    "id": meeting_id,
                    "meeting_id": meeting_id,
                    "person_id": report["id"],
                    "role": "report",
                    "question_set": "weekly-checkin",
                    "token": f"t{meeting_id}",
                    "send_at": send_at,
                    "status": "sent" if past else "pending",
                }
            )
    with engine.begin() as connection:
        for model, rows in (
            (Person, person_rows),
            (Pairing, pairings),
            (Series, series),
            (Meeting, meetings),
            (Prompt, prompts),
        ):
            table = model.__table__
            for start in range(0, len(rows), 20_000):
                connection.execute(sa.insert(table), rows[start : start + 20_000])
    assert due_left == 0, "not enough reports to make the due prompts"


def measure(people: int, url: str | None, runs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        database = url or f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(database)
        settings = load_settings(environ={"OKRMAIL_APP__DATA_DIR": folder})
        settings = settings.model_copy(
            update={"database": settings.database.model_copy(update={"url": database})}
        )
        ctx = AppContext(settings, clock=ManualClock(NOW))
        assert ctx.engine is not None
        if url:
            _truncate(ctx.engine)
        seed(ctx.engine, people)
        with ctx.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))  # fresh statistics, as in production
        timings = []
        for _ in range(runs + 1):
            with ctx.engine.begin() as connection:  # release the previous run's leases
                connection.execute(sa.update(Prompt.__table__).values(claim_expires_at=None))
            dispatcher = CountingDispatcher()
            started = time.perf_counter()
            tick(ctx, dispatcher)
            timings.append(time.perf_counter() - started)
            assert dispatcher.ids == DUE, dispatcher.ids
        ctx.engine.dispose()
        return statistics.median(timings[1:])  # the first run warms caches


def _truncate(engine: sa.Engine) -> None:
    from okrmail.models import Base

    with engine.begin() as connection:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    small = measure(1_000, args.database_url, args.runs)
    large = measure(100_000, args.database_url, args.runs)
    ratio = large / small
    print(f"tick with {DUE} due prompts, median of {args.runs} runs")
    print(f"  1,000 people:   {small * 1000:7.2f} ms")
    print(f"  100,000 people: {large * 1000:7.2f} ms")
    print(f"  ratio 100k/1k:  {ratio:7.2f}   (goal <= 1.5)   {'ok' if ratio <= 1.5 else 'MISSED'}")
    print(f"  100k under 100 ms: {'ok' if large < 0.1 else 'MISSED'}")


if __name__ == "__main__":
    main()
