"""Calendar providers: one small Protocol, a registry, and the typed error.

Importing this package registers the built-in providers (local). Providers that need
optional libraries (google, microsoft, exchange) register when their module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from connectors.errors import ConnectorError
from connectors.registry import Registry

calendar_providers = Registry("calendar")


@dataclass(frozen=True)
class BusyInterval:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class SeriesSpec:
    """What to book. `uid` is ours: the provider must treat a second create as a no-op."""

    uid: str
    calendar_id: str
    summary: str
    description: str
    first_start_local: datetime  # naive wall-clock time in `timezone`
    timezone: str
    rrule: str  # e.g. "FREQ=WEEKLY;BYDAY=TU" (no DTSTART)
    duration_minutes: int
    attendees: tuple[str, ...]


@dataclass(frozen=True)
class RemoteSeries:
    uid: str
    remote_id: str
    created: bool  # False when the uid already existed (a retried create)


@dataclass(frozen=True)
class OccurrenceChange:
    """A change seen on the provider's side.

    original_start None means the whole series (cancelled = deleted). status is one of
    confirmed (moved or unchanged), cancelled, declined (an attendee declined).

    A confirmed series carries its shape as the provider now has it: `start` and `end`
    of its first occurrence, `rrule` and `timezone`, so a series moved as a whole ("all
    events") is seen. `continues` names the series a new one was split off from ("this
    and following events": the provider ended the old series and made a new one).
    """

    uid: str
    original_start: datetime | None
    status: Literal["confirmed", "cancelled", "declined"]
    start: datetime | None = None
    end: datetime | None = None
    attendee: str | None = None
    rrule: str | None = None
    timezone: str | None = None
    continues: str | None = None


@dataclass(frozen=True)
class ChangeSet:
    changes: list[OccurrenceChange]
    next_token: str
    full_resync: bool = False  # the old token had expired; changes list everything


@dataclass(frozen=True)
class ProviderDeps:
    """What a provider may be built from: its settings section, DB sessions and the clock."""

    config: Any
    session_factory: Any = None
    clock: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class CalendarProvider(Protocol):
    name: str

    def free_busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]:
        """Busy intervals per calendar in [start, end)."""
        ...

    def create_series(self, spec: SeriesSpec) -> RemoteSeries:
        """Create the recurring event; idempotent on spec.uid."""
        ...

    # Optional: providers with a batch API also offer
    #   create_series_many(specs) -> list[RemoteSeries | ConnectorError]  (in spec order)
    # and booking uses it for bulk bookings; free_busy may be given any number of calendars
    # (the provider splits the query as its API requires).

    def list_changes(self, calendar_id: str, sync_token: str | None) -> ChangeSet:
        """Changes since `sync_token` (None: everything), and the token for next time."""
        ...

    def move_occurrence(
        self,
        calendar_id: str,
        uid: str,
        original_start: datetime,
        new_start: datetime,
        duration_minutes: int,
    ) -> None:
        """Move one occurrence; moving it again to the same place is a no-op."""
        ...

    def cancel_occurrence(self, calendar_id: str, uid: str, original_start: datetime) -> None:
        """Cancel one occurrence; "already cancelled" counts as success."""
        ...

    def cancel_series(self, calendar_id: str, uid: str) -> None:
        """Delete the whole series; "already deleted" counts as success."""
        ...


def build_calendar_provider(name: str, deps: ProviderDeps) -> CalendarProvider:
    """The provider registered under `name`, built from `deps` (LookupError if unknown)."""
    return calendar_providers.get(name)(deps)


from connectors.calendar import local as _local  # noqa: E402,F401  (registers "local")

__all__ = [
    "BusyInterval",
    "CalendarProvider",
    "ChangeSet",
    "ConnectorError",
    "OccurrenceChange",
    "ProviderDeps",
    "RemoteSeries",
    "SeriesSpec",
    "build_calendar_provider",
    "calendar_providers",
]
