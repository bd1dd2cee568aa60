"""Catalog, company, agreement and addition look-ups, proxied to the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from cwsync.app import create_app
from cwsync.config import Settings
from cwsync.connectwise import Addition
from cwsync.lookups.service import addition_state
from cwsync.simulator import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.conftest import ADMIN_TOKEN
from tests.support.servers import serve_in_thread
from tests.support.simulated import TENANT, ConnectedPartner, connect_partner, sqlite_only

# The demo seed's companies that are not deleted (259 is the deleted "Acme Widgets").
LIVE_COMPANIES = [250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262]


async def get(partner: ConnectedPartner, path: str, **params: object) -> httpx.Response:
    return await partner.client.get(partner.url(f"/connectwise{path}"), params=params)


async def test_catalog_search_by_identifier_or_description(
    connected_partner: ConnectedPartner,
) -> None:
    response = await get(connected_partner, "/catalog", search="infima")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    assert body["items"] == [
        {
            "id": 812,
            "identifier": "INFIMA-SAT",
            "description": "INFIMA Security Awareness Training",
            "inactive": False,
            "product_class": "NonInventory",
            "price": "5.2456",
            "cost": "3.10005",
            "pickable": True,
        },
        {
            "id": 813,
            "identifier": "INFIMA-PHISH",
            "description": "INFIMA Phishing Simulation",
            "inactive": False,
            "product_class": "NonInventory",
            "price": "1.50",
            "cost": "0.75",
            "pickable": True,
        },
    ]
    by_description = await get(connected_partner, "/catalog", search="Business Premium")
    assert [i["id"] for i in by_description.json()["items"]] == [814]


async def test_catalog_marks_what_cannot_be_picked(connected_partner: ConnectedPartner) -> None:
    body = (await get(connected_partner, "/catalog")).json()
    assert body["total"] == 5
    pickable = {item["id"]: item["pickable"] for item in body["items"]}
    assert pickable == {812: True, 813: True, 814: True, 815: False, 816: False}

    # A window in the middle: the rest of the list is still counted for the total.
    window = (await get(connected_partner, "/catalog", limit=2, offset=1)).json()
    assert ([i["id"] for i in window["items"]], window["total"]) == ([813, 814], 5)


@sqlite_only
@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("Smith & Sons", [260]),  # C11: & inside a value
        ("jo+billing", [261]),  # C11: + inside a value
        ('Smith "Bob" & Sons', [252]),  # C12: quotes
        ("O'Neil's Café", [253]),  # C12: apostrophes, non-ASCII
        ("50% Off", [254]),  # C12: percent
        ("Back\\slash", [255]),  # C12: backslash
        ("Padded", [256]),  # C12: padding spaces in the name
        ("Zürich Ünïcode", [257]),
        ("Unit #7", [262]),
        ("Acme Widgets", [258]),  # C16: the deleted namesake (259) is left out
        ("no such company", []),
    ],
)
async def test_company_search_finds_awkward_names(
    connected_partner: ConnectedPartner, search: str, expected: list[int]
) -> None:
    response = await get(connected_partner, "/companies", search=search)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["id"] for c in body["items"]] == expected
    assert body["total"] == len(expected)


async def test_company_paging_and_total(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    everything = (await get(connected_partner, "/companies")).json()
    assert [c["id"] for c in everything["items"]] == LIVE_COMPANIES
    assert everything["total"] == len(LIVE_COMPANIES)
    first = everything["items"][0]
    assert first == {"id": 250, "identifier": "Contoso", "name": "Contoso Ltd", "status": "Active"}

    simulator.state.clear_logs()
    window = (await get(connected_partner, "/companies", limit=3, offset=4)).json()
    assert [c["id"] for c in window["items"]] == LIVE_COMPANIES[4:7]
    assert window["total"] == len(LIVE_COMPANIES)
    # One page of rows, then ConnectWise's count for the total.
    paths = [r.path.split("/apis/3.0")[-1] for r in simulator.state.requests]
    assert paths == ["/company/companies", "/company/companies/count"]

    past_the_end = (await get(connected_partner, "/companies", offset=50)).json()
    assert past_the_end == {"items": [], "total": len(LIVE_COMPANIES)}


@sqlite_only
@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"search": "x" * 101}, {"search": "a\x00b"}],
)
async def test_bad_paging_or_search_is_422(
    connected_partner: ConnectedPartner, params: dict[str, object]
) -> None:
    response = await get(connected_partner, "/companies", **params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_company_agreements_with_status_and_prorate(
    connected_partner: ConnectedPartner,
) -> None:
    response = await get(connected_partner, "/companies/250/agreements")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    managed, backup = body["items"]
    assert managed["id"] == 1578
    assert managed["name"] == "Contoso Managed Services"
    assert (managed["status"], managed["cancelled"]) == ("Active", False)
    assert managed["prorate"] is True
    assert managed["type"] == "Managed Services"
    assert managed["billing_cycle"] == "Monthly"
    assert managed["start_date"] == "2024-01-01"
    assert (backup["id"], backup["status"]) == (1584, "Expired")

    cancelled = (await get(connected_partner, "/companies/253/agreements")).json()["items"]
    assert [(a["id"], a["status"], a["cancelled"]) for a in cancelled] == [
        (1581, "Cancelled", True)
    ]


@sqlite_only
@pytest.mark.parametrize("company", [999, 259])  # unknown, and deleted
async def test_unknown_or_deleted_company_is_404(
    connected_partner: ConnectedPartner, company: int
) -> None:
    response = await get(connected_partner, f"/companies/{company}/agreements")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "company_not_found"


@sqlite_only
@pytest.mark.parametrize("path", ["/companies/0/agreements", "/agreements/abc/additions"])
async def test_bad_ids_are_422(connected_partner: ConnectedPartner, path: str) -> None:
    response = await get(connected_partner, path)
    assert response.status_code == 422


async def test_additions_put_the_picked_product_first_and_mark_states(
    connected_partner: ConnectedPartner,
) -> None:
    before_pick = (await get(connected_partner, "/agreements/1578/additions")).json()
    assert {a["is_picked_product"] for a in before_pick["items"]} == {False}

    picked = await connected_partner.client.put(
        connected_partner.url("/connectwise/product"), json={"catalog_item_id": 812}
    )
    assert picked.status_code == 200, picked.text
    body = (await get(connected_partner, "/agreements/1578/additions")).json()
    assert body["total"] == 4
    rows = [(a["id"], a["product_id"], a["is_picked_product"], a["state"]) for a in body["items"]]
    assert rows == [
        (9001, 812, True, "current"),
        (9003, 812, True, "future"),  # starts next month
        (9002, 812, True, "cancelled"),  # cancelled 2023-12-31
        (9004, 814, False, "current"),
    ]
    current = body["items"][0]
    assert current["quantity"] == "40"
    assert (current["unit_price"], current["unit_cost"]) == ("5.2456", "3.10005")
    assert current["product_identifier"] == "INFIMA-SAT"
    assert current["effective_date"] == "2024-01-01"

    window = (await get(connected_partner, "/agreements/1578/additions", limit=1, offset=3)).json()
    assert ([a["id"] for a in window["items"]], window["total"]) == ([9004], 4)

    fractional = (await get(connected_partner, "/agreements/1582/additions")).json()["items"]
    assert fractional[0]["quantity"] == "2.5"


@sqlite_only
async def test_unknown_agreement_is_404(connected_partner: ConnectedPartner) -> None:
    response = await get(connected_partner, "/agreements/424242/additions")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "agreement_not_found"


@sqlite_only
@pytest.mark.parametrize(
    "path",
    ["/catalog", "/companies", "/companies/250/agreements", "/agreements/1578/additions"],
)
async def test_lookups_need_a_connection(admin: httpx.AsyncClient, path: str) -> None:
    partner = (await admin.post("/v1/partners", json={"name": "Bare MSP"})).json()
    response = await admin.get(f"/v1/partners/{partner['id']}/connectwise{path}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "connection_missing"


async def test_rejected_keys_mark_the_connection_failing(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    tenant.members["demo-public-key"].active = False

    response = await get(connected_partner, "/companies", search="Contoso")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "connectwise_credentials_rejected"
    stored = (await connected_partner.client.get(connected_partner.url("/connectwise"))).json()
    assert stored["status"] == "failing"
    assert stored["last_error"].startswith("ConnectWise rejected the key pair")


@sqlite_only
async def test_missing_permission_is_named(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    simulator.state.faults.add(Fault(kind="deny", path="/procurement/catalog"))
    response = await get(connected_partner, "/catalog")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "connectwise_permission_denied"
    assert error["details"]["permission"] == "Product Catalog: Inquire"


@pytest.fixture
def quick_api(settings: Settings) -> Iterator[str]:
    """The API with a half-second ConnectWise look-up timeout."""
    fast = settings.model_copy(update={"cw_lookup_timeout_seconds": 0.5})
    with serve_in_thread(create_app(fast)) as url:
        yield url


@sqlite_only
async def test_slow_lookup_answers_504_in_time(quick_api: str, simulator: SimulatorServer) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=quick_api, headers=headers, timeout=30) as admin:
        partner = await connect_partner(admin, quick_api, simulator)
        simulator.state.faults.add(Fault(kind="latency", ms=2000, path="/company/companies"))
        try:
            response = await get(partner, "/companies")
        finally:
            await partner.client.aclose()
    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "connectwise_timeout"
    assert response.elapsed.total_seconds() < 3


@pytest.mark.parametrize(
    ("effective", "cancelled", "state"),
    [
        (date(2024, 1, 1), None, "current"),
        (date(2026, 3, 15), None, "current"),  # effective today
        (date(2026, 3, 16), None, "future"),
        (date(2024, 1, 1), date(2026, 3, 15), "current"),  # its last day
        (date(2024, 1, 1), date(2026, 3, 14), "cancelled"),
        (None, None, "current"),
    ],
)
def test_addition_state(effective: date | None, cancelled: date | None, state: str) -> None:
    row = Addition(id=1, effective_date=effective, cancelled_date=cancelled)
    assert addition_state(row, today=date(2026, 3, 15)) == state
