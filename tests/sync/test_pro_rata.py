"""The pro-rata rule: baseline, end, net growth and the seat-weighted effective date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from cwsync.sync.pro_rata import (
    MonthGrowth,
    ProRataCharge,
    effective_date,
    month_growth,
    pro_rata_charge,
)

JAN = date(2026, 1, 1)
FEB_LEAP = date(2028, 2, 1)

Reports = list[tuple[datetime, int]]


def at(text: str, tz: str = "UTC") -> datetime:
    """An instant given as the partner's local wall time."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def charge(month: date, baseline: int, end: int, effective: date, cancelled: date) -> ProRataCharge:
    return ProRataCharge(
        month=month,
        baseline=baseline,
        end=end,
        net=end - baseline,
        effective_date=effective,
        cancelled_date=cancelled,
    )


CASES = [
    # The example partners are shown: no count before January, so baseline = 1000 (first in
    # the month); 970 from the 10th, 1020 from the 15th: 20 seats, all from 15 Jan.
    pytest.param(
        "UTC",
        JAN,
        [
            (at("2026-01-01 08:00"), 1000),
            (at("2026-01-10 08:00"), 970),
            (at("2026-01-15 08:00"), 1020),
        ],
        charge(JAN, 1000, 1020, date(2026, 1, 15), date(2026, 1, 31)),
        id="seed-example",
    ),
    pytest.param(
        "UTC",
        JAN,
        [
            (at("2025-12-31 08:00"), 1000),
            (at("2026-01-10 08:00"), 970),
            (at("2026-01-15 08:00"), 1020),
        ],
        charge(JAN, 1000, 1020, date(2026, 1, 15), date(2026, 1, 31)),
        id="seed-example-baseline-from-december",
    ),
    # Baseline 100; 102 from 5 Jan, 105 from 20 Jan; net 5.
    # Seats 1–2: 5..31 Jan = 27 days each → 54. Seats 3–5: 20..31 Jan = 12 days each → 36.
    # U = 90; 90 / 5 = 18; 31 − 18 + 1 = 14 Jan.
    pytest.param(
        "UTC",
        JAN,
        [
            (at("2025-12-20 10:00"), 100),
            (at("2026-01-05 10:00"), 102),
            (at("2026-01-20 10:00"), 105),
        ],
        charge(JAN, 100, 105, date(2026, 1, 14), date(2026, 1, 31)),
        id="growth-on-several-days",
    ),
    # Baseline 50; 60 from 3 Jan, 45 from 12 Jan (below baseline), 53 from 25 Jan; net 3.
    # The dip breaks every seat's run, so all three count from 25 Jan: U = 3 × 7 = 21; 21/3 = 7;
    # 31 − 7 + 1 = 25 Jan.
    pytest.param(
        "UTC",
        JAN,
        [
            (at("2025-12-31 23:00"), 50),
            (at("2026-01-03 09:00"), 60),
            (at("2026-01-12 09:00"), 45),
            (at("2026-01-25 09:00"), 53),
        ],
        charge(JAN, 50, 53, date(2026, 1, 25), date(2026, 1, 31)),
        id="growth-then-loss-below-baseline",
    ),
    pytest.param(
        "UTC",
        JAN,
        [(at("2025-12-31 09:00"), 10), (at("2026-01-09 09:00"), 15), (at("2026-01-20 09:00"), 10)],
        None,
        id="net-zero",
    ),
    pytest.param(
        "UTC",
        JAN,
        [(at("2025-12-31 09:00"), 10), (at("2026-01-20 09:00"), 7)],
        None,
        id="net-negative",
    ),
    pytest.param("UTC", JAN, [], None, id="never-reported"),
    pytest.param(
        "UTC", JAN, [(at("2026-02-01 00:00"), 10)], None, id="first-report-after-month-end"
    ),
    # Created on 8 Jan with 20 (baseline = first count in the month), 26 from 20 Jan:
    # 6 seats × 12 days = 72; 72/6 = 12; 31 − 12 + 1 = 20 Jan.
    pytest.param(
        "UTC",
        JAN,
        [(at("2026-01-08 09:00"), 20), (at("2026-01-20 09:00"), 26)],
        charge(JAN, 20, 26, date(2026, 1, 20), date(2026, 1, 31)),
        id="no-count-before-month",
    ),
    # Created on 8 Jan with 20 and grown to 25 the same afternoon: baseline 20 (first report),
    # 8 Jan's count is 25. Days 1–7 have no count, which breaks the run at 8 Jan:
    # 5 seats × 24 days = 120; 120/5 = 24; 31 − 24 + 1 = 8 Jan.
    pytest.param(
        "UTC",
        JAN,
        [(at("2026-01-08 17:00"), 25), (at("2026-01-08 09:00"), 20)],
        charge(JAN, 20, 25, date(2026, 1, 8), date(2026, 1, 31)),
        id="created-mid-month-grew-same-day",
    ),
    # Several reports a day, last of the day wins: 31 Dec ends at 90, 10 Jan at 95, 31 Jan at 99.
    # net 9. 31 Jan: 9 seats. 10..30 Jan (21 days): 5 seats each = 105. U = 114;
    # 114/9 = 12.67 → 13; 31 − 13 + 1 = 19 Jan.
    pytest.param(
        "UTC",
        JAN,
        [
            (at("2025-12-31 20:00"), 90),
            (at("2025-12-31 08:00"), 100),
            (at("2026-01-10 11:00"), 95),
            (at("2026-01-10 10:00"), 120),
            (at("2026-01-31 09:00"), 95),
            (at("2026-01-31 23:59:59"), 99),
        ],
        charge(JAN, 90, 99, date(2026, 1, 19), date(2026, 1, 31)),
        id="several-reports-a-day",
    ),
    # Leap February 2028 (29 days). Baseline 10; 12 from 10 Feb, 14 from 20 Feb; net 4.
    # Seats 1–2: 10..29 Feb = 20 days each → 40; seats 3–4: 20..29 Feb = 10 each → 20.
    # U = 60; 60/4 = 15; 29 − 15 + 1 = 15 Feb.
    pytest.param(
        "UTC",
        FEB_LEAP,
        [(at("2028-01-31 12:00"), 10), (at("2028-02-10 12:00"), 12), (at("2028-02-20 12:00"), 14)],
        charge(FEB_LEAP, 10, 14, date(2028, 2, 15), date(2028, 2, 29)),
        id="leap-february",
    ),
    pytest.param(
        "UTC",
        FEB_LEAP,
        [(at("2028-01-31 12:00"), 10), (at("2028-02-29 23:00"), 11)],
        charge(FEB_LEAP, 10, 11, date(2028, 2, 29), date(2028, 2, 29)),
        id="leap-day-only",
    ),
    # Baseline 10; 11 from 24 Jan (8 days), 12 from 31 Jan (1 day): U = 9, net 2, 9/2 = 4.5.
    # Half up gives 5 → 27 Jan; banker's rounding or a float round() would give 4 → 28 Jan.
    pytest.param(
        "UTC",
        JAN,
        [(at("2025-12-31 12:00"), 10), (at("2026-01-24 12:00"), 11), (at("2026-01-31 12:00"), 12)],
        charge(JAN, 10, 12, date(2026, 1, 27), date(2026, 1, 31)),
        id="round-half-up-at-point-five",
    ),
]


@pytest.mark.parametrize(("tz", "month", "reports", "expected"), CASES)
def test_pro_rata_charge(
    tz: str, month: date, reports: Reports, expected: ProRataCharge | None
) -> None:
    assert pro_rata_charge(reports, tz, month) == expected


# The same UTC reports seen from partners on either side of the date line.
HONOLULU_REPORTS: Reports = [
    (utc("2026-01-01 08:00"), 100),  # Honolulu: 31 Dec 22:00
    (utc("2026-01-15 09:00"), 110),  # Honolulu: 14 Jan 23:00
    (utc("2026-02-01 05:00"), 130),  # Honolulu: 31 Jan 19:00
]
KIRITIMATI_REPORTS: Reports = [
    (utc("2025-12-31 09:00"), 200),  # Kiritimati: 31 Dec 23:00
    (utc("2025-12-31 10:30"), 240),  # Kiritimati: 1 Jan 00:30
    (utc("2026-01-31 11:00"), 150),  # Kiritimati: 1 Feb 01:00
]


@pytest.mark.parametrize(
    ("tz", "reports", "expected"),
    [
        # Baseline 100 (31 Dec local), 110 from 14 Jan, 130 on 31 Jan; net 30.
        # 31 Jan: 30 seats; 14..30 Jan (17 days): 10 each = 170; U = 200; 200/30 = 6.67 → 7;
        # 31 − 7 + 1 = 25 Jan.
        pytest.param(
            "Pacific/Honolulu",
            HONOLULU_REPORTS,
            charge(JAN, 100, 130, date(2026, 1, 25), date(2026, 1, 31)),
            id="honolulu",
        ),
        # In UTC the first report is in January (baseline 100), 110 from 15 Jan, and the
        # 130 belongs to February: 10 seats from 15 Jan.
        pytest.param(
            "UTC",
            HONOLULU_REPORTS,
            charge(JAN, 100, 110, date(2026, 1, 15), date(2026, 1, 31)),
            id="honolulu-reports-in-utc",
        ),
        # Baseline 200 (31 Dec local), 240 all January, the drop to 150 is February's.
        pytest.param(
            "Pacific/Kiritimati",
            KIRITIMATI_REPORTS,
            charge(JAN, 200, 240, date(2026, 1, 1), date(2026, 1, 31)),
            id="kiritimati",
        ),
        # In UTC both December reports are on 31 Dec (baseline 240) and January ends at 150.
        pytest.param("UTC", KIRITIMATI_REPORTS, None, id="kiritimati-reports-in-utc"),
    ],
)
def test_month_boundary_depends_on_partner_timezone(
    tz: str, reports: Reports, expected: ProRataCharge | None
) -> None:
    assert pro_rata_charge(reports, tz, JAN) == expected


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        pytest.param(
            [(at("2025-12-31 09:00"), 10), (at("2026-01-20 09:00"), 10)],
            MonthGrowth(JAN, 10, 10),
            id="zero",
        ),
        pytest.param(
            [(at("2025-12-31 09:00"), 10), (at("2026-01-20 09:00"), 7)],
            MonthGrowth(JAN, 10, 7),
            id="negative",
        ),
        pytest.param(
            [(at("2026-01-08 09:00"), 20), (at("2026-01-20 09:00"), 26)],
            MonthGrowth(JAN, 20, 26),
            id="baseline-first-in-month",
        ),
        pytest.param([], None, id="no-count"),
    ],
)
def test_month_growth_shows_what_was_not_charged(
    reports: Reports, expected: MonthGrowth | None
) -> None:
    growth = month_growth(reports, "UTC", JAN)
    assert growth == expected
    if expected is not None:
        assert growth is not None
        assert growth.net == expected.end - expected.baseline


def test_reports_may_be_a_one_shot_iterator() -> None:
    reports = iter([(at("2025-12-31 09:00"), 1), (at("2026-01-31 09:00"), 3)])
    assert pro_rata_charge(reports, "UTC", JAN) == charge(
        JAN, 1, 3, date(2026, 1, 31), date(2026, 1, 31)
    )


@pytest.mark.parametrize(
    "month",
    [
        pytest.param(date(2026, 1, 2), id="not-first-day"),
        pytest.param(datetime(2026, 1, 1, tzinfo=UTC), id="datetime"),
    ],
)
def test_month_must_be_a_first_day(month: date) -> None:
    with pytest.raises(ValueError, match="first day of a month"):
        pro_rata_charge([], "UTC", month)


def test_effective_date_on_counts_directly() -> None:
    # Four days: none, 5, 7, 6 with baseline 5 and net 1: seat 1 (≥ 6) runs 3..4 → U = 2 → day 3.
    days = {date(2026, 4, d): c for d, c in [(27, None), (28, 5), (29, 7), (30, 6)]}
    assert effective_date(days, 5, 1) == date(2026, 4, 29)


@pytest.mark.parametrize(
    ("baseline", "net", "message"),
    [
        pytest.param(5, 0, "net must be positive", id="zero-net"),
        pytest.param(5, 2, "below baseline", id="end-below-baseline-plus-net"),
    ],
)
def test_effective_date_refuses_inconsistent_input(baseline: int, net: int, message: str) -> None:
    days = {date(2026, 4, 29): 5, date(2026, 4, 30): 6}
    with pytest.raises(ValueError, match=message):
        effective_date(days, baseline, net)
