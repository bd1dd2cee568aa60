"""Properties of the pro-rata rule over generated report histories (hypothesis).

`literal_charge` restates DESIGN §4 rule 4 word for word — per day, per seat, with no
shortcuts — so the production code's running-minimum walk is checked against the rule itself.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from cwsync.sync.pro_rata import ProRataCharge, pro_rata_charge

# Both sides of the date line, and zones whose clocks change (Santiago at local midnight).
ZONES = [
    "UTC",
    "Pacific/Honolulu",
    "Pacific/Kiritimati",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
]

Reports = list[tuple[datetime, int]]

quick = settings(max_examples=150, deadline=None)


def month_days(month: date) -> list[date]:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return [month + timedelta(days=n) for n in range((following - month).days)]


def literal_count(reports: Reports, zone: ZoneInfo, day: date) -> int | None:
    """Last report (by as_of, then input order) whose local day is on or before `day`."""
    seen = [(at, n, i) for i, (at, n) in enumerate(reports) if at.astimezone(zone).date() <= day]
    return max(seen, key=lambda r: (r[0], r[2]))[1] if seen else None


def literal_charge(reports: Reports, tz: str, month: date) -> ProRataCharge | None:
    zone = ZoneInfo(tz)
    days = month_days(month)
    end = literal_count(reports, zone, days[-1])
    if end is None:
        return None
    baseline = literal_count(reports, zone, month - timedelta(days=1))
    if baseline is None:
        in_month = [(at, i, n) for i, (at, n) in enumerate(reports)
                    if month <= at.astimezone(zone).date() <= days[-1]]  # fmt: skip
        # Same instant twice: the later one in input order stands for it.
        first_at = min(at for at, _, _ in in_month)
        baseline = max((i, n) for at, i, n in in_month if at == first_at)[1]
    net = end - baseline
    if net <= 0:
        return None
    counts = {d: literal_count(reports, zone, d) for d in days}
    total = 0
    for k in range(1, net + 1):
        start = days[-1]
        for d in reversed(days):
            c = counts[d]
            if c is None or c < baseline + k:
                break
            start = d
        total += (days[-1] - start).days + 1
    mean = int((Decimal(total) / Decimal(net)).to_integral_value(ROUND_HALF_UP))
    return ProRataCharge(month, baseline, end, net, days[-1] - timedelta(days=mean - 1), days[-1])


@st.composite
def histories(draw: st.DrawFn) -> tuple[str, date, Reports]:
    tz = draw(st.sampled_from(ZONES))
    month = date(draw(st.integers(2024, 2029)), draw(st.integers(1, 12)), 1)
    # Instants from three days before the month to three days after it, in minutes: unique,
    # so input order can only matter through the documented same-instant rule.
    start = datetime.combine(month, time(0), ZoneInfo(tz)).astimezone(UTC) - timedelta(days=3)
    span = (len(month_days(month)) + 6) * 24 * 60
    offsets = draw(st.lists(st.integers(0, span), max_size=25, unique=True))
    # Small counts near each other, so growth, dips and ties with the baseline all happen.
    counts = draw(st.lists(st.integers(0, 12), min_size=len(offsets), max_size=len(offsets)))
    reports = [(start + timedelta(minutes=m), n) for m, n in zip(offsets, counts, strict=True)]
    return tz, month, reports


@quick
@given(histories())
def test_matches_the_rule_as_written(history: tuple[str, date, Reports]) -> None:
    tz, month, reports = history
    assert pro_rata_charge(reports, tz, month) == literal_charge(reports, tz, month)


@quick
@given(histories())
def test_charge_is_bounded_by_month_and_seats_present(history: tuple[str, date, Reports]) -> None:
    tz, month, reports = history
    result = pro_rata_charge(reports, tz, month)
    if result is None:
        return
    days = month_days(month)
    assert 0 < result.net <= result.end
    assert result.net == result.end - result.baseline
    assert days[0] <= result.effective_date <= days[-1]
    assert result.cancelled_date == days[-1]
    assert result.month == month


@quick
@given(histories(), st.randoms(use_true_random=False))
def test_independent_of_report_order(
    history: tuple[str, date, Reports], rng: random.Random
) -> None:
    tz, month, reports = history
    shuffled = list(reports)
    rng.shuffle(shuffled)
    assert pro_rata_charge(shuffled, tz, month) == pro_rata_charge(reports, tz, month)


@st.composite
def single_jumps(draw: st.DrawFn) -> tuple[str, date, Reports, date, int]:
    tz = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(tz)
    month = date(draw(st.integers(2024, 2029)), draw(st.integers(1, 12)), 1)
    days = month_days(month)
    baseline = draw(st.integers(0, 5000))
    net = draw(st.integers(1, 2000))
    jump_day = draw(st.sampled_from(days))

    def on(day: date) -> datetime:
        return datetime.combine(day, time(draw(st.integers(0, 23)), draw(st.integers(0, 59))), zone)

    reports: Reports = [(on(month - timedelta(days=draw(st.integers(1, 40)))), baseline)]
    before = [d for d in days if d < jump_day]
    # Flat re-reports of the baseline before the jump and of the new count after it.
    for day in draw(st.lists(st.sampled_from(before), max_size=5)) if before else []:
        reports.append((on(day), baseline))
    jump_at = on(jump_day)
    reports.append((jump_at, baseline + net))
    for day in draw(st.lists(st.sampled_from([d for d in days if d > jump_day] or [jump_day]))):
        later = on(day)
        if later > jump_at:
            reports.append((later, baseline + net))
    return tz, month, reports, jump_day, net


@quick
@given(single_jumps())
def test_all_seats_arriving_on_one_day_start_that_day(
    case: tuple[str, date, Reports, date, int],
) -> None:
    tz, month, reports, jump_day, net = case
    result = pro_rata_charge(reports, tz, month)
    assert result is not None
    assert result.net == net
    assert result.effective_date == jump_day
