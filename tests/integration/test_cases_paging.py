"""C1–C4 over real HTTP: every page, the same filter on each, pages from 1, page-size caps,
and `Link` headers in any order, empty or absent."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from cwsync.simulator.testing import SimulatorServer
from tests.integration.support import ClientFactory, Wire, add_tenant, logged

ACME_FORMS = ("Acme Widgets {}", "The Acme Group {}", "Pacific ACME Ltd {}", "Northacme {} Pty")


def companies(count: int, first_id: int = 10_001, acme: int = 0) -> list[dict[str, Any]]:
    """`count` companies; `acme` of them, spread out, with "Acme" somewhere in the name."""
    spread = {7 + index * (count // acme) for index in range(acme)} if acme else set()
    rows: list[dict[str, Any]] = []
    for index in range(count):
        name = f"Company {index:04d}"
        if index in spread:
            name = ACME_FORMS[index % len(ACME_FORMS)].format(index)
        rows.append({"id": first_id + index, "identifier": f"C{index:04d}", "name": name})
    return rows


async def test_c1_every_page_repeats_the_filter(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    rows = companies(2500, acme=40)
    acme = {row["id"] for row in rows if "acme" in row["name"].lower()}
    assert len(acme) == 40  # the input of the case, not a result
    creds = add_tenant(sim, "bigco", companies=rows)

    found = [
        c.id async for c in make_client(credentials=creds, page_size=25).search_companies("Acme")
    ]

    assert sorted(found) == sorted(acme)
    pages = logged(sim, "/company/companies")
    assert [r.query_value("page") for r in pages] == ["1", "2"]
    # What makes page 2 the filtered page 2: the very same conditions, order and size.
    first = {k: v for k, v in pages[0].query if k != "page"}
    assert all({k: v for k, v in r.query if k != "page"} == first for r in pages)
    assert first["pageSize"] == "25" and "acme" in first["conditions"].lower()
    assert "orderBy" in first


async def test_c2_pages_start_at_one(sim: SimulatorServer, make_client: ClientFactory) -> None:
    rows = companies(1)
    agreements = [
        {"id": 20_001 + i, "name": f"Agreement {i}", "company": {"id": rows[0]["id"]}}
        for i in range(1500)
    ]
    creds = add_tenant(sim, "bigco", companies=rows, agreements=agreements)

    client = make_client(credentials=creds, page_size=1000)
    found = [a.id async for a in client.company_agreements(rows[0]["id"])]

    assert len(found) == 1500 and set(found) == {a["id"] for a in agreements}
    pages = logged(sim, "/finance/agreements")
    assert [(r.query_value("page"), r.query_value("pageSize")) for r in pages] == [
        ("1", "1000"),
        ("2", "1000"),
    ]


@pytest.mark.parametrize("count", [60, 250])
async def test_c3_out_of_range_page_size_is_lowered(
    sim: SimulatorServer, make_client: ClientFactory, count: int
) -> None:
    rows = companies(count)
    creds = add_tenant(sim, "oldserver", settings={"max_page_size": 100}, companies=rows)

    found = [c.id async for c in make_client(credentials=creds).search_companies()]

    assert sorted(found) == [row["id"] for row in rows]
    pages = logged(sim, "/company/companies")
    assert [(r.query_value("pageSize"), r.status) for r in pages[:2]] == [
        ("1000", 400),
        ("100", 200),
    ]
    assert pages[0].response_body["code"] == "OutOfRange"
    assert all(r.query_value("pageSize") for r in pages)  # never the server's default 25
    assert [r.query_value("page") for r in pages[1:]] == [str(n) for n in range(1, len(pages))]
    assert len(pages) - 1 == -(-count // 100)


LINK_SETTINGS: dict[str, dict[str, Any]] = {
    "shuffled": {"link_shuffle": True},
    "next_last": {"link_order": ["last", "prev", "first", "next"]},
    "absent": {"link_header": False},
}


@pytest.mark.parametrize("links", list(LINK_SETTINGS))
@pytest.mark.parametrize("count", [120, 125])
async def test_c4_link_relations_by_name_empty_or_absent(
    sim: SimulatorServer, make_client: ClientFactory, wire: Wire, links: str, count: int
) -> None:
    rows = companies(count)
    creds = add_tenant(sim, "linky", settings=LINK_SETTINGS[links], companies=rows)

    found = [c.id async for c in make_client(credentials=creds, page_size=25).search_companies()]

    assert sorted(found) == [row["id"] for row in rows]
    assert max(Counter(found).values()) == 1
    answered = [e for e in wire.exchanges if "/company/companies" in e.url.path]
    pages = [int(e.url.params["page"]) for e in answered]
    if links == "absent":
        assert all(e.link is None for e in answered)
        # Without links a full last page needs one more (empty) page to be sure it was last.
        assert pages == list(range(1, 6 if count % 25 else 7))
        return
    assert pages == [1, 2, 3, 4, 5]
    assert answered[-1].link == ""  # ConnectWise's last page: an empty Link
    middle = [e.link or "" for e in answered[:-1]]
    # The input really is awkward: `next` is not the first relation on some pages.
    assert any('rel="next"' not in link.split(",")[0] for link in middle)
