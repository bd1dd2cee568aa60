"""Calendar rules in the partner's timezone: which local day it is, which month is due for
pro rata, and how a local day is written to ConnectWise.

Pure functions: "now" is always passed in, so a test or a dry run can pick any instant.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "TimeZone",
    "as_zone",
    "cw_date",
    "due_billing_month",
    "last_day_of_month",
    "local_date",
    "month_start",
    "next_month",
    "previous_month",
]

# Partners store their timezone as an IANA name; callers may pass the name or a ZoneInfo.
TimeZone = ZoneInfo | str


def as_zone(tz: TimeZone) -> ZoneInfo:
    """The ZoneInfo for an IANA name (raises ZoneInfoNotFoundError for an unknown name)."""
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _require_aware(moment: datetime, what: str) -> None:
    # A naive datetime has no defined instant; guessing UTC or local time would shift counts
    # and billing months by a day for partners far from UTC.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")


def local_date(now_utc: datetime, tz: TimeZone) -> date:
    """The calendar day the partner sees at the instant `now_utc` (any aware datetime)."""
    _require_aware(now_utc, "now_utc")
    return now_utc.astimezone(as_zone(tz)).date()


def month_start(day: date) -> date:
    """First day of the month holding `day`."""
    return date(day.year, day.month, 1)


def next_month(month: date) -> date:
    """First day of the month after the one holding `month`."""
    if month.month == 12:
        return date(month.year + 1, 1, 1)
    return date(month.year, month.month + 1, 1)


def previous_month(month: date) -> date:
    """First day of the month before the one holding `month`."""
    return month_start(month_start(month) - timedelta(days=1))


def last_day_of_month(month: date) -> date:
    """Last day of the month holding `month` (29 February in leap years)."""
    return next_month(month) - timedelta(days=1)


def due_billing_month(
    now_utc: datetime, tz: TimeZone, already_charged: Collection[date] = ()
) -> date | None:
    """The month (its first day) whose pro rata is due at `now_utc`, or None.

    Due means: the month just before the partner-local current month, as long as it is not in
    `already_charged` (first days of months already processed for this client). So the first
    run on or after the local 1st bills the month that just ended, a run on the 3rd after the
    scheduler was down over the boundary still bills it, and a later run that month returns
    None. Months before the previous one are deliberately not back-billed: a growth charge
    for a month long past would land on an invoice the partner's client has already seen.
    The (client, month) unique key in the database is the real guard against billing twice.
    """
    due = previous_month(local_date(now_utc, tz))
    charged = {month_start(m) for m in already_charged}
    return None if due in charged else due


def cw_date(day: date) -> str:
    """ConnectWise date for a partner-local day: midnight UTC of that day (DESIGN §4 rule 5).

    ConnectWise stores dates as datetimes; sending midnight *UTC* of the local day (rather than
    local midnight converted to UTC) keeps the calendar day the partner meant on every site.
    """
    if isinstance(day, datetime):
        # A datetime is a date subclass; taking its .date() here could silently pick the UTC
        # day instead of the partner's. Make the caller say which day it means.
        raise TypeError("cw_date takes a date (the partner-local day), not a datetime")
    return f"{day.isoformat()}T00:00:00Z"
