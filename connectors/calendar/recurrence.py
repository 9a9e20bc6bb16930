"""RFC 5545 recurrence expanded in the series' own time zone.

A 10:00 Europe/Berlin weekly meeting is 10:00 in Berlin every week: we expand the RRULE on
naive local wall-clock times and only then attach the zone and convert to UTC, so the UTC
instant shifts by an hour across DST while the local time stays put.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def local_to_utc(local: datetime, timezone: str) -> datetime:
    """A naive wall-clock time in `timezone` as an aware UTC instant.

    In the spring-forward gap the earlier offset applies (fold=0), which moves the meeting
    forward by the gap, as calendar apps do.
    """
    return local.replace(tzinfo=ZoneInfo(timezone), fold=0).astimezone(UTC)


def utc_to_local(instant: datetime, timezone: str) -> datetime:
    """An aware instant as a naive wall-clock time in `timezone`."""
    return instant.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def occurrences(
    rrule: str, first_local: datetime, timezone: str, start: datetime, end: datetime
) -> Iterator[datetime]:
    """UTC starts of the occurrences whose start lies in [start, end).

    `first_local` is the naive local DTSTART; `start` and `end` are aware instants.
    """
    rule = rrulestr(_local_until(rrule, timezone), dtstart=first_local)
    # Bound the naive walk by the window widened a day each side (zone offsets < 1 day).
    local_from = utc_to_local(start, timezone) - timedelta(days=1)
    local_to = utc_to_local(end, timezone) + timedelta(days=1)
    for local in rule.between(local_from, local_to, inc=True):
        instant = local_to_utc(local, timezone)
        if start <= instant < end:
            yield instant


def occurrences_from(
    rrule: str, first_start: datetime, timezone: str, start: datetime, end: datetime
) -> Iterator[datetime]:
    """`occurrences` of a series whose first occurrence is the aware instant `first_start`
    (as stored: a series' DTSTART is kept in UTC, its zone beside it)."""
    return occurrences(rrule, utc_to_local(first_start, timezone), timezone, start, end)


_UTC_UNTIL = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.I)


def _local_until(rrule: str, timezone: str) -> str:
    """The rule with a UTC UNTIL written as local wall-clock time in `timezone`.

    Calendars end a timed series with a UTC UNTIL (RFC 5545 requires it with a zoned
    DTSTART; Google writes one when a series is cut at "this and following"), but the
    rule is expanded on naive local times, and dateutil refuses to mix the two.
    """

    def local(match: re.Match[str]) -> str:
        until = datetime.strptime(match[1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return f"UNTIL={utc_to_local(until, timezone):%Y%m%dT%H%M%S}"

    return _UTC_UNTIL.sub(local, rrule) if "UNTIL" in rrule.upper() else rrule
