"""Cadences as RFC 5545 RRULEs anchored on the first occurrence's local date and time."""

from __future__ import annotations

from datetime import datetime

CADENCES = ("weekly", "biweekly", "monthly", "quarterly")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def cadence_rrule(cadence: str, first_local: datetime) -> str:
    """The RRULE for `cadence` whose first occurrence is `first_local` (naive local time).

    Monthly and quarterly meetings keep their weekday (the 2nd Tuesday, the last Friday),
    as people expect of a 1-on-1, rather than a day of the month that drifts across weekdays.
    """
    weekday = _WEEKDAYS[first_local.weekday()]
    if cadence == "weekly":
        return f"FREQ=WEEKLY;INTERVAL=1;BYDAY={weekday}"
    if cadence == "biweekly":
        return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}"
    nth = (first_local.day - 1) // 7 + 1
    position = -1 if nth == 5 else nth
    if cadence == "monthly":
        return f"FREQ=MONTHLY;INTERVAL=1;BYDAY={position}{weekday}"
    if cadence == "quarterly":
        return f"FREQ=MONTHLY;INTERVAL=3;BYDAY={position}{weekday}"
    raise ValueError(f"unknown cadence {cadence!r}; allowed: {', '.join(CADENCES)}")
