"""Paging, Link, orderBy, fields and count (CASES.md C1–C4)."""

from __future__ import annotations

import re

import httpx
import pytest

from cwsync.simulator.testing import SimulatorAdmin, SimulatorServer

LINK = re.compile(r'<([^>]*)>;\s*rel="([^"]+)"')


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


def add_companies(admin: SimulatorAdmin, count: int, name: str = "Bulk Co") -> list[int]:
    companies = [
        {"identifier": f"bulk{i}", "name": f"{name} {i:04d}", "deletedFlag": False}
        for i in range(count)
    ]
    ids: list[int] = admin.bulk("northwind", companies=companies)["companies"]
    return ids


def test_default_page_size_is_25(cw: httpx.Client, admin: SimulatorAdmin) -> None:
    add_companies(admin, 60)
    page = cw.get("/company/companies")
    assert len(page.json()) == 25
    assert cw.get("/company/companies/count").json() == {"count": 73}


def test_following_next_repeats_conditions_and_yields_exactly_the_matches(
    cw: httpx.Client, admin: SimulatorAdmin
) -> None:
    add_companies(admin, 200, name="Plain")
    add_companies(admin, 40, name="Big Acme Holdings")
    params = {"conditions": 'name contains "Acme" and deletedFlag = False', "pageSize": "7"}
    response = cw.get("/company/companies", params=params)
    seen = [c["id"] for c in response.json()]
    pages = 1
    while "next" in links(response):
        response = cw.get(links(response)["next"])
        seen += [c["id"] for c in response.json()]
        pages += 1
    assert pages == 6  # 41 matches (40 + the seed's live Acme Widgets) in pages of 7
    assert len(seen) == len(set(seen)) == 41
    assert response.headers["link"] == ""  # the last page carries an empty Link


def test_link_relations_by_page(cw: httpx.Client, admin: SimulatorAdmin) -> None:
    add_companies(admin, 37)  # 50 in all: 5 pages of 10
    first = cw.get("/company/companies", params={"pageSize": "10"})
    assert list(links(first)) == ["next", "last"]
    assert "page=2" in links(first)["next"] and "page=5" in links(first)["last"]
    middle = cw.get("/company/companies", params={"pageSize": "10", "page": "3"})
    assert list(links(middle)) == ["first", "prev", "next", "last"]
    assert "page=2" in links(middle)["prev"] and "page=4" in links(middle)["next"]
    assert "pageSize=10" in links(middle)["next"]


def test_link_order_shuffled_and_omitted(
    sim: SimulatorServer, cw: httpx.Client, admin: SimulatorAdmin
) -> None:
    add_companies(admin, 37)
    admin.patch_tenant("northwind", settings={"link_shuffle": True})
    orders = {
        tuple(links(cw.get("/company/companies", params={"pageSize": "10", "page": "3"})))
        for _ in range(12)
    }
    assert len(orders) > 1
    assert all(set(order) == {"first", "prev", "next", "last"} for order in orders)
    admin.patch_tenant("northwind", settings={"link_header": False})
    assert "link" not in cw.get("/company/companies", params={"pageSize": "10"}).headers


def test_page_zero_repeats_page_one(cw: httpx.Client) -> None:
    page0 = cw.get("/company/companies", params={"page": "0", "pageSize": "5"}).json()
    page1 = cw.get("/company/companies", params={"page": "1", "pageSize": "5"}).json()
    assert [c["id"] for c in page0] == [c["id"] for c in page1]


def test_page_size_is_capped_at_1000(cw: httpx.Client, admin: SimulatorAdmin) -> None:
    add_companies(admin, 1100)
    assert len(cw.get("/company/companies", params={"pageSize": "5000"}).json()) == 1000


def test_older_server_answers_out_of_range(cw: httpx.Client, admin: SimulatorAdmin) -> None:
    admin.patch_tenant("northwind", settings={"max_page_size": 100})
    refused = cw.get("/company/companies", params={"pageSize": "1000"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "OutOfRange"
    assert cw.get("/company/companies", params={"pageSize": "100"}).status_code == 200


def test_order_by_and_fields(cw: httpx.Client) -> None:
    response = cw.get(
        "/company/companies",
        params={"orderBy": "name desc, id desc", "fields": "id,name", "pageSize": "3"},
    )
    assert response.json() == [
        {"id": 257, "name": "Zürich Ünïcode GmbH"},
        {"id": 262, "name": "Unit #7 Holdings"},
        {"id": 260, "name": "Smith & Sons"},
    ]
    nested = cw.get("/finance/agreements", params={"fields": "id,company/id", "pageSize": "1"})
    assert nested.json() == [{"id": 1578, "company": {"id": 250}}]


def test_count_honours_conditions(cw: httpx.Client) -> None:
    count = cw.get("/company/companies/count", params={"conditions": 'name = "Acme Widgets"'})
    assert count.json() == {"count": 2}
    live = cw.get(
        "/company/companies/count",
        params={"conditions": 'name = "Acme Widgets" and deletedFlag = False'},
    )
    assert live.json() == {"count": 1}
    additions = cw.get(
        "/finance/agreements/1578/additions/count", params={"conditions": "product/id = 812"}
    )
    assert additions.json() == {"count": 3}


@pytest.mark.parametrize(
    "params",
    [
        {"conditions": 'name = "unterminated'},
        {"conditions": 'nosuchfield = "x"'},
        {"orderBy": "name sideways"},
        {"orderBy": "nosuchfield"},
        {"page": "two"},
    ],
)
def test_malformed_list_parameters_are_400(cw: httpx.Client, params: dict[str, str]) -> None:
    response = cw.get("/company/companies", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"


def test_parameter_names_are_case_insensitive(cw: httpx.Client) -> None:
    response = cw.get("/company/companies", params={"pagesize": "3", "ORDERBY": "id desc"})
    assert [c["id"] for c in response.json()] == [262, 261, 260]
