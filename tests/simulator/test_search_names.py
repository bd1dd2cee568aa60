"""Awkward names are found exactly, never a 400 (CASES.md C11, C12, C16)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.simulator.conftest import exact_json

AWKWARD = {
    252: 'Smith "Bob" & Sons',
    253: "O'Neil's Café",
    254: "50% Off Ltd",
    255: "Back\\slash Pty",
    256: "  Padded  ",
    257: "Zürich Ünïcode GmbH",
    260: "Smith & Sons",
    261: "Jo+Billing Partners",
    262: "Unit #7 Holdings",
}


def quoted(value: str) -> str:
    """A conditions string literal: backslash and double quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize(("company_id", "name"), sorted(AWKWARD.items()))
def test_exact_name_finds_exactly_one(cw: httpx.Client, company_id: int, name: str) -> None:
    response = cw.get("/company/companies", params={"conditions": f"name = {quoted(name)}"})
    assert response.status_code == 200
    assert [(c["id"], c["name"]) for c in response.json()] == [(company_id, name)]


@pytest.mark.parametrize(("company_id", "name"), sorted(AWKWARD.items()))
def test_contains_finds_the_awkward_part(cw: httpx.Client, company_id: int, name: str) -> None:
    fragment = name.strip()[:9]
    response = cw.get(
        "/company/companies", params={"conditions": f"name contains {quoted(fragment)}"}
    )
    assert response.status_code == 200
    assert company_id in [c["id"] for c in response.json()]


def test_plus_and_ampersand_survive_when_each_value_is_encoded(cw: httpx.Client) -> None:
    # httpx encodes each parameter value on its own, so '+' and '&' reach the server intact.
    response = cw.get("/company/companies", params={"conditions": 'identifier = "jo+billing"'})
    assert [c["id"] for c in response.json()] == [261]
    response = cw.get("/company/companies", params={"conditions": 'name = "Smith & Sons"'})
    assert [c["id"] for c in response.json()] == [260]


def test_a_raw_plus_in_the_url_is_a_space_and_misses(cw: httpx.Client) -> None:
    # What a whole-URL encoder gets wrong: '+' arrives as a space, so nothing matches.
    response = cw.get('/company/companies?conditions=identifier%20=%20"jo+billing"')
    assert response.json() == []


def test_like_percent_is_a_wildcard_and_contains_is_literal(cw: httpx.Client) -> None:
    like = cw.get("/company/companies", params={"conditions": 'name like "50%"'})
    assert [c["id"] for c in like.json()] == [254]
    contains = cw.get("/company/companies", params={"conditions": 'name contains "0% O"'})
    assert [c["id"] for c in contains.json()] == [254]


def test_deleted_companies_are_left_out_by_deleted_flag(cw: httpx.Client) -> None:
    both = cw.get("/company/companies", params={"conditions": 'name = "Acme Widgets"'}).json()
    assert sorted((c["id"], c["deletedFlag"]) for c in both) == [(258, False), (259, True)]
    live = cw.get(
        "/company/companies",
        params={"conditions": 'name = "Acme Widgets" and deletedFlag = False'},
    ).json()
    assert [c["id"] for c in live] == [258]


def test_catalog_search_by_identifier_and_description(cw: httpx.Client) -> None:
    by_identifier = cw.get(
        "/procurement/catalog", params={"conditions": 'identifier like "INFIMA%"'}
    )
    assert [i["identifier"] for i in by_identifier.json()] == ["INFIMA-SAT", "INFIMA-PHISH"]
    by_description = cw.get(
        "/procurement/catalog",
        params={"conditions": 'description contains "awareness" and inactiveFlag = False'},
    )
    [item] = exact_json(by_description)
    assert (item["id"], item["price"], item["cost"]) == (812, Decimal("5.2456"), Decimal("3.10005"))
