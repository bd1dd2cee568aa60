"""Exact JSON for money, and seed dates relative to the load time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cwsync.simulator.dates import resolve_seed_datetime
from cwsync.simulator.jsonio import JsonError, dumps, loads


def test_decimals_round_trip_exactly() -> None:
    text = (
        '{"unitPrice":5.2456,"unitCost":3.10005,"quantity":2.5,"n":18,'
        '"big":12345678901234567890.123456789}'
    )
    value = loads(text)
    assert value["unitCost"] == Decimal("3.10005") and isinstance(value["n"], int)
    assert dumps(value) == text


def test_strings_and_structures() -> None:
    value = {"name": 'Smith "Bob" & Sons', "path": "Back\\slash", "ü": [True, False, None]}
    assert loads(dumps(value)) == value
    assert (
        dumps(value)
        == '{"name":"Smith \\"Bob\\" & Sons","path":"Back\\\\slash","ü":[true,false,null]}'
    )


@pytest.mark.parametrize("bad", [1.5, Decimal("NaN"), object()])
def test_floats_and_strange_values_are_refused(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        dumps({"x": bad})


@pytest.mark.parametrize("text", ["{", "NaN", "[Infinity]", "\xff"])
def test_bad_json_raises_json_error(text: str) -> None:
    with pytest.raises(JsonError):
        loads(text.encode("latin-1"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@month+1", datetime(2026, 2, 1, tzinfo=UTC)),
        ("@month", datetime(2026, 1, 1, tzinfo=UTC)),
        ("@month-13", datetime(2024, 12, 1, tzinfo=UTC)),
        ("@day-3", datetime(2026, 1, 12, tzinfo=UTC)),
        ("2023-12-31T00:00:00Z", datetime(2023, 12, 31, tzinfo=UTC)),
    ],
)
def test_relative_seed_dates(text: str, expected: datetime) -> None:
    now = datetime(2026, 1, 15, 17, 30, tzinfo=UTC)
    assert resolve_seed_datetime(text, now) == expected
