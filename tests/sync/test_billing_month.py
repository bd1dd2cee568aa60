"""Which month is due for pro rata, partner-local days, and ConnectWise date strings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from cwsync.sync.billing_month import (
    as_zone,
    cw_date,
    due_billing_month,
    last_day_of_month,
    local_date,
    month_start,
    next_month,
    previous_month,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "tz", "already_charged", "expected"),
    [
        pytest.param(utc("2026-02-01 02:00"), "UTC", (), date(2026, 1, 1), id="first-run-on-1st"),
        pytest.param(
            utc("2026-02-03 02:00"), "UTC", (), date(2026, 1, 1), id="down-over-boundary-3rd"
        ),
        pytest.param(
            utc("2026-02-28 23:59"), "UTC", (), date(2026, 1, 1), id="last-day-still-due-if-unpaid"
        ),
        pytest.param(
            utc("2026-02-02 02:00"), "UTC", [date(2026, 1, 1)], None, id="already-charged"
        ),
        pytest.param(
            utc("2026-02-02 02:00"),
            "UTC",
            [date(2025, 12, 1)],
            date(2026, 1, 1),
            id="older-month-charged-only",
        ),
        pytest.param(
            utc("2026-02-02 02:00"),
            "UTC",
            [date(2026, 1, 17)],
            None,
            id="charged-given-as-any-day-of-month",
        ),
        pytest.param(utc("2026-01-01 00:00"), "UTC", (), date(2025, 12, 1), id="year-boundary"),
        # 05:00Z on 1 Feb is 19:00 on 31 Jan in Honolulu (UTC−10): January is still running.
        pytest.param(
            utc("2026-02-01 05:00"),
            "Pacific/Honolulu",
            [date(2025, 12, 1)],
            None,
            id="honolulu-utc-1st-local-31st",
        ),
        pytest.param(
            utc("2026-02-01 05:00"),
            "Pacific/Honolulu",
            (),
            date(2025, 12, 1),
            id="honolulu-utc-1st-local-31st-december-due",
        ),
        pytest.param(
            utc("2026-02-01 10:00"),
            "Pacific/Honolulu",
            [date(2025, 12, 1)],
            date(2026, 1, 1),
            id="honolulu-local-midnight",
        ),
        # 11:00Z on 31 Jan is 01:00 on 1 Feb in Kiritimati (UTC+14): January has ended there.
        pytest.param(
            utc("2026-01-31 11:00"),
            "Pacific/Kiritimati",
            [date(2025, 12, 1)],
            date(2026, 1, 1),
            id="kiritimati-utc-31st-local-1st",
        ),
    ],
)
def test_due_billing_month(
    now: datetime, tz: str, already_charged: list[date], expected: date | None
) -> None:
    assert due_billing_month(now, tz, already_charged) == expected


def test_due_billing_month_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_billing_month(datetime(2026, 2, 1, 2, 0), "UTC")


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        pytest.param(utc("2026-03-01 09:59"), "Pacific/Honolulu", date(2026, 2, 28), id="hnl"),
        pytest.param(utc("2026-03-01 10:00"), "Pacific/Honolulu", date(2026, 3, 1), id="hnl-0h"),
        pytest.param(utc("2026-02-28 09:59"), "Pacific/Kiritimati", date(2026, 2, 28), id="kir"),
        pytest.param(utc("2026-02-28 10:00"), "Pacific/Kiritimati", date(2026, 3, 1), id="kir-0h"),
        pytest.param(utc("2026-03-01 00:00"), ZoneInfo("UTC"), date(2026, 3, 1), id="zoneinfo"),
        pytest.param(
            datetime.fromisoformat("2026-03-01T08:00:00+09:00"),
            "Europe/London",
            date(2026, 2, 28),
            id="non-utc-input",
        ),
    ],
)
def test_local_date(now: datetime, tz: str | ZoneInfo, expected: date) -> None:
    assert local_date(now, tz) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 1, 31), "2026-01-31T00:00:00Z", id="month-end"),
        pytest.param(date(2028, 2, 29), "2028-02-29T00:00:00Z", id="leap-day"),
        pytest.param(date(987, 3, 4), "0987-03-04T00:00:00Z", id="zero-padded"),
    ],
)
def test_cw_date(day: date, expected: str) -> None:
    assert cw_date(day) == expected


def test_cw_date_refuses_a_datetime() -> None:
    with pytest.raises(TypeError, match="not a datetime"):
        cw_date(datetime(2026, 1, 31, 23, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("day", "start", "following", "preceding", "last"),
    [
        pytest.param(
            date(2026, 1, 15),
            date(2026, 1, 1),
            date(2026, 2, 1),
            date(2025, 12, 1),
            date(2026, 1, 31),
            id="january",
        ),
        pytest.param(
            date(2028, 2, 10),
            date(2028, 2, 1),
            date(2028, 3, 1),
            date(2028, 1, 1),
            date(2028, 2, 29),
            id="leap-february",
        ),
        pytest.param(
            date(2100, 2, 28),
            date(2100, 2, 1),
            date(2100, 3, 1),
            date(2100, 1, 1),
            date(2100, 2, 28),
            id="century-not-leap",
        ),
        pytest.param(
            date(2025, 12, 31),
            date(2025, 12, 1),
            date(2026, 1, 1),
            date(2025, 11, 1),
            date(2025, 12, 31),
            id="december",
        ),
        pytest.param(
            date(2026, 4, 30),
            date(2026, 4, 1),
            date(2026, 5, 1),
            date(2026, 3, 1),
            date(2026, 4, 30),
            id="thirty-days",
        ),
    ],
)
def test_month_arithmetic(
    day: date, start: date, following: date, preceding: date, last: date
) -> None:
    assert month_start(day) == start
    assert next_month(day) == following
    assert previous_month(day) == preceding
    assert last_day_of_month(day) == last


def test_as_zone_accepts_names_and_zoneinfo() -> None:
    zone = ZoneInfo("Pacific/Honolulu")
    assert as_zone(zone) is zone
    assert as_zone("Pacific/Honolulu") == zone
