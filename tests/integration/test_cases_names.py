"""C11, C12, C16 over real HTTP: awkward names are found exactly, never a 400, deleted
companies left out, and same-named companies told apart by id."""

from __future__ import annotations

import pytest

from cwsync.mappings.checks import MappingRefused, check_company
from cwsync.simulator.testing import SimulatorServer
from tests.integration.support import ClientFactory, Wire, add_records, logged


def no_refusals(sim: SimulatorServer) -> None:
    assert [r.status for r in sim.state.requests if r.status != 200] == []


@pytest.mark.parametrize(
    ("term", "expected_name"),
    [
        ("Smith & Sons", "Smith & Sons"),
        ("jo+billing", "Jo+Billing Partners"),  # matched on its identifier, `jo+billing`
        ("jo+billing@example.test", "jo+billing@example.test"),
    ],
)
async def test_c11_plus_and_ampersand_reach_the_server_whole(
    sim: SimulatorServer, make_client: ClientFactory, wire: Wire, term: str, expected_name: str
) -> None:
    if "@" in term:  # the demo seed has no contacts: the address as a company name
        add_records(sim, companies=[{"identifier": "JoBillingContact", "name": term}])

    found = [c async for c in make_client().search_companies(term)]

    assert [c.name for c in found] == [expected_name]
    no_refusals(sim)
    (request,) = logged(sim, "/company/companies")
    assert term in request.query_value("conditions")  # the server saw the whole value
    raw = wire.exchanges[-1].url.raw_path.decode("ascii").split("?", 1)[1]
    special = {"&": "%26", "+": "%2B"}
    for char in set(term) & set(special):
        assert special[char] in raw  # encoded on its own, not left for the URL to cut
    assert raw.count("&") == len(request.query) - 1  # `&` only between parameters


# Each term beside a look-alike that a careless match would also take (a LIKE wildcard, a
# dropped quote or backslash, accents folded). For `"`, `%` and `\` the client sends only a
# safe piece of the term, which the look-alike matches too: the exact match is cwsync's.
AWKWARD = [
    ('Smith "Bob" & Sons', 252, "Smith Bob & Sons"),
    ("O'Neil's Café", 253, "O Neil's Café"),
    ("50% Off Ltd", 254, "50 Percent Off Ltd"),
    ("Back\\slash Pty", 255, "Backslash Pty"),
    ("  Padded  ", 256, None),
    ("Zürich Ünïcode GmbH", 257, "Zurich Unicode GmbH"),
    ("Unit #7 Holdings", 262, "Unit 7 Holdings"),
]


@pytest.mark.parametrize(("term", "company_id", "look_alike"), AWKWARD)
async def test_c12_awkward_names_found_exactly_once(
    sim: SimulatorServer,
    make_client: ClientFactory,
    term: str,
    company_id: int,
    look_alike: str | None,
) -> None:
    if look_alike is not None:
        add_records(sim, companies=[{"identifier": "LookAlike", "name": look_alike}])

    found = [c async for c in make_client().search_companies(term)]

    assert [(c.id, c.name) for c in found] == [(company_id, term)]
    no_refusals(sim)


async def test_c16_deleted_left_out_and_namesakes_told_apart_by_id(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    client = make_client()
    assert [c.id async for c in client.search_companies("Acme Widgets")] == [258]  # 259 deleted
    # Left out by the server, so pages and counts hold live companies only; the client also
    # drops deleted rows itself, for a server that ignores the condition, which the simulator
    # never does: respx covers that in tests/connectwise/test_conditions.py
    # (test_c16_deleted_left_out_even_if_server_ignores_the_condition).
    (search,) = logged(sim, "/company/companies")
    assert "deletedFlag = False" in search.query_value("conditions")

    (namesake,) = add_records(sim, companies=[{"identifier": "AcmeTwo", "name": "Acme Widgets"}])[
        "companies"
    ]
    found = [c async for c in client.search_companies("Acme Widgets")]

    assert sorted(c.id for c in found) == [258, namesake]
    assert {c.name for c in found} == {"Acme Widgets"}
    # Everything after the pick goes by id: each id reads its own company and agreements.
    for company_id in (258, namesake):
        assert (await client.get_company(company_id)).id == company_id
    assert [a.id async for a in client.company_agreements(258)] == [1582]
    assert [a.id async for a in client.company_agreements(namesake)] == []
    deleted = await client.get_company(259)
    assert deleted.deleted_flag is True and deleted.name == "Acme Widgets"
    with pytest.raises(MappingRefused) as refused:
        check_company(deleted, 259)  # the mapping rule refuses the deleted one, by id
    assert refused.value.code == "company_not_found"
