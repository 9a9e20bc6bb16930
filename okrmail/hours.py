"""When a person may be emailed: their working days and hours, clipped to a daily window.

Prompts and chases both go out only inside these hours, in the person's own time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SEARCH_DAYS = 14  # a week of days off (and then some) never hides the next working day


class Schedule(Protocol):
    timezone: str
    work_days: list[int]
    work_start: time
    work_end: time


@dataclass(frozen=True)
class Hours:
    """Daily local hours [start, end] on the given ISO weekdays, in `zone`."""

    zone: ZoneInfo
    days: frozenset[int]
    start: time
    end: time

    def allows(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone)
        return local.isoweekday() in self.days and self.start <= local.time() <= self.end

    def next_allowed(self, instant: datetime) -> datetime:
        """The earliest allowed instant at or after `instant`."""
        if self.allows(instant):
            return instant
        local = instant.astimezone(self.zone)
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        for _ in range(SEARCH_DAYS):
            if day.isoweekday() in self.days:
                return datetime.combine(day, self.start, tzinfo=self.zone).astimezone(UTC)
            day += timedelta(days=1)
        return instant

    def last_allowed(self, instant: datetime) -> datetime:
        """The latest allowed instant at or before `instant`."""
        if self.allows(instant):
            return instant
        local = instant.astimezone(self.zone)
        day = local.date() if local.time() > self.end else local.date() - timedelta(days=1)
        for _ in range(SEARCH_DAYS):
            if day.isoweekday() in self.days:
                return datetime.combine(day, self.end, tzinfo=self.zone).astimezone(UTC)
            day -= timedelta(days=1)
        return instant


def hours_for(person: Schedule, clip_start: time, clip_end: time) -> Hours:
    """The person's working hours clipped to [clip_start, clip_end] (waking or non-quiet
    hours); if they do not overlap, the clip window alone on the person's working days."""
    start, end = max(clip_start, person.work_start), min(clip_end, person.work_end)
    if start >= end:
        start, end = clip_start, clip_end
    days = frozenset(person.work_days or range(1, 8))
    return Hours(ZoneInfo(person.timezone), days, start, end)
