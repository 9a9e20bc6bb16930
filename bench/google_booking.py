"""Google Calendar round trips: booking 500 pairings under 50 managers, then syncing.

Runs in-process against the loopback fake Google (tests/fakes/google_server.py), through
the real google-api-python-client and google-auth, with a SQLite database in a temporary
folder. Prints:

- Calendar API round trips per booked pairing (goal: at most 0.1 — free/busy and inserts
  are batched), with token requests counted separately (goal: at most one per acting user
  per token lifetime);
- round trips per calendar for a sync in which nothing changed (goal: exactly one).

Usage: .venv/bin/python bench/google_booking.py [--managers 50] [--reports 10]
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet

from okrmail.accounts import add_service_account
from okrmail.app import AppContext
from okrmail.booking import book_all
from okrmail.calendar_sync import sync_all
from okrmail.clock import ManualClock
from okrmail.db import upgrade
from okrmail.imports.people import import_people
from okrmail.settings import Settings, load_settings
from tests.fakes.google_server import FakeGoogle, new_service_account

START = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
ZONES = ("Europe/Berlin", "America/New_York", "Europe/London")
HEADER = "email,name,manager_email,timezone,working_hours,working_days,cadence,question_set"


def org_rows(managers: int, reports: int) -> list[str]:
    """Managers in Berlin and New York, each with reports spread over three zones."""
    rows = []
    for m in range(managers):
        manager = f"manager{m:03d}@example.com"
        rows.append(f"{manager},Manager {m},,{ZONES[m % 2]},08:00-18:00,Mon-Fri,,")
        for r in range(reports):
            zone = ZONES[m % 2] if r % 3 else ZONES[(m + r) % 3]
            rows.append(
                f"report{m:03d}x{r:02d}@example.com,Report {m}-{r},{manager},"
                f"{zone},08:00-18:00,Mon-Fri,weekly,"
            )
    return rows


def build(folder: Path, fake: FakeGoogle, clock: ManualClock) -> AppContext:
    database_url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(database_url)
    merged = load_settings(environ={}).model_dump()
    merged["app"]["data_dir"] = folder
    merged["database"]["url"] = database_url
    merged["calendar"]["provider"] = "google"
    merged["security"]["secret_key"] = Fernet.generate_key().decode()
    merged["google"].update(api_endpoint=fake.url, token_uri=fake.token_uri, auth_uri=fake.auth_uri)
    ctx = AppContext(Settings.model_validate(merged), clock=clock)
    info, public = new_service_account("okrmail-bench@bench.iam.gserviceaccount.com")
    fake.register_service_account(info["client_email"], public, info["private_key_id"])
    add_service_account(ctx, "workspace", info, domains=["example.com"])
    return ctx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--managers", type=int, default=50)
    parser.add_argument("--reports", type=int, default=10)
    args = parser.parse_args()
    clock = ManualClock(START)
    fake = FakeGoogle(clock.now).start()
    try:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            ctx = build(folder, fake, clock)
            (folder / "people.csv").write_text(
                "\n".join([HEADER, *org_rows(args.managers, args.reports)]) + "\n"
            )
            with ctx.transaction() as session:
                import_people(session, folder / "people.csv", ctx.settings.templates_path)
            return report(ctx, fake)
    finally:
        fake.stop()


def report(ctx: AppContext, fake: FakeGoogle) -> int:
    began = time.perf_counter()
    booked, problems = book_all(ctx)
    booking_seconds = time.perf_counter() - began
    stats = fake.stats
    pairings = len(booked)
    api = stats.api_round_trips
    tokens = sum(stats.token_requests.values())
    users = len(stats.token_requests)
    worst = max(stats.token_requests.values(), default=0)
    events = len(fake.store.all_series())
    print(f"booked {pairings} pairings ({len(problems)} problems) in {booking_seconds:.1f} s")
    print(
        f"  Calendar API round trips: {api} ({stats.round_trips['batch']} batches, "
        f"{stats.round_trips['api']} single) = {api / max(pairings, 1):.3f} per pairing"
    )
    print(f"  token requests: {tokens} for {users} acting users (at most {worst} per user)")
    print(f"  events on Google: {events} (duplicates: {events - pairings})")

    first = sync_all(ctx)
    stats.reset()
    again = sync_all(ctx)
    calendars = again.calendars
    per_calendar = stats.api_round_trips / max(calendars, 1)
    print(
        f"sync: first {first}; then with no changes: {stats.api_round_trips} round trips "
        f"for {calendars} calendars = {per_calendar:.2f} per calendar, "
        f"{sum(stats.token_requests.values())} token requests"
    )

    goals = {
        "<= 0.1 Calendar API round trips per pairing": api / max(pairings, 1) <= 0.1,
        "<= 1 token request per acting user": worst <= 1,
        "exactly 1 round trip per unchanged calendar": per_calendar == 1,
        "every pairing booked, no duplicate event": not problems and events == pairings,
    }
    for goal, met in goals.items():
        print(f"  [{'ok' if met else 'MISSED'}] {goal}")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
