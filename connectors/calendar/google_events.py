"""Google Calendar event resources <-> our dataclasses. Pure functions, no I/O.

A series is one recurring event whose `id` is our uid (lower-case base32hex, which Google
accepts as a client-chosen id), with `recurrence: ["RRULE:…"]` and a `start.timeZone`, so
Google expands it in the series' own zone. One moved or cancelled occurrence is an
exception event: `recurringEventId` names the series and `originalStartTime` the slot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.calendar import OccurrenceChange, SeriesSpec

MARKER = "okrmail"  # private extended property on every event we create


def rfc3339(instant: datetime) -> str:
    """An aware instant as RFC 3339 in UTC ("2026-11-17T09:00:00Z")."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Mapping[str, Any]) -> datetime:
    """An event time ({"dateTime", "timeZone"} or an all-day {"date"}) as aware UTC."""
    if "dateTime" in value:
        parsed = datetime.fromisoformat(value["dateTime"])
        if parsed.tzinfo is None:  # a local time, meaningful only with its zone
            parsed = parsed.replace(tzinfo=ZoneInfo(value.get("timeZone") or "UTC"))
        return parsed.astimezone(UTC)
    day = date.fromisoformat(value["date"])
    zone = ZoneInfo(value.get("timeZone") or "UTC")
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def instance_id(uid: str, original_start: datetime) -> str:
    """Google's id for one occurrence of a timed recurring event: uid_YYYYMMDDTHHMMSSZ."""
    return f"{uid}_{original_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def series_body(spec: SeriesSpec) -> dict[str, Any]:
    """The events.insert body for a series: local wall-clock times plus the zone, so a
    10:00 meeting stays at 10:00 across DST; the organizer and every attendee listed."""
    end_local = spec.first_start_local + timedelta(minutes=spec.duration_minutes)
    attendees = [{"email": spec.calendar_id, "organizer": True, "responseStatus": "accepted"}]
    attendees += [{"email": email} for email in spec.attendees if email != spec.calendar_id]
    return {
        "id": spec.uid,
        "summary": spec.summary,
        "description": spec.description,
        "start": {
            "dateTime": spec.first_start_local.isoformat(timespec="seconds"),
            "timeZone": spec.timezone,
        },
        "end": {"dateTime": end_local.isoformat(timespec="seconds"), "timeZone": spec.timezone},
        "recurrence": [f"RRULE:{spec.rrule}"],
        "attendees": attendees,
        "guestsCanModify": False,
        "reminders": {"useDefault": True},
        "extendedProperties": {"private": {MARKER: "1"}},
    }


def move_body(new_start: datetime, duration_minutes: int) -> dict[str, Any]:
    end = new_start + timedelta(minutes=duration_minutes)
    return {"start": {"dateTime": rfc3339(new_start)}, "end": {"dateTime": rfc3339(end)}}


def _declined_by(event: Mapping[str, Any], calendar_id: str) -> list[str]:
    """Attendees other than the organizer who declined."""
    return [
        attendee["email"]
        for attendee in event.get("attendees") or []
        if attendee.get("responseStatus") == "declined"
        and not attendee.get("organizer")
        and attendee.get("email", "").lower() != calendar_id.lower()
    ]


def changes_from(event: Mapping[str, Any], calendar_id: str) -> list[OccurrenceChange]:
    """What one listed event says about a series.

    A series master yields a series-level change (original_start None): cancelled when
    deleted, declined per attendee who declined the whole series, else confirmed. An
    exception yields the occurrence's state: cancelled, or confirmed at its (possibly new)
    time, plus a declined change per attendee who declined just that occurrence.
    """
    uid = event.get("recurringEventId") or event["id"]
    original = event.get("originalStartTime")
    original_start = parse_time(original) if event.get("recurringEventId") and original else None
    if event.get("status") == "cancelled":
        return [OccurrenceChange(uid, original_start, "cancelled")]
    start = parse_time(event["start"]) if "start" in event else None
    end = parse_time(event["end"]) if "end" in event else None
    confirmed = OccurrenceChange(uid, original_start, "confirmed", start, end)
    if original_start is None:  # a series also says its shape, and the series it was split off
        confirmed = replace(
            confirmed,
            rrule=_rrule(event),
            timezone=(event.get("start") or {}).get("timeZone"),
            continues=_split_from(uid),
        )
    changes = [confirmed]
    changes += [
        OccurrenceChange(uid, original_start, "declined", start, end, attendee=email)
        for email in _declined_by(event, calendar_id)
    ]
    return changes


def _rrule(event: Mapping[str, Any]) -> str | None:
    """The event's RRULE without its "RRULE:" (the first, as we write one)."""
    for line in event.get("recurrence") or []:
        if line.upper().startswith("RRULE:"):
            return str(line[len("RRULE:") :])
    return None


# "This and following events" ends the series and makes a new one whose id is the old id,
# "_R" and the (local) start of the occurrence it was split at. Google documents event ids
# as opaque, so this is the one place that reads one; an id not of this form is simply
# not taken for a continuation (and its series is not one of ours).
_SPLIT_ID = re.compile(r"^(?P<uid>.+?)_R\d{8}T\d{6}Z?$")


def _split_from(event_id: str) -> str | None:
    match = _SPLIT_ID.match(event_id)
    return match["uid"] if match else None


def all_changes(events: Iterable[Mapping[str, Any]], calendar_id: str) -> list[OccurrenceChange]:
    return [change for event in events for change in changes_from(event, calendar_id)]


def freebusy_windows(
    start: datetime, end: datetime, max_days: int
) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into windows of at most `max_days` (Google caps a query's range)."""
    step = timedelta(days=max_days)
    windows = []
    while start < end:
        windows.append((start, min(end, start + step)))
        start += step
    return windows


def freebusy_body(calendar_ids: list[str], start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "timeMin": rfc3339(start),
        "timeMax": rfc3339(end),
        "timeZone": "UTC",
        "items": [{"id": calendar_id} for calendar_id in calendar_ids],
    }
