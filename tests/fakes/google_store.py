"""The calendars behind the fake Google server: events, recurrence, sync tokens, free/busy.

Models what okrmail uses of the Calendar v3 resource semantics:
- an event inserted with a client-chosen `id` (base32hex, 5-1024 chars); the same id
  again is 409 `duplicate`, even after the event was deleted;
- a recurring event (`recurrence: ["RRULE:…"]`, `start.timeZone` required) expands in its
  zone; an occurrence's id is `<id>_<UTC start as YYYYMMDDTHHMMSSZ>`; patching or deleting
  one stores an exception with `recurringEventId` and `originalStartTime`;
- deleting sets `status: "cancelled"`; deleting again is 410 `deleted`;
- events.list hands out opaque sync tokens; with one, only events changed since (deleted
  ones included); `expire_sync_tokens()` makes every old token answer 410
  `fullSyncRequired`; some parameters may not be combined with a sync token (400);
- freebusy over organizer and attendee calendars (declined attendees are free);
- events.watch channels that are notified (POST with X-Goog-* headers) on every change.

Simplification: an event lives on its organizer's calendar only (Google also copies it
to attendees' calendars); free/busy still counts it for the attendees.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.calendar.recurrence import occurrences_from

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
# An occurrence of a series, also of one split off another ("<id>_R<local start>").
INSTANCE_ID = re.compile(r"^(?P<uid>[a-v0-9]{5,1024}(?:_R\d{8}T\d{6})*)_(?P<stamp>\d{8}T\d{6}Z)$")
NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
MAX_PAGE = 2500


class ApiError(Exception):
    """An error reply in Google's documented JSON shape."""

    def __init__(self, status: int, reason: str, message: str, domain: str = "global") -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.domain = status, reason, message, domain

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.reason, self.message, self.domain)


STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "GONE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error_body(status: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }


def parse_instant(value: str, zone: str | None = None) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        if not zone:
            raise ApiError(400, "required", "Missing time zone definition for start time.")
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(UTC)


def stamp(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_time(instant: datetime, zone: str) -> dict[str, str]:
    """As Google writes it back: local time with its offset, and the zone."""
    return {"dateTime": instant.astimezone(ZoneInfo(zone)).isoformat(), "timeZone": zone}


@dataclass
class Channel:
    id: str
    resource_id: str
    calendar_id: str
    address: str
    token: str
    expires_at: datetime
    messages: int = 0
    stopped: bool = False


class CalendarStore:
    """All calendars, keyed by owner email; thread-safe behind one lock."""

    def __init__(self, now: Callable[[], datetime], freebusy_max_days: int = 90) -> None:
        self.now = now
        self.freebusy_max_days = freebusy_max_days
        self.calendars: dict[str, dict[str, dict[str, Any]]] = {}
        self.channels: dict[str, Channel] = {}
        self.seq = 0
        self.generation = 0
        self.lock = threading.RLock()
        self.notifications: list[tuple[Channel, str]] = []  # sent by the server, unlocked

    # -- events ---------------------------------------------------------------------------

    def insert(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            events = self.calendars.setdefault(calendar_id, {})
            event_id = body.get("id") or secrets.token_hex(13)
            if not EVENT_ID.match(event_id):
                raise ApiError(400, "invalid", "Invalid resource id value.")
            if event_id in events:
                raise ApiError(409, "duplicate", "The requested identifier already exists.")
            event = self._new_event(calendar_id, event_id, body)
            events[event_id] = event
            self._touch(calendar_id, event)
            return _public(event)

    def _new_event(self, calendar_id: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if "start" not in body or "end" not in body:
            raise ApiError(
                400, "required", "Missing end time." if "start" in body else "Missing start time."
            )
        zone = body["start"].get("timeZone")
        if body.get("recurrence") and not zone:
            raise ApiError(400, "required", "Missing time zone definition for start time.")
        zone = zone or "UTC"
        start = parse_instant(body["start"]["dateTime"], zone)
        end = parse_instant(body["end"]["dateTime"], body["end"].get("timeZone") or zone)
        event = copy.deepcopy(body)
        event.update(
            kind="calendar#event",
            id=event_id,
            status="confirmed",
            iCalUID=f"{event_id}@google.com",
            organizer={"email": calendar_id, "self": True},
            creator={"email": calendar_id},
            created=rfc3339(self.now()),
            sequence=0,
            start=event_time(start, zone),
            end=event_time(end, zone),
        )
        for attendee in event.get("attendees") or []:
            attendee.setdefault("responseStatus", "needsAction")
        return event

    def get(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        with self.lock:
            return _public(self._find(calendar_id, event_id))

    def patch(self, calendar_id: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            event = self._materialize(calendar_id, event_id)
            zone = event["start"].get("timeZone") or "UTC"
            for key, value in body.items():
                if key in ("start", "end"):
                    instant = parse_instant(value["dateTime"], value.get("timeZone") or zone)
                    event[key] = event_time(instant, value.get("timeZone") or zone)
                elif key not in ("id", "recurringEventId", "originalStartTime", "kind"):
                    event[key] = copy.deepcopy(value)
            event["sequence"] = event.get("sequence", 0) + 1
            self._touch(calendar_id, event)
            return _public(event)

    def delete(self, calendar_id: str, event_id: str) -> None:
        with self.lock:
            event = self._materialize(calendar_id, event_id)
            if event["status"] == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            event["status"] = "cancelled"
            self._touch(calendar_id, event)

    def _find(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        events = self.calendars.get(calendar_id, {})
        if event_id in events:
            return events[event_id]
        generated = self._generated(calendar_id, event_id)
        if generated is None:
            raise ApiError(404, "notFound", "Not Found")
        return generated

    def _materialize(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        """The stored event, or the occurrence stored as a new exception."""
        event = self._find(calendar_id, event_id)
        self.calendars.setdefault(calendar_id, {}).setdefault(event_id, event)
        return self.calendars[calendar_id][event_id]

    def _generated(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        match = INSTANCE_ID.match(event_id)
        master = self.calendars.get(calendar_id, {}).get(match["uid"]) if match else None
        if match is None or master is None or not master.get("recurrence"):
            return None
        original = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if original not in list(self._slots(master, original, original + timedelta(seconds=1))):
            return None
        return self._instance(master, original)

    def _instance(self, master: dict[str, Any], original: datetime) -> dict[str, Any]:
        zone = master["start"]["timeZone"]
        length = _start(master, "end") - _start(master, "start")
        instance = {
            key: copy.deepcopy(value)
            for key, value in master.items()
            if key not in ("recurrence", "start", "end", "id", "_seq", "updated")
        }
        instance.update(
            id=f"{master['id']}_{stamp(original)}",
            recurringEventId=master["id"],
            originalStartTime=event_time(original, zone),
            start=event_time(original, zone),
            end=event_time(original + length, zone),
        )
        return instance

    def _slots(self, master: dict[str, Any], start: datetime, end: datetime) -> Iterator[datetime]:
        zone, first = master["start"]["timeZone"], _start(master, "start")
        for line in master.get("recurrence") or []:
            if line.startswith("RRULE:"):
                yield from occurrences_from(line.removeprefix("RRULE:"), first, zone, start, end)

    def _touch(self, calendar_id: str, event: dict[str, Any]) -> None:
        self.seq += 1
        event["_seq"] = self.seq
        event["updated"] = rfc3339(self.now())
        event["etag"] = f'"{self.seq}"'
        for channel in self.channels.values():
            if channel.calendar_id == calendar_id and self._live(channel):
                self.notifications.append((channel, "exists"))

    # -- listing and sync tokens ----------------------------------------------------------

    def list(self, calendar_id: str, params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            sync_token = params.get("syncToken")
            if sync_token and any(name in params for name in NOT_WITH_SYNC_TOKEN):
                raise ApiError(400, "invalid", "Invalid parameters combined with syncToken.")
            if params.get("singleEvents") == "true":
                raise ApiError(400, "invalid", "fake server: singleEvents is not modelled")
            page = _decode(params["pageToken"]) if params.get("pageToken") else None
            since = self._token_seq(calendar_id, sync_token) if sync_token else 0
            upto = page["upto"] if page else self.seq
            offset = page["offset"] if page else 0
            rows = [
                event
                for event in self.calendars.get(calendar_id, {}).values()
                if since < event["_seq"] <= upto
                and (sync_token or self._shown(calendar_id, event, params))
            ]
            rows.sort(key=lambda event: event["_seq"])
            size = min(int(params.get("maxResults", 250)), MAX_PAGE)
            reply: dict[str, Any] = {
                "kind": "calendar#events",
                "summary": calendar_id,
                "items": [_public(event) for event in rows[offset : offset + size]],
            }
            if offset + size < len(rows):
                reply["nextPageToken"] = _encode({"upto": upto, "offset": offset + size})
            else:
                reply["nextSyncToken"] = _encode(
                    {"cal": calendar_id, "seq": upto, "gen": self.generation}
                )
            return reply

    def _shown(self, calendar_id: str, event: dict[str, Any], params: dict[str, str]) -> bool:
        """Without showDeleted, deleted events are hidden, except cancelled occurrences of
        a live series (the documented rule when singleEvents is false)."""
        if params.get("showDeleted") == "true" or event["status"] != "cancelled":
            return True
        master = self.calendars[calendar_id].get(event.get("recurringEventId", ""))
        return master is not None and master["status"] != "cancelled"

    def _token_seq(self, calendar_id: str, token: str) -> int:
        try:
            data = _decode(token)
        except ValueError:
            raise ApiError(400, "invalid", "Invalid sync token value.") from None
        if data.get("cal") != calendar_id or data.get("gen") != self.generation:
            raise ApiError(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            )
        return int(data["seq"])

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.generation += 1

    def instances(self, calendar_id: str, event_id: str, params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            master = self._find(calendar_id, event_id)
            if master["status"] == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            if "originalStart" in params:
                start = parse_instant(params["originalStart"])
                end = start + timedelta(seconds=1)
            else:
                start = parse_instant(params.get("timeMin") or master["start"]["dateTime"])
                end = (
                    parse_instant(params["timeMax"])
                    if "timeMax" in params
                    else start + timedelta(days=400)
                )
            items = []
            events = self.calendars[calendar_id]
            for original in self._slots(master, start, end):
                occurrence = events.get(f"{event_id}_{stamp(original)}") or self._instance(
                    master, original
                )
                if occurrence["status"] != "cancelled" or params.get("showDeleted") == "true":
                    items.append(_public(occurrence))
            return {"kind": "calendar#events", "items": items}

    # -- free/busy --------------------------------------------------------------------------

    def freebusy(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            items = [item["id"] for item in body.get("items") or []]
            if len(items) > 50:
                raise ApiError(
                    400,
                    "tooManyCalendarsRequested",
                    "The number of calendars requested is too large for a single query.",
                )
            start, end = parse_instant(body["timeMin"]), parse_instant(body["timeMax"])
            if end - start > timedelta(days=self.freebusy_max_days):
                raise ApiError(400, "timeRangeTooLong", "The requested time range is too long.")
            wanted = {item.lower() for item in items}
            busy: dict[str, list[tuple[datetime, datetime]]] = {item: [] for item in wanted}
            for owner, event, people in self._busy_events(wanted):
                for span in self._spans(owner, event, start, end):
                    for person in people:
                        busy[person].append(span)
            domain = user.rpartition("@")[2]
            calendars: dict[str, Any] = {}
            for item in items:
                if item.rpartition("@")[2].lower() != domain:
                    calendars[item] = {
                        "errors": [{"domain": "global", "reason": "notFound"}],
                        "busy": [],
                    }
                else:
                    calendars[item] = {
                        "busy": [
                            {"start": rfc3339(a), "end": rfc3339(b)}
                            for a, b in _merged(busy[item.lower()])
                        ]
                    }
            return {
                "kind": "calendar#freeBusy",
                "timeMin": rfc3339(start),
                "timeMax": rfc3339(end),
                "calendars": calendars,
            }

    def _busy_events(self, wanted: set[str]) -> Iterator[tuple[str, dict[str, Any], list[str]]]:
        for owner, events in self.calendars.items():
            for event in events.values():
                if event["status"] == "cancelled" or event.get("recurringEventId"):
                    continue
                people = {owner.lower()} | {
                    attendee["email"].lower()
                    for attendee in event.get("attendees") or []
                    if attendee.get("responseStatus") != "declined"
                }
                if people & wanted:
                    yield owner, event, sorted(people & wanted)

    def _spans(
        self, owner: str, event: dict[str, Any], start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        length = _start(event, "end") - _start(event, "start")
        if not event.get("recurrence"):
            first = _start(event, "start")
            if first < end and first + length > start:
                yield first, first + length
            return
        events = self.calendars[owner]
        # Widened so an occurrence moved into the window from outside it is seen.
        for original in self._slots(event, start - timedelta(days=35), end + timedelta(days=35)):
            exception = events.get(f"{event['id']}_{stamp(original)}")
            if exception is not None and exception["status"] == "cancelled":
                continue
            begin = _start(exception, "start") if exception else original
            finish = _start(exception, "end") if exception else original + length
            if begin < end and finish > start:
                yield begin, finish

    # -- push channels ----------------------------------------------------------------------

    def watch(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if body.get("type") != "web_hook" or not body.get("address", "").startswith("http"):
                raise ApiError(400, "invalid", "Invalid channel address or type.")
            if body["id"] in self.channels:
                raise ApiError(400, "channelIdNotUnique", "Channel id not unique.")
            ttl = int((body.get("params") or {}).get("ttl", 604800))
            channel = Channel(
                id=body["id"],
                resource_id=secrets.token_urlsafe(12),
                calendar_id=calendar_id,
                address=body["address"],
                token=body.get("token", ""),
                expires_at=self.now() + timedelta(seconds=min(ttl, 30 * 86400)),
            )
            self.channels[channel.id] = channel
            self.notifications.append((channel, "sync"))
            return {
                "kind": "api#channel",
                "id": channel.id,
                "resourceId": channel.resource_id,
                "resourceUri": f"/calendar/v3/calendars/{calendar_id}/events",
                "token": channel.token,
                "expiration": str(int(channel.expires_at.timestamp() * 1000)),
            }

    def stop(self, body: dict[str, Any]) -> None:
        with self.lock:
            channel = self.channels.get(body.get("id", ""))
            if channel is None or channel.resource_id != body.get("resourceId") or channel.stopped:
                raise ApiError(404, "notFound", "Channel not found for project.")
            channel.stopped = True

    def _live(self, channel: Channel) -> bool:
        return not channel.stopped and channel.expires_at > self.now()

    def take_notifications(self) -> list[tuple[Channel, str]]:
        with self.lock:
            taken, self.notifications = self.notifications, []
            return taken

    # -- the "Google side": what a person does in Google Calendar -----------------------

    def move_occurrence(
        self, calendar_id: str, uid: str, original: datetime, new: datetime
    ) -> None:
        event = self.get(calendar_id, f"{uid}_{stamp(original)}")
        length = parse_instant(event["end"]["dateTime"]) - parse_instant(event["start"]["dateTime"])
        self.patch(
            calendar_id,
            event["id"],
            {"start": {"dateTime": rfc3339(new)}, "end": {"dateTime": rfc3339(new + length)}},
        )

    def cancel_occurrence(self, calendar_id: str, uid: str, original: datetime) -> None:
        self.delete(calendar_id, f"{uid}_{stamp(original)}")

    def delete_series(self, calendar_id: str, uid: str) -> None:
        self.delete(calendar_id, uid)

    def decline(
        self, calendar_id: str, uid: str, attendee: str, original: datetime | None = None
    ) -> None:
        self.respond(calendar_id, uid, attendee, "declined", original)

    def respond(
        self,
        calendar_id: str,
        uid: str,
        attendee: str,
        status: str,
        original: datetime | None = None,
    ) -> None:
        """An attendee's answer to the series (or one occurrence): accepted, declined, ..."""
        event_id = uid if original is None else f"{uid}_{stamp(original)}"
        attendees = self.get(calendar_id, event_id).get("attendees") or []
        for entry in attendees:
            if entry["email"].lower() == attendee.lower():
                entry["responseStatus"] = status
        self.patch(calendar_id, event_id, {"attendees": attendees})

    def move_series(
        self, calendar_id: str, uid: str, first_start: datetime, rrule: str, minutes: int
    ) -> None:
        """An edit to "all events": the series' first start, rule and length change."""
        end = first_start + timedelta(minutes=minutes)
        self.patch(
            calendar_id,
            uid,
            {
                "start": {"dateTime": rfc3339(first_start)},
                "end": {"dateTime": rfc3339(end)},
                "recurrence": [f"RRULE:{rrule}"],
            },
        )

    def split_series(
        self, calendar_id: str, uid: str, original: datetime, new_start: datetime, rrule: str
    ) -> str:
        """An edit to "this and following events" at occurrence `original`, as Google makes
        it: the series ends before it (a UTC UNTIL), and a new series, its id the old one's
        plus "_R" and the occurrence's local start, carries on at `new_start` by `rrule`.
        Returns the new series' id."""
        with self.lock:
            master = self._find(calendar_id, uid)
            zone = master["start"]["timeZone"]
            length = _start(master, "end") - _start(master, "start")
            old_rule = next(
                line.removeprefix("RRULE:")
                for line in master["recurrence"]
                if line.startswith("RRULE:")
            )
            kept = ";".join(
                part for part in old_rule.split(";") if not part.startswith(("UNTIL=", "COUNT="))
            )
            until = original - timedelta(seconds=1)
            self.patch(calendar_id, uid, {"recurrence": [f"RRULE:{kept};UNTIL={stamp(until)}"]})
            local = original.astimezone(ZoneInfo(zone))
            split_id = f"{uid}_R{local:%Y%m%dT%H%M%S}"
            body = {
                key: copy.deepcopy(value)
                for key, value in master.items()
                if key in ("summary", "description", "attendees", "extendedProperties")
            }
            body.update(
                start={"dateTime": rfc3339(new_start), "timeZone": zone},
                end={"dateTime": rfc3339(new_start + length), "timeZone": zone},
                recurrence=[f"RRULE:{rrule}"],
            )
            event = self._new_event(calendar_id, split_id, body)
            self.calendars[calendar_id][split_id] = event
            self._touch(calendar_id, event)
            return split_id

    def series(self, calendar_id: str) -> list[dict[str, Any]]:
        """Live recurring series on a calendar (what a person sees), for assertions."""
        with self.lock:
            return [
                _public(event)
                for event in self.calendars.get(calendar_id, {}).values()
                if event.get("recurrence") and event["status"] != "cancelled"
            ]

    def all_series(self) -> list[dict[str, Any]]:
        with self.lock:
            return [event for calendar in list(self.calendars) for event in self.series(calendar)]


def _start(event: dict[str, Any], key: str) -> datetime:
    return parse_instant(event[key]["dateTime"], event[key].get("timeZone"))


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(value) for key, value in event.items() if not key.startswith("_")}


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError) as error:
        raise ValueError(str(error)) from None
