"""Google Calendar provider: recurring 1-on-1s through google-api-python-client.

Two ways in, both behind `GoogleAccountStore`: a service account with domain-wide
delegation (acting as each manager) or one OAuth grant per manager. All HTTP goes through
`GoogleTransport` (google_http.py); event mapping lives in google_events.py.

Idempotence: every series is inserted with our uid as its event id, so a retried insert
gets 409 and is reconciled by reading the event back, never duplicated. Bulk work is
batched: free/busy in queries of at most 50 calendars, inserts in batches of at most 50.

Requires, in `ProviderDeps`: `config` (the [google] settings) and `extra["accounts"]` (a
GoogleAccountStore); optional `extra["sleep"]` replaces time.sleep in the backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.calendar import (
    BusyInterval,
    ChangeSet,
    ConnectorError,
    ProviderDeps,
    RemoteSeries,
    SeriesSpec,
    calendar_providers,
)
from connectors.calendar.google_accounts import Acting, GoogleAccount, acting_for, reader_for
from connectors.calendar.google_errors import GoogleApiError
from connectors.calendar.google_events import (
    all_changes,
    freebusy_body,
    freebusy_windows,
    instance_id,
    move_body,
    parse_time,
    rfc3339,
    series_body,
)
from connectors.calendar.google_http import Call, GoogleTransport, request

log = logging.getLogger(__name__)

FREEBUSY_MAX_CALENDARS = 50  # Google's limit per freebusy.query
PAGE_SIZE = 2500  # events.list maximum
GONE = (404, 410)  # "already deleted" counts as success


@dataclass(frozen=True)
class WatchChannel:
    channel_id: str
    resource_id: str
    expires_at: datetime | None


@calendar_providers.register("google")
class GoogleCalendar:
    """The CalendarProvider for Google Calendar (see the module docstring)."""

    name = "google"

    def __init__(self, deps: ProviderDeps) -> None:
        store = deps.extra.get("accounts")
        if deps.config is None or store is None:
            raise ConnectorError(
                "the google calendar needs its [google] settings and an account store",
                permanent=True,
            )
        self.config = deps.config
        self.transport = GoogleTransport(
            deps.config, store, sleep=deps.extra.get("sleep", time.sleep)
        )

    # -- reading -------------------------------------------------------------------------

    def free_busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]:
        """Busy intervals per calendar: at most 50 calendars and `freebusy_max_days` per
        query, all queries sent together as batches.

        A query that keeps failing transiently raises (booking without busy times could
        double-book); one refused for good (a calendar outside every account's reach)
        leaves those calendars without busy times, with a warning.
        """
        busy: dict[str, list[BusyInterval]] = {calendar_id: [] for calendar_id in calendar_ids}
        windows = freebusy_windows(start, end, self.config.freebusy_max_days)
        calls = [
            Call(
                acting,
                request("freebusy", "query", body=freebusy_body(chunk, *window)),
                f"free/busy of {len(chunk)} calendars from {chunk[0]}",
            )
            for acting, chunk in self._freebusy_groups(list(busy))
            for window in windows
        ]
        for reply in self.transport.run(calls):
            if isinstance(reply, ConnectorError):
                if not reply.permanent:
                    raise reply
                log.warning("no busy times: %s", reply.message)
                continue
            for calendar_id, info in (reply.get("calendars") or {}).items():
                if info.get("errors"):
                    log.warning("free/busy of %s unavailable: %s", calendar_id, info["errors"])
                busy.setdefault(calendar_id, []).extend(
                    BusyInterval(
                        parse_time({"dateTime": span["start"]}),
                        parse_time({"dateTime": span["end"]}),
                    )
                    for span in info.get("busy") or []
                )
        return {cid: sorted(spans, key=lambda span: span.start) for cid, spans in busy.items()}

    def _freebusy_groups(self, calendar_ids: list[str]) -> list[tuple[Acting, list[str]]]:
        """Calendars grouped by the account (and domain) that reads them, 50 at a time, each
        group acting as a user we already hold a token for where possible."""
        accounts = self.transport.store.accounts()
        groups: dict[tuple[str, str], tuple[GoogleAccount, list[str]]] = {}
        for calendar_id in calendar_ids:
            account = reader_for(accounts, calendar_id)
            if account is None:
                log.warning("no Google account can read the free/busy of %s", calendar_id)
                continue
            key = (account.name, calendar_id.rpartition("@")[2].lower())
            groups.setdefault(key, (account, []))[1].append(calendar_id)
        cached = self.transport.credentials.live_subjects()
        result = []
        for account, members in groups.values():
            for offset in range(0, len(members), FREEBUSY_MAX_CALENDARS):
                chunk = members[offset : offset + FREEBUSY_MAX_CALENDARS]
                subject = next((m for m in chunk if m.lower() in cached), chunk[0])
                if account.kind == "oauth":
                    subject = account.email
                result.append((Acting(account, subject), chunk))
        return result

    def list_changes(self, calendar_id: str, sync_token: str | None) -> ChangeSet:
        """Changes since `sync_token`; on 410 (token expired) everything, full_resync=True.
        An unchanged calendar costs exactly one round trip."""
        acting = self._acting(calendar_id)
        try:
            events, next_token = self._list_events(acting, calendar_id, sync_token)
        except GoogleApiError as error:
            if error.status != 410 or sync_token is None:
                raise
            log.info("sync token for %s expired: full resync", calendar_id)
            events, next_token = self._list_events(acting, calendar_id, None)
            return ChangeSet(all_changes(events, calendar_id), next_token, full_resync=True)
        return ChangeSet(all_changes(events, calendar_id), next_token)

    def _list_events(
        self, acting: Acting, calendar_id: str, sync_token: str | None
    ) -> tuple[list[dict[str, Any]], str]:
        events: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            list_events = request(
                "events",
                "list",
                calendarId=calendar_id,
                maxResults=PAGE_SIZE,
                showDeleted=True,  # a deleted series must be seen, even on a full sync
                singleEvents=False,
                syncToken=sync_token,
                pageToken=page_token,
            )
            reply = self.transport.call(Call(acting, list_events, f"list {calendar_id}"))
            events.extend(reply.get("items") or [])
            page_token = reply.get("nextPageToken")
            if not page_token:
                return events, reply["nextSyncToken"]

    # -- writing -------------------------------------------------------------------------

    def create_series(self, spec: SeriesSpec) -> RemoteSeries:
        result = self.create_series_many([spec])[0]
        if isinstance(result, ConnectorError):
            raise result
        return result

    def create_series_many(
        self, specs: Sequence[SeriesSpec]
    ) -> list[RemoteSeries | ConnectorError]:
        """Insert every series (batched, retried); results in spec order. A 409 means the
        event id exists (an earlier try landed): it is read back and reported created=False."""
        accounts = self.transport.store.accounts()
        results: dict[int, RemoteSeries | ConnectorError] = {}
        inserts: dict[int, Call] = {}
        for index, spec in enumerate(specs):
            try:
                acting = acting_for(accounts, spec.calendar_id)
            except GoogleApiError as error:
                results[index] = error
                continue
            insert = request(
                "events",
                "insert",
                calendarId=spec.calendar_id,
                body=series_body(spec),
                sendUpdates=self.config.send_updates,
            )
            inserts[index] = Call(acting, insert, f"create {spec.uid} on {spec.calendar_id}")
        reads: dict[int, Call] = {}
        for index, reply in zip(inserts, self.transport.run(list(inserts.values())), strict=True):
            spec = specs[index]
            if isinstance(reply, GoogleApiError) and reply.status == 409:
                read = request("events", "get", calendarId=spec.calendar_id, eventId=spec.uid)
                reads[index] = Call(inserts[index].acting, read, f"read back {spec.uid}")
            elif isinstance(reply, ConnectorError):
                results[index] = reply
            else:
                results[index] = RemoteSeries(spec.uid, reply["id"], created=True)
        for index, reply in zip(reads, self.transport.run(list(reads.values())), strict=True):
            results[index] = _reconciled(specs[index], reply)
        return [results[index] for index in range(len(specs))]

    def move_occurrence(
        self,
        calendar_id: str,
        uid: str,
        original_start: datetime,
        new_start: datetime,
        duration_minutes: int,
    ) -> None:
        """Patch the occurrence; moving it to where it already is is a no-op."""
        acting = self._acting(calendar_id)
        body = move_body(new_start, duration_minutes)
        what = f"move {uid} @ {rfc3339(original_start)}"

        def patch(event_id: str) -> None:
            patch = request(
                "events",
                "patch",
                calendarId=calendar_id,
                eventId=event_id,
                body=body,
                sendUpdates=self.config.send_updates,
            )
            self.transport.call(Call(acting, patch, what))

        self._on_occurrence(acting, calendar_id, uid, original_start, patch)

    def cancel_occurrence(self, calendar_id: str, uid: str, original_start: datetime) -> None:
        """Delete the occurrence (Google keeps it as a cancelled exception); an occurrence
        or series that is already gone counts as cancelled."""
        acting = self._acting(calendar_id)
        what = f"cancel {uid} @ {rfc3339(original_start)}"
        try:
            self._on_occurrence(
                acting,
                calendar_id,
                uid,
                original_start,
                lambda event_id: self._delete(acting, calendar_id, event_id, what, gone=(410,)),
            )
        except GoogleApiError as error:
            if error.status not in GONE:
                raise

    def cancel_series(self, calendar_id: str, uid: str) -> None:
        """Delete the series; "already deleted" counts as success."""
        self._delete(self._acting(calendar_id), calendar_id, uid, f"delete series {uid}")

    def _delete(
        self, acting: Acting, calendar_id: str, event_id: str, what: str, gone: Sequence[int] = GONE
    ) -> None:
        delete = request(
            "events",
            "delete",
            calendarId=calendar_id,
            eventId=event_id,
            sendUpdates=self.config.send_updates,
        )
        try:
            self.transport.call(Call(acting, delete, what))
        except GoogleApiError as error:
            if error.status not in gone:
                raise

    def _on_occurrence(
        self,
        acting: Acting,
        calendar_id: str,
        uid: str,
        original_start: datetime,
        action: Callable[[str], None],
    ) -> None:
        """Apply `action` to the occurrence's event id: Google's uid_YYYYMMDDTHHMMSSZ first
        (no lookup round trip); on 404, the id events.instances(originalStart=…) names."""
        try:
            action(instance_id(uid, original_start))
            return
        except GoogleApiError as error:
            if error.status != 404:
                raise
        when = rfc3339(original_start)
        find = request(
            "events",
            "instances",
            calendarId=calendar_id,
            eventId=uid,
            originalStart=when,
            showDeleted=True,
        )
        items = self.transport.call(Call(acting, find, f"find {uid} @ {when}")).get("items")
        if not items:
            raise GoogleApiError(
                f"series {uid} has no occurrence at {when}",
                status=404,
                reason="notFound",
                permanent=True,
            )
        action(str(items[0]["id"]))

    # -- push channels and account checks --------------------------------------------------

    def watch(
        self, calendar_id: str, channel_id: str, address: str, token: str, ttl_seconds: int
    ) -> WatchChannel:
        """Open an events.watch channel posting to `address`, echoing `token`."""
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(int(ttl_seconds))},
        }
        watch = request("events", "watch", calendarId=calendar_id, body=body)
        reply = self.transport.call(Call(self._acting(calendar_id), watch, f"watch {calendar_id}"))
        expiration = reply.get("expiration")  # milliseconds since the epoch, as a string
        expires = datetime.fromtimestamp(int(expiration) / 1000, UTC) if expiration else None
        return WatchChannel(channel_id, str(reply["resourceId"]), expires)

    def stop_channel(self, calendar_id: str, channel_id: str, resource_id: str) -> None:
        """Close a channel; one that is already gone counts as closed."""
        stop = request("channels", "stop", body={"id": channel_id, "resourceId": resource_id})
        try:
            self.transport.call(Call(self._acting(calendar_id), stop, f"stop {channel_id}"))
        except GoogleApiError as error:
            if error.status not in GONE:
                raise

    def visible_calendars(self, account: GoogleAccount, subject: str) -> list[dict[str, Any]]:
        """The calendar list `account` sees when acting as `subject` (for `accounts test`)."""
        listing = request("calendarList", "list")
        reply = self.transport.call(Call(Acting(account, subject), listing, f"list of {subject}"))
        return list(reply.get("items") or [])

    def _acting(self, calendar_id: str) -> Acting:
        return acting_for(self.transport.store.accounts(), calendar_id)


def _reconciled(spec: SeriesSpec, reply: Any) -> RemoteSeries | ConnectorError:
    """The result for a series whose insert said 409: the event read back, or why not."""
    if isinstance(reply, ConnectorError):
        return ConnectorError(
            f"series {spec.uid} exists on {spec.calendar_id} but cannot be read back: "
            f"{reply.message}",
            permanent=reply.permanent,
        )
    if reply.get("status") == "cancelled":
        log.warning("series %s already existed and was deleted meanwhile", spec.uid)
    return RemoteSeries(spec.uid, str(reply["id"]), created=False)
