"""The count for a day: last report on or before the end of that day, partner-local."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from cwsync.sync.daily_counts import (
    CountReport,
    count_on,
    daily_counts,
    first_count_between,
    local_counts,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


REPORTS = [
    CountReport(utc("2026-01-10 09:00"), 30),
    CountReport(utc("2026-01-10 18:00"), 32),  # later the same day: wins for 10 Jan
    CountReport(utc("2026-01-05 12:00"), 20),
    CountReport(utc("2026-01-12 23:59:59"), 40),
]


@pytest.mark.parametrize(
    ("day", "tz", "expected"),
    [
        pytest.param(date(2026, 1, 4), "UTC", None, id="before-first-report"),
        pytest.param(date(2026, 1, 5), "UTC", 20, id="day-of-first-report"),
        pytest.param(date(2026, 1, 9), "UTC", 20, id="carried-forward"),
        pytest.param(date(2026, 1, 10), "UTC", 32, id="last-of-day-wins"),
        pytest.param(date(2026, 1, 11), "UTC", 32, id="carried-after-repeat"),
        pytest.param(date(2026, 1, 12), "UTC", 40, id="last-second-of-day"),
        pytest.param(date(2030, 1, 1), "UTC", 40, id="far-future"),
        # Honolulu (UTC−10): 09:00Z on 10 Jan is 23:00 on 9 Jan; 18:00Z is 08:00 on 10 Jan.
        pytest.param(date(2026, 1, 9), "Pacific/Honolulu", 30, id="honolulu-previous-day"),
        pytest.param(date(2026, 1, 10), "Pacific/Honolulu", 32, id="honolulu-same-day"),
        pytest.param(date(2026, 1, 12), "Pacific/Honolulu", 40, id="honolulu-1359-local"),
        # Kiritimati (UTC+14): 12:00Z on 5 Jan is 02:00 on 6 Jan, so 5 Jan has no count yet.
        pytest.param(date(2026, 1, 5), "Pacific/Kiritimati", None, id="kiritimati-not-yet"),
        pytest.param(date(2026, 1, 6), "Pacific/Kiritimati", 20, id="kiritimati-next-day"),
        # 23:59:59Z on 12 Jan is 13:59:59 on 13 Jan in Kiritimati.
        pytest.param(date(2026, 1, 12), "Pacific/Kiritimati", 32, id="kiritimati-before-40"),
    ],
)
def test_count_on(day: date, tz: str, expected: int | None) -> None:
    assert count_on(REPORTS, tz, day) == expected


def test_daily_counts_fills_every_day_and_leaves_days_before_first_report_empty() -> None:
    counts = daily_counts(REPORTS, "UTC", date(2026, 1, 3), date(2026, 1, 13))
    assert counts == {
        date(2026, 1, 3): None,
        date(2026, 1, 4): None,
        date(2026, 1, 5): 20,
        date(2026, 1, 6): 20,
        date(2026, 1, 7): 20,
        date(2026, 1, 8): 20,
        date(2026, 1, 9): 20,
        date(2026, 1, 10): 32,
        date(2026, 1, 11): 32,
        date(2026, 1, 12): 40,
        date(2026, 1, 13): 40,
    }
    assert list(counts) == sorted(counts)


def test_daily_counts_agrees_with_count_on_for_each_day() -> None:
    first, last = date(2026, 1, 1), date(2026, 1, 20)
    counts = daily_counts(REPORTS, "Pacific/Kiritimati", first, last)
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        assert counts[day] == count_on(REPORTS, "Pacific/Kiritimati", day), day


def test_daily_counts_refuses_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="before first_day"):
        daily_counts(REPORTS, "UTC", date(2026, 1, 2), date(2026, 1, 1))


def test_identical_instants_last_in_input_order_wins() -> None:
    same = utc("2026-01-10 09:00")
    # The same instant written in another offset is the same report time.
    same_elsewhere = same.astimezone(timezone(timedelta(hours=-10)))
    assert count_on([(same, 5), (same_elsewhere, 7)], "UTC", date(2026, 1, 10)) == 7
    assert count_on([(same_elsewhere, 7), (same, 5)], "UTC", date(2026, 1, 10)) == 5
    assert len(local_counts([(same, 5), (same_elsewhere, 7)], "UTC")) == 1


def test_plain_tuples_are_accepted() -> None:
    assert count_on([(utc("2026-01-10 09:00"), 3)], "UTC", date(2026, 1, 10)) == 3


def test_local_counts_are_sorted_and_placed_on_local_days() -> None:
    history = local_counts(REPORTS, "Pacific/Honolulu")
    assert [(c.day, c.active_users) for c in history] == [
        (date(2026, 1, 5), 20),
        (date(2026, 1, 9), 30),
        (date(2026, 1, 10), 32),
        (date(2026, 1, 12), 40),
    ]


@pytest.mark.parametrize(
    ("first", "last", "tz", "expected"),
    [
        pytest.param(date(2026, 1, 1), date(2026, 1, 31), "UTC", 20, id="earliest-in-range"),
        pytest.param(date(2026, 1, 10), date(2026, 1, 31), "UTC", 30, id="first-of-a-day"),
        pytest.param(date(2026, 1, 11), date(2026, 1, 11), "UTC", None, id="none-in-range"),
        pytest.param(
            date(2026, 1, 10), date(2026, 1, 31), "Pacific/Honolulu", 32, id="honolulu-shift"
        ),
    ],
)
def test_first_count_between(first: date, last: date, tz: str, expected: int | None) -> None:
    assert first_count_between(REPORTS, tz, first, last) == expected


@pytest.mark.parametrize(
    ("report", "message"),
    [
        pytest.param((datetime(2026, 1, 1, 9, 0), 3), "timezone-aware", id="naive"),
        pytest.param((utc("2026-01-01 09:00"), -1), "non-negative", id="negative"),
        pytest.param((utc("2026-01-01 09:00"), True), "non-negative", id="bool"),
        pytest.param((utc("2026-01-01 09:00"), 2.0), "non-negative", id="float"),
    ],
)
def test_bad_reports_are_refused(report: tuple[datetime, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        count_on([report], "UTC", date(2026, 1, 1))
