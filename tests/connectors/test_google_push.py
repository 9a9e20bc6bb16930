"""Push notifications: events.watch channels, the webhook route, renewal; polling without."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.calendar.google import GoogleCalendar
from okrmail.app import AppContext
from okrmail.booking import book_all
from okrmail.calendar_sync import sync_due
from okrmail.clock import ManualClock
from okrmail.models import CalendarSyncState, Meeting, Series
from okrmail.webhooks import NOTIFY_PATH, make_app, renew_channels
from tests.fakes.google_fixtures import *  # noqa: F403  (fixtures: ctx, fake_google, ...)
from tests.fakes.google_fixtures import import_org
from tests.fakes.google_server import FakeGoogle


@pytest.fixture
def pushed(ctx: AppContext, sleeps: list[float]) -> Iterator[AppContext]:
    """`ctx` with app.base_url set to a live loopback server running the webhook app."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    current: dict[str, Any] = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, reply: current["app"](env, reply), handler_class=Quiet
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    settings = ctx.settings.model_copy(
        update={"app": ctx.settings.app.model_copy(update={"base_url": base_url})}
    )
    context = AppContext(settings, clock=ctx.clock, engine=ctx.engine)
    provider = context.calendar
    assert isinstance(provider, GoogleCalendar)
    provider.transport.sleep = sleeps.append
    current["app"] = make_app(context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield context
    server.shutdown()
    server.server_close()


def _states(ctx: AppContext) -> dict[str, CalendarSyncState]:
    with ctx.sessions() as session:
        return {s.calendar_id: s for s in session.scalars(select(CalendarSyncState))}


def test_a_change_on_google_is_pushed_and_synced(
    pushed: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    import_org(pushed, tmp_path)
    book_all(pushed)
    opened = renew_channels(pushed)
    assert len(opened.opened) == 4 and not opened.failed
    address = pushed.settings.app.base_url + NOTIFY_PATH
    live = [c for c in fake_google.store.channels.values() if not c.stopped]
    assert len(live) == 4 and {c.address for c in live} == {address}
    assert sync_due(pushed).calendars == 4  # never synced: everyone once

    clock.advance(timedelta(minutes=30))  # past the polling interval, but push covers it
    assert sync_due(pushed).calendars == 0

    with pushed.sessions() as session:
        series = session.scalars(
            select(Series).where(Series.calendar_id == "nina@example.com")
        ).first()
        assert series is not None
        meeting = session.scalars(
            select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.start)
        ).first()
        assert meeting is not None
    new_start = meeting.start + timedelta(hours=1)
    fake_google.move_occurrence(series.calendar_id, series.uid, meeting.original_start, new_start)
    flagged = [cid for cid, s in _states(pushed).items() if s.sync_requested_at is not None]
    assert flagged == ["nina@example.com"], "the notification flagged just that calendar"

    report = sync_due(pushed)
    assert (report.calendars, report.applied) == (1, 1)
    with pushed.sessions() as session:
        assert session.get_one(Meeting, meeting.id).start == new_start


def test_a_forged_notification_is_refused(pushed: AppContext, tmp_path: Path) -> None:
    import_org(pushed, tmp_path)
    book_all(pushed)
    renew_channels(pushed)
    sync_due(pushed)
    state = _states(pushed)["anna@example.com"]
    request = urllib.request.Request(
        pushed.settings.app.base_url + NOTIFY_PATH,
        data=b"",
        method="POST",
        headers={
            "X-Goog-Channel-ID": str(state.channel_id),
            "X-Goog-Resource-ID": str(state.resource_id),
            "X-Goog-Channel-Token": "guessed",
            "X-Goog-Resource-State": "exists",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert _states(pushed)["anna@example.com"].sync_requested_at is None


def test_channels_are_renewed_before_they_expire(
    pushed: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    import_org(pushed, tmp_path)
    book_all(pushed)
    renew_channels(pushed)
    first = {cid: s.channel_id for cid, s in _states(pushed).items()}
    assert renew_channels(pushed).opened == [], "nothing to renew yet"

    ttl = timedelta(hours=pushed.settings.google.channel_ttl_hours)
    clock.advance(ttl - timedelta(hours=2))  # inside the 24-hour renewal margin
    assert len(renew_channels(pushed).opened) == 4
    states = _states(pushed)
    for calendar_id, old_id in first.items():
        assert states[calendar_id].channel_id != old_id
        assert states[calendar_id].channel_expires_at > clock.now() + timedelta(days=6)
        assert fake_google.store.channels[str(old_id)].stopped, "the old channel was closed"


def test_without_a_public_url_calendars_are_polled(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    import_org(ctx, tmp_path)
    book_all(ctx)
    assert renew_channels(ctx).opened == [] and not fake_google.store.channels
    assert sync_due(ctx).calendars == 4
    clock.advance(timedelta(minutes=4))
    assert sync_due(ctx).calendars == 0
    clock.advance(timedelta(minutes=2))
    fake_google.stats.reset()
    assert sync_due(ctx).calendars == 4
    assert fake_google.stats.api_round_trips == 4
