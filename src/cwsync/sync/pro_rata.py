"""The pro-rata rule (DESIGN §4 rule 4): net user growth during a month, and the day from
which that growth is billed.

Pure arithmetic on reported counts. Whether a client has pro rata on, which month is due
(`billing_month.due_billing_month`), recording the charge and posting the addition are the
caller's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cwsync.sync.billing_month import TimeZone, last_day_of_month
from cwsync.sync.daily_counts import daily_counts, first_count_between

__all__ = [
    "MonthGrowth",
    "ProRataCharge",
    "effective_date",
    "month_growth",
    "pro_rata_charge",
]


@dataclass(frozen=True, slots=True)
class MonthGrowth:
    """Counts around one month, charged or not: what a dry run shows for "nothing to bill"."""

    month: date  # first day of the month
    baseline: int
    end: int

    @property
    def net(self) -> int:
        return self.end - self.baseline


@dataclass(frozen=True, slots=True)
class ProRataCharge:
    """One prorated addition to create: `net` seats from `effective_date` to `cancelled_date`."""

    month: date  # first day of the month
    baseline: int
    end: int
    net: int
    effective_date: date
    cancelled_date: date  # last day of the month

    @property
    def quantity(self) -> int:
        return self.net


def month_growth(
    reports: Iterable[tuple[datetime, int]], tz: TimeZone, month: date
) -> MonthGrowth | None:
    """Baseline and end-of-month counts for `month`, or None if nothing was reported by its end.

    baseline = count at the end of the day before the month; a client with no count before
    the month (created during it) takes the first count reported in the month instead.
    """
    _require_first_day(month)
    reports = list(reports)  # read twice below; a generator would be empty the second time
    last_day = last_day_of_month(month)
    counts = daily_counts(reports, tz, month - timedelta(days=1), last_day)
    end = counts[last_day]
    if end is None:
        return None
    baseline = counts[month - timedelta(days=1)]
    if baseline is None:
        baseline = first_count_between(reports, tz, month, last_day)
        # A count exists by month end but none before the month, so one lies inside it.
        assert baseline is not None
    return MonthGrowth(month=month, baseline=baseline, end=end)


def pro_rata_charge(
    reports: Iterable[tuple[datetime, int]], tz: TimeZone, month: date
) -> ProRataCharge | None:
    """The charge for net growth in `month`, or None when there is none (net ≤ 0, no count)."""
    reports = list(reports)  # read twice below
    growth = month_growth(reports, tz, month)
    if growth is None or growth.net <= 0:
        return None
    last_day = last_day_of_month(month)
    days = daily_counts(reports, tz, month, last_day)
    return ProRataCharge(
        month=month,
        baseline=growth.baseline,
        end=growth.end,
        net=growth.net,
        effective_date=effective_date(days, growth.baseline, growth.net),
        cancelled_date=last_day,
    )


def effective_date(counts: Mapping[date, int | None], baseline: int, net: int) -> date:
    """The seat-weighted start day of `net` new seats over the days in `counts`.

    `counts` holds every day of the month (None for a day with no count yet). Seat k counts
    from the first day of the last unbroken run, ending on the month's last day, on which the
    day's count was ≥ baseline + k. U sums each seat's days to month end, inclusive, and the
    answer is `last day − round_half_up(U / net) + 1`.

    Walking back from the last day with the running minimum m of the counts seen so far, seat
    k's run still covers a day exactly when m ≥ baseline + k; so each day adds
    min(m − baseline, net) seats to U. The minimum never rises going back, so the walk stops
    at the first day that adds nothing (or has no count, which breaks every run).
    """
    if net <= 0:
        raise ValueError(f"net must be positive, got {net}")
    days = sorted(counts)
    last_day = days[-1]
    last_count = counts[last_day]
    if last_count is None or last_count < baseline + net:
        raise ValueError(f"count on {last_day} ({last_count}) is below baseline + net")
    seat_days = 0
    running_min = last_count
    for day in reversed(days):
        count = counts[day]
        if count is None:
            break
        running_min = min(running_min, count)
        seats_present = min(running_min - baseline, net)
        if seats_present <= 0:
            break
        seat_days += seats_present
    mean_days = int((Decimal(seat_days) / Decimal(net)).to_integral_value(ROUND_HALF_UP))
    return last_day - timedelta(days=mean_days - 1)


def _require_first_day(month: date) -> None:
    if isinstance(month, datetime) or month.day != 1:
        raise ValueError(f"month must be the first day of a month as a date, got {month!r}")
