"""The pure parts of the Google connector: event mapping, account choice, backoff bounds."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from connectors.calendar import SeriesSpec
from connectors.calendar.google_accounts import GoogleAccount, acting_for
from connectors.calendar.google_errors import GoogleApiError, error_reason, is_retryable
from connectors.calendar.google_events import changes_from, instance_id, series_body
from connectors.calendar.google_http import GoogleTransport

UID = "0123456789abcdefghijklmn"


def test_series_body_keeps_local_time_and_zone() -> None:
    spec = SeriesSpec(
        UID,
        "anna@example.com",
        "1-on-1",
        "",
        datetime(2026, 3, 24, 10, 0),
        "Europe/Berlin",
        "FREQ=WEEKLY;BYDAY=TU",
        30,
        ("bob@example.com",),
    )
    body = series_body(spec)
    assert body["id"] == UID
    assert body["start"] == {"dateTime": "2026-03-24T10:00:00", "timeZone": "Europe/Berlin"}
    assert body["end"]["dateTime"] == "2026-03-24T10:30:00"
    assert body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU"]
    assert [a["email"] for a in body["attendees"]] == ["anna@example.com", "bob@example.com"]


def test_instance_ids_are_googles_utc_stamp() -> None:
    assert instance_id(UID, datetime(2026, 3, 24, 9, tzinfo=UTC)) == f"{UID}_20260324T090000Z"


def test_changes_from_exceptions_and_masters() -> None:
    moved = {
        "id": f"{UID}_20261124T090000Z",
        "status": "confirmed",
        "recurringEventId": UID,
        "originalStartTime": {"dateTime": "2026-11-24T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "start": {"dateTime": "2026-11-24T13:00:00+01:00"},
        "end": {"dateTime": "2026-11-24T13:30:00+01:00"},
        "attendees": [
            {"email": "anna@example.com", "organizer": True, "responseStatus": "accepted"},
            {"email": "bob@example.com", "responseStatus": "declined"},
        ],
    }
    confirmed, declined = changes_from(moved, "anna@example.com")
    assert confirmed.original_start == datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert (confirmed.status, confirmed.start) == (
        "confirmed",
        datetime(2026, 11, 24, 12, tzinfo=UTC),
    )
    assert (declined.status, declined.attendee) == ("declined", "bob@example.com")
    [deleted] = changes_from({"id": UID, "status": "cancelled"}, "anna@example.com")
    assert (deleted.uid, deleted.original_start, deleted.status) == (UID, None, "cancelled")


def test_the_own_oauth_grant_wins_and_a_broken_account_is_never_used() -> None:
    workspace = GoogleAccount("ws", "service_account", "sa@x.iam", domains=("example.com",))
    anna = GoogleAccount("anna", "oauth", "anna@example.com")
    assert acting_for([workspace, anna], "anna@example.com").account is anna
    assert acting_for([workspace, anna], "bob@example.com").account is workspace
    with pytest.raises(GoogleApiError, match="no Google account"):
        acting_for([workspace], "eve@elsewhere.org")
    broken = GoogleAccount("ws", "service_account", "sa@x.iam", broken_reason="invalid_grant")
    with pytest.raises(GoogleApiError, match="broken") as error:
        acting_for([broken], "bob@example.com")
    assert error.value.permanent


def test_retry_classification_follows_googles_documented_errors() -> None:
    body = b'{"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}}'
    assert error_reason(body)[0] == "userRateLimitExceeded"
    assert is_retryable(403, "userRateLimitExceeded") and is_retryable(403, "rateLimitExceeded")
    assert is_retryable(429, "") and is_retryable(503, "backendError")
    assert not is_retryable(403, "forbiddenForNonOrganizer") and not is_retryable(409, "duplicate")
    assert not is_retryable(410, "fullSyncRequired") and not is_retryable(401, "authError")


@pytest.mark.parametrize("draw", [0.0, 0.5, 1.0])
def test_backoff_is_exponential_jittered_and_capped(draw: float) -> None:
    transport = object.__new__(GoogleTransport)
    transport.config = SimpleNamespace(backoff_base_seconds=1.0, backoff_max_seconds=20.0)  # type: ignore[assignment]
    transport.rand = lambda: draw
    waits = [transport.backoff(attempt) for attempt in range(8)]
    assert waits == [draw * min(20.0, 2.0**attempt) for attempt in range(8)]
    assert transport.backoff(0, retry_after=30) == 20.0, "Retry-After is honoured, up to the cap"
    assert transport.backoff(0, retry_after=3) == max(3.0, draw)
