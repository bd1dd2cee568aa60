"""Reading every page (C1–C4) and the Link header."""

from __future__ import annotations

import httpx
import pytest
import respx

from cwsync.connectwise import parse_link_header
from tests.connectwise.conftest import ClientFactory
from tests.connectwise.support import BASE, FakeCollection


def companies(n: int, named: dict[int, str] | None = None) -> list[dict[str, object]]:
    named = named or {}
    return [
        {"id": i, "identifier": f"C{i}", "name": named.get(i, f"Company {i}"), "deletedFlag": False}
        for i in range(1, n + 1)
    ]


async def test_c1_every_page_repeats_conditions(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    acme = {i: f"Acme Holdings {i}" for i in range(50, 2450, 60)}  # 40 of 2,500
    server = FakeCollection(companies(2500, acme), links="none")
    cw_mock.get(f"{BASE}/company/companies").mock(side_effect=server)

    found = [c.id async for c in make_client(page_size=25).search_companies("Acme")]

    assert len(acme) == 40
    assert found == sorted(acme)
    assert len(server.requests) == 2
    first = server.requests[0]
    for sent in server.requests:
        assert {k: sent[k] for k in ("conditions", "orderBy")} == {
            "conditions": first["conditions"],
            "orderBy": first["orderBy"],
        }
        assert sent["pageSize"] == "25"


async def test_c2_pages_start_at_one(cw_mock: respx.MockRouter, make_client: ClientFactory):
    rows = [{"id": i, "name": f"Agreement {i}", "company": {"id": 250}} for i in range(1, 1501)]
    server = FakeCollection(rows)
    cw_mock.get(f"{BASE}/finance/agreements").mock(side_effect=server)

    ids = [a.id async for a in make_client().company_agreements(250)]

    assert [r["page"] for r in server.requests] == ["1", "2"]
    assert len(ids) == 1500 and len(set(ids)) == 1500
    assert server.requests[0]["conditions"] == "company/id = 250"


async def test_c3_page_size_always_sent(cw_mock: respx.MockRouter, make_client: ClientFactory):
    server = FakeCollection(companies(60), links="none")
    cw_mock.get(f"{BASE}/company/companies").mock(side_effect=server)

    found = [c.id async for c in make_client().search_companies(None)]

    assert len(found) == 60  # the server's default of 25 would have cut it
    assert server.requests[0]["pageSize"] == "1000"


async def test_c3_out_of_range_lowers_page_size(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    server = FakeCollection(companies(260), max_page_size=100)
    cw_mock.get(f"{BASE}/company/companies").mock(side_effect=server)

    found = [c.id async for c in make_client().search_companies(None)]

    assert found == list(range(1, 261))
    assert [(r["page"], r["pageSize"]) for r in server.requests] == [
        ("1", "1000"),
        ("1", "100"),
        ("2", "100"),
        ("3", "100"),
    ]


@pytest.mark.parametrize("links", ["ordered", "shuffled", "none"])
async def test_c4_link_relations_in_any_order(
    cw_mock: respx.MockRouter, make_client: ClientFactory, links: str
):
    server = FakeCollection(companies(120), links=links)
    cw_mock.get(f"{BASE}/company/companies").mock(side_effect=server)

    found = [c.id async for c in make_client(page_size=25).search_companies(None)]

    assert found == list(range(1, 121))
    assert [r["page"] for r in server.requests] == ["1", "2", "3", "4", "5"]


async def test_c4_full_last_page_without_link_asks_once_more(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    server = FakeCollection(companies(50), links="none")
    cw_mock.get(f"{BASE}/company/companies").mock(side_effect=server)

    found = [c.id async for c in make_client(page_size=25).search_companies(None)]

    assert found == list(range(1, 51))
    assert [r["page"] for r in server.requests] == ["1", "2", "3"]


async def test_c4_link_without_next_stops(cw_mock: respx.MockRouter, make_client: ClientFactory):
    page = [{"id": i} for i in range(1, 26)]
    route = cw_mock.get(f"{BASE}/company/companies").respond(
        json=page, headers={"Link": f'<{BASE}/company/companies?page=1>; rel="first"'}
    )

    found = [c.id async for c in make_client(page_size=25).search_companies(None)]

    assert found == list(range(1, 26))
    assert route.call_count == 1


async def test_c4_next_link_gives_page_number_only(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    # The link points elsewhere and forgets the filter: we keep our host and our params.
    server = FakeCollection(
        companies(30, {i: f"Acme {i}" for i in range(1, 31)}),
        link_base="https://evil.example.test/steal",
    )
    cw_mock.get(f"{BASE}/company/companies").mock(side_effect=server)

    found = [c.id async for c in make_client(page_size=25).search_companies("Acme")]

    assert found == list(range(1, 31))
    assert all("conditions" in r for r in server.requests)
    assert len(server.requests) == 2


async def test_c7_client_id_on_next_links(cw_mock: respx.MockRouter, make_client: ClientFactory):
    route = cw_mock.get(f"{BASE}/company/companies").mock(
        side_effect=FakeCollection(companies(60), links="shuffled")
    )

    _ = [c async for c in make_client(page_size=25).search_companies(None)]

    assert route.call_count == 3
    assert all(call.request.headers.get("clientId") for call in route.calls)


async def test_not_a_list_is_an_error(cw_mock: respx.MockRouter, make_client: ClientFactory):
    from cwsync.connectwise import ConnectWiseError

    cw_mock.get(f"{BASE}/company/companies").mock(return_value=httpx.Response(200, json={"id": 1}))
    with pytest.raises(ConnectWiseError, match="list"):
        _ = [c async for c in make_client().search_companies(None)]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", {}),
        (
            '<https://h/x?page=5>; rel="last", <https://h/x?page=1>; rel="first", '
            '<https://h/x?page=3>; rel="next"',
            {
                "last": "https://h/x?page=5",
                "first": "https://h/x?page=1",
                "next": "https://h/x?page=3",
            },
        ),
        ("<https://h/x?a=1,2&page=2>;rel=next", {"next": "https://h/x?a=1,2&page=2"}),
        (
            '<https://h/x?page=2>; title="a, b"; REL="Next Last"',
            {"next": "https://h/x?page=2", "last": "https://h/x?page=2"},
        ),
    ],
)
def test_parse_link_header(header: str, expected: dict[str, str]):
    assert parse_link_header(header) == expected
