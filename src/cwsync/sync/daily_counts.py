"""The user count for a day (DESIGN §3 "user count").

The count for a day is the last one reported with `as_of` on or before the end of that day in
the partner's timezone. "On or before the end of day D" is the same as "reported on a local
date ≤ D", which is how it is computed here: comparing local dates sidesteps days whose local
midnight does not exist (zones that change clocks at 00:00).

Reports arrive in any order and may repeat a day. Two reports with the same instant: the later
one in input order wins, so a caller that wants another tie-breaker (e.g. recorded_at) passes
the reports sorted by it. Everything else is independent of input order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from cwsync.sync.billing_month import TimeZone, as_zone, local_date

__all__ = [
    "CountReport",
    "LocalCount",
    "count_on",
    "daily_counts",
    "first_count_between",
    "local_counts",
]


class CountReport(NamedTuple):
    """One reported count. Any `(aware datetime, int)` tuple is accepted where this is."""

    as_of: datetime
    active_users: int


@dataclass(frozen=True, slots=True)
class LocalCount:
    """A report placed on the partner's calendar."""

    day: date
    as_of: datetime
    active_users: int


def local_counts(reports: Iterable[tuple[datetime, int]], tz: TimeZone) -> list[LocalCount]:
    """Reports deduplicated by instant (last in input order wins) and sorted by `as_of`."""
    zone = as_zone(tz)
    by_instant: dict[datetime, int] = {}
    for as_of, active_users in reports:
        _check(as_of, active_users)
        # Aware datetimes hash and compare by instant, so 10:00Z and 00:00-10:00 are one key.
        # Pop first so the surviving key is the later report's own datetime.
        by_instant.pop(as_of, None)
        by_instant[as_of] = active_users
    return [
        LocalCount(local_date(as_of, zone), as_of, users)
        for as_of, users in sorted(by_instant.items(), key=lambda item: item[0])
    ]


def count_on(reports: Iterable[tuple[datetime, int]], tz: TimeZone, day: date) -> int | None:
    """The count for `day` in the partner's timezone, or None when nothing was reported yet."""
    history = local_counts(reports, tz)
    index = bisect_right([c.day for c in history], day)
    return history[index - 1].active_users if index else None


def daily_counts(
    reports: Iterable[tuple[datetime, int]], tz: TimeZone, first_day: date, last_day: date
) -> dict[date, int | None]:
    """The count for every day from `first_day` to `last_day` inclusive, in day order.

    A day before the first report maps to None: there is no count yet, not a count of zero.
    """
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    history = local_counts(reports, tz)
    result: dict[date, int | None] = {}
    current: int | None = None
    position = 0
    day = first_day
    while day <= last_day:
        while position < len(history) and history[position].day <= day:
            current = history[position].active_users
            position += 1
        result[day] = current
        day += timedelta(days=1)
    return result


def first_count_between(
    reports: Iterable[tuple[datetime, int]], tz: TimeZone, first_day: date, last_day: date
) -> int | None:
    """The value of the earliest report (by `as_of`) whose local day lies in the range."""
    for count in local_counts(reports, tz):
        if first_day <= count.day <= last_day:
            return count.active_users
    return None


def _check(as_of: datetime, active_users: int) -> None:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(f"as_of must be timezone-aware, got naive {as_of.isoformat()}")
    # bool is an int subclass; a True/False count is a caller bug, not one user.
    if isinstance(active_users, bool) or not isinstance(active_users, int) or active_users < 0:
        raise ValueError(f"active_users must be a non-negative int, got {active_users!r}")
