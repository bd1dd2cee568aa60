"""Conditions syntax and awkward values in searches (C11, C12, C16)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import respx

from cwsync.connectwise import Condition, Field, all_of, literal, safe_search_term
from tests.connectwise.conftest import ClientFactory
from tests.connectwise.support import BASE, FakeCollection


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Acme", '"Acme"'),
        ('Smith "Bob"', r'"Smith \"Bob\""'),
        ("Back\\slash", r'"Back\\slash"'),
        ("O'Neil's Café", "\"O'Neil's Café\""),
        (250, "250"),
        (Decimal("5.2456"), "5.2456"),
        (True, "True"),
        (False, "False"),
        (None, "null"),
        (date(2024, 1, 15), "[2024-01-15T00:00:00Z]"),
        (datetime(2024, 1, 15, 10, 30, tzinfo=UTC), "[2024-01-15T10:30:00Z]"),
    ],
)
def test_literal(value: object, expected: str):
    assert literal(value) == expected  # type: ignore[arg-type]


def test_combinations():
    deleted = Field("deletedFlag").eq(False)
    names = Field("name").contains("Acme") | Field("identifier").contains("Acme")
    assert str(deleted & names) == (
        '(deletedFlag = False) and ((name contains "Acme") or (identifier contains "Acme"))'
    )
    assert str(Field("company/id").in_([1, 2, 3])) == "company/id in (1, 2, 3)"
    assert str(Field("startDate").le(date(2024, 1, 1))) == "startDate <= [2024-01-01T00:00:00Z]"
    assert all_of(None, None) is None
    assert str(all_of(None, Condition("a = 1"))) == "a = 1"


@pytest.mark.parametrize("name", ["name) or (1 = 1", 'name"', "", "a b", "a.b"])
def test_field_names_cannot_inject(name: str):
    with pytest.raises(ValueError, match="field"):
        Field(name)


@pytest.mark.parametrize(
    ("term", "piece", "recheck"),
    [
        ("Acme", "Acme", False),
        ('Smith "Bob" & Sons', " & Sons", True),
        ("50% Off Ltd", " Off Ltd", True),
        ("Back\\slash Pty", "slash Pty", True),
        ("O'Neil's Café", "O'Neil's Café", False),
        ("x" * 150, "x" * 100, True),
    ],
)
def test_safe_search_term(term: str, piece: str, recheck: bool):
    assert safe_search_term(term) == (piece, recheck)


AWKWARD = [
    "Smith & Sons",
    "jo+billing@example.test",
    'Smith "Bob" & Sons',
    "O'Neil's Café",
    "50% Off Ltd",
    "Back\\slash Pty",
    "  Padded  ",
    "Zürich Ünïcode GmbH",
]
DECOYS = [
    "Smith and Sons",
    "jo billing@example.test",
    "Smith Bob Sons",
    "50X Off Ltd",
    "Backslash Pty",
    "Padded Inc",
    "Zurich Unicode GmbH",
    "O Neil Cafe",
]


@pytest.mark.parametrize("name", AWKWARD)
async def test_c11_c12_awkward_names_found(
    cw_mock: respx.MockRouter, make_client: ClientFactory, name: str
):
    rows = [
        {"id": i, "identifier": f"C{i}", "name": n, "deletedFlag": False}
        for i, n in enumerate(AWKWARD + DECOYS, start=1)
    ]
    server = FakeCollection(rows)
    cw_mock.get(f"{BASE}/company/companies").mock(side_effect=server)

    found = [c.name async for c in make_client().search_companies(name)]

    # A search is "contains" on the trimmed term; wildcards and quotes must not widen it.
    needle = name.strip().casefold()
    assert name in found
    assert found == [n for n in AWKWARD + DECOYS if needle in n.casefold()]
    # Each parameter encoded on its own: the server saw the characters, not cut queries.
    sent = server.requests[0]
    assert set(sent) == {"conditions", "orderBy", "page", "pageSize"}


async def test_c11_plus_and_ampersand_are_percent_encoded(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    route = cw_mock.get(f"{BASE}/company/companies").respond(json=[])

    _ = [c async for c in make_client().search_companies("jo+billing & co")]

    raw = route.calls.last.request.url.query.decode()
    assert "%2B" in raw and "%26" in raw
    assert "+billing" not in raw and "& co" not in raw
    assert route.calls.last.request.url.params["conditions"] == (
        '(deletedFlag = False) and ((name contains "jo+billing & co") '
        'or (identifier contains "jo+billing & co"))'
    )


async def test_c16_deleted_companies_left_out(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    rows = [
        {"id": 11, "name": "Acme Widgets", "deletedFlag": False},
        {"id": 12, "name": "Acme Widgets", "deletedFlag": True},
        {"id": 13, "name": "Acme Widgets", "deletedFlag": False},
    ]
    cw_mock.get(f"{BASE}/company/companies").mock(side_effect=FakeCollection(rows))

    found = [c.id async for c in make_client().search_companies("Acme Widgets")]

    assert found == [11, 13]  # same name twice: both kept, told apart by id


async def test_c16_deleted_left_out_even_if_server_ignores_the_condition(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    cw_mock.get(f"{BASE}/company/companies").respond(
        json=[{"id": 1, "deletedFlag": True}, {"id": 2, "deletedFlag": False}, {"id": 3}]
    )

    assert [c.id async for c in make_client().search_companies(None)] == [2, 3]


async def test_catalog_search_by_identifier_or_description(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    rows = [
        {"id": 1, "identifier": "INFIMA-SAT", "description": "Security training"},
        {"id": 2, "identifier": "HW-1", "description": "Infima box"},
        {"id": 3, "identifier": "HW-2", "description": "Router"},
    ]
    cw_mock.get(f"{BASE}/procurement/catalog").mock(side_effect=FakeCollection(rows))

    found = [item.id async for item in make_client().search_catalog("infima")]

    assert found == [1, 2]


async def test_long_search_term_keeps_url_short(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    long_name = "Acme " + "very long name " * 300
    rows = [{"id": 1, "name": long_name}, {"id": 2, "name": "Acme " + "very long name " * 5}]
    route = cw_mock.get(f"{BASE}/company/companies").mock(side_effect=FakeCollection(rows))

    found = [c.id async for c in make_client().search_companies(long_name)]

    assert found == [1]  # the server saw a shorter piece; the full term decided locally
    assert len(str(route.calls.last.request.url)) < 2000
