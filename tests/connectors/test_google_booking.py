"""Booking on Google Calendar through the real google-api-python-client and the fake."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from connectors.calendar.google import GoogleCalendar
from okrmail.app import AppContext
from okrmail.booking import book_all, book_pairing
from okrmail.models import Meeting, Pairing, Series
from tests.fakes.google_fixtures import *  # noqa: F403  (fixtures: ctx, fake_google, ...)
from tests.fakes.google_fixtures import TWO_ZONE_ORG, import_org
from tests.fakes.google_server import FakeGoogle, Faults


def _series(ctx: AppContext) -> list[Series]:
    with ctx.sessions() as session:
        rows = session.scalars(select(Series).order_by(Series.id)).all()
        for row in rows:
            _ = row.pairing.manager, row.pairing.report
        return list(rows)


def _meetings(ctx: AppContext) -> list[tuple[str, str, datetime, datetime]]:
    with ctx.sessions() as session:
        return [
            (m.series.pairing.manager.email, m.series.pairing.report.email, m.start, m.end)
            for m in session.scalars(select(Meeting).where(Meeting.status != "cancelled"))
        ]


def _block_mornings(fake: FakeGoogle, who: str) -> None:
    """`who` is busy 09:00-12:00 Berlin every weekday (an event they own on Google)."""
    fake.store.insert(
        who,
        {
            "id": "mornings0001",
            "summary": "Focus time",
            "start": {"dateTime": "2026-11-16T09:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-11-16T12:00:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"],
        },
    )


def test_a_dozen_pairs_in_two_time_zones(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    _block_mornings(fake_google, "anna@example.com")
    import_org(ctx, tmp_path)
    booked, problems = book_all(ctx)
    assert problems == [] and len(booked) == 12

    series = _series(ctx)
    on_google = {e["id"]: e for e in fake_google.store.all_series() if e["id"] != "mornings0001"}
    assert set(on_google) == {row.uid for row in series}, "one Google event per series, by uid"
    for row in series:
        event = on_google[row.uid]
        manager, report = row.pairing.manager, row.pairing.report
        assert event["organizer"]["email"] == manager.email == row.calendar_id
        assert {a["email"] for a in event["attendees"]} == {manager.email, report.email}
        assert event["recurrence"] == [f"RRULE:{row.rrule}"]
        assert event["start"]["timeZone"] == manager.timezone == row.timezone
        local = datetime.fromisoformat(event["start"]["dateTime"]).astimezone(
            ZoneInfo(manager.timezone)
        )
        assert local.time() == row.local_start
        assert row.status == "active" and row.remote_id == row.uid

    inserts = [
        target
        for method, target, _ in fake_google.stats.calls
        if method == "POST" and target.split("?")[0].endswith("/events")
    ]
    assert len(inserts) == 12 and all("sendUpdates=all" in target for target in inserts)

    meetings = _meetings(ctx)
    busy: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for manager, report, start, end in meetings:
        busy[manager].append((start, end))
        busy[report].append((start, end))
        if manager == "anna@example.com":  # Google said Anna is busy every morning
            assert start.astimezone(ZoneInfo("Europe/Berlin")).time() >= time(12)
    for person, spans in busy.items():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(spans)), person

    stats = fake_google.stats
    assert stats.api_round_trips <= 3, "free/busy and inserts are batched"
    assert stats.round_trips["batch"] >= 1
    assert all(count == 1 for count in stats.token_requests.values()), stats.token_requests
    for manager in ("anna", "bert", "nina", "owen"):
        assert stats.token_requests[f"{manager}@example.com"] == 1


@pytest.fixture
def google_overrides() -> dict[str, Any]:
    return {"max_retries": 10, "backoff_base_seconds": 0.5, "backoff_max_seconds": 8}


def test_thirty_percent_faults_still_book_everything_exactly_once(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, sleeps: list[float]
) -> None:
    """429s, 403 rate limits, 5xx, failed batch envelopes and lost replies (the insert
    landed, the answer did not): everything is booked, and no event exists twice."""
    fake_google.faults = Faults(rate=0.2, lost_reply_rate=0.15, batch_rate=0.05, seed=11)
    import_org(ctx, tmp_path)
    booked, problems = book_all(ctx)
    assert problems == [] and len(booked) == 12

    ids = [event["id"] for event in fake_google.store.all_series()]
    assert len(ids) == len(set(ids)) == 12, "zero duplicate events"
    assert set(ids) == {row.uid for row in _series(ctx)}
    faults = fake_google.stats.faults
    assert sum(faults.values()) >= 5 and {"429", "403rate", "403user"} & set(faults)
    reads = [t for m, t, _ in fake_google.stats.calls if m == "GET" and "/events/" in t]
    assert reads, "a lost reply came back as 409 and was reconciled by reading the event"
    assert sleeps and all(0 <= wait <= 8 for wait in sleeps), "bounded backoff"


def test_a_retried_insert_is_reconciled_not_duplicated(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    import_org(ctx, tmp_path, TWO_ZONE_ORG[:1] + TWO_ZONE_ORG[4:5])
    with ctx.sessions() as session:
        pairing_id = session.scalars(select(Pairing.id)).one()
    fake_google.faults = Faults(lost_reply_rate=1.0)  # every write lands, every reply is lost
    series = book_pairing(ctx, pairing_id)
    fake_google.faults = Faults()
    assert series.status == "active"
    assert [event["id"] for event in fake_google.store.all_series()] == [series.uid]
    provider = ctx.calendar
    assert isinstance(provider, GoogleCalendar)
    with ctx.sessions() as session:
        spec_row = session.get_one(Series, series.id)
        again = provider.create_series_many([_spec_of(spec_row)])
    assert again[0].created is False  # type: ignore[union-attr]
    assert len(fake_google.store.all_series()) == 1


def _spec_of(row: Series) -> Any:
    from okrmail.booking import _spec

    return _spec(row, row.pairing)


def test_tokens_are_reused_and_an_early_401_refreshes_once(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    import_org(ctx, tmp_path)
    book_all(ctx)
    provider = ctx.calendar
    assert isinstance(provider, GoogleCalendar)
    before = fake_google.stats.token_requests["anna@example.com"]
    provider.list_changes("anna@example.com", None)
    assert fake_google.stats.token_requests["anna@example.com"] == before, "cached token"
    fake_google.expire_access_tokens()
    provider.list_changes("anna@example.com", None)
    assert fake_google.stats.token_requests["anna@example.com"] == before + 1
