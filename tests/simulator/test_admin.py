"""The /__sim admin API, the seed round trip and the test helpers."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from cwsync.simulator import load_demo_state
from cwsync.simulator.testing import (
    AdminError,
    AsyncSimulatorAdmin,
    SimulatorAdmin,
    SimulatorServer,
)
from tests.simulator.conftest import cw_headers, exact_json


def test_state_dump_posts_back_as_a_seed(sim: SimulatorServer, admin: SimulatorAdmin) -> None:
    dumped = admin.state()
    [tenant] = dumped["tenants"]
    assert tenant["company_id"] == "northwind"
    assert {c["id"] for c in tenant["companies"]} >= {250, 252, 259}
    sat = next(i for i in tenant["catalog"] if i["id"] == 812)
    assert (sat["price"], sat["cost"]) == (Decimal("5.2456"), Decimal("3.10005"))
    admin.delete("northwind", "additions", 9001)
    admin.reset(dumped)  # an explicit seed: the dump from before the delete
    assert admin.get("northwind", "additions", 9001)["quantity"] == 40
    assert admin.state(tenant="nobody") == {"tenants": [], "faults": []}


def test_reset_without_a_body_reloads_the_seed(
    sim: SimulatorServer, cw: httpx.Client, admin: SimulatorAdmin
) -> None:
    admin.patch("northwind", "additions", 9001, quantity=Decimal("77.5"))
    assert exact_json(cw.get("/finance/agreements/1578/additions/9001"))["quantity"] == Decimal(
        "77.5"
    )
    admin.reset()
    assert exact_json(cw.get("/finance/agreements/1578/additions/9001"))["quantity"] == 40
    assert len(admin.requests()) == 1  # the reset cleared the log: only the GET since


def test_records_are_created_edited_and_deleted(cw: httpx.Client, admin: SimulatorAdmin) -> None:
    company = admin.create("northwind", "companies", {"identifier": "NewCo", "name": "New Co"})
    agreement = admin.create(
        "northwind",
        "agreements",
        {"name": "New Co MSA", "company": {"id": company["id"]}, "prorateFlag": True},
    )
    addition = admin.create(
        "northwind",
        "additions",
        {"agreementId": agreement["id"], "product": {"identifier": "INFIMA-SAT"}, "quantity": 5},
    )
    path = f"/finance/agreements/{agreement['id']}/additions/{addition['id']}"
    assert cw.get(path).json()["product"]["identifier"] == "INFIMA-SAT"
    admin.patch("northwind", "agreements", agreement["id"], agreementStatus="Cancelled")
    assert cw.get(path).json()["agreementStatus"] == "Cancelled"
    admin.patch("northwind", "companies", company["id"], name="Renamed Co")
    assert (
        cw.get(f"/finance/agreements/{agreement['id']}").json()["company"]["name"] == "Renamed Co"
    )
    admin.delete("northwind", "agreements", agreement["id"])
    assert cw.get(path).status_code == 404


def test_bulk_load_assigns_ids(cw: httpx.Client, admin: SimulatorAdmin) -> None:
    ids = admin.bulk(
        "northwind",
        companies=[
            {"id": 5000 + i, "identifier": f"c{i}", "name": f"Client {i}"} for i in range(50)
        ],
        agreements=[{"name": f"MSA {i}", "company": {"id": 5000 + i}} for i in range(50)],
    )
    assert len(ids["companies"]) == len(ids["agreements"]) == 50
    assert cw.get("/finance/agreements/count").json() == {"count": 57}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PATCH", "/__sim/tenants/nobody", {}, 404),
        ("POST", "/__sim/tenants/northwind/widgets", {}, 404),
        ("GET", "/__sim/tenants/northwind/additions/123456", None, 404),
        ("PATCH", "/__sim/tenants/northwind/additions/9001", {"quantity": "many"}, 400),
        ("POST", "/__sim/tenants/northwind/agreements", {"name": "x", "company": {"id": 1}}, 400),
        ("PATCH", "/__sim/tenants/northwind", {"settings": {"max_page_size_typo": 1}}, 400),
        ("PATCH", "/__sim/tenants/northwind", {"codebase": "v2025_2"}, 400),
        ("PUT", "/__sim/faults", [{"kind": "throttle", "positions": [1]}], 400),
        ("POST", "/__sim/tenants", {"company_id": "northwind", "company_name": "Dup"}, 409),
    ],
)
def test_admin_refusals(
    sim: SimulatorServer, method: str, path: str, body: object, status: int
) -> None:
    response = httpx.request(method, sim.base_url + path, json=body)
    assert response.status_code == status
    assert "error" in response.json()


def test_admin_client_raises_on_errors(admin: SimulatorAdmin) -> None:
    with pytest.raises(AdminError) as caught:
        admin.get("northwind", "companies", 1)
    assert caught.value.status == 404


async def test_async_admin_and_server() -> None:
    async with SimulatorServer(load_demo_state()) as server:
        async with AsyncSimulatorAdmin(server.base_url) as admin:
            await admin.add_fault(kind="deny", count=1)
            async with httpx.AsyncClient(headers=cw_headers()) as client:
                denied = await client.get(server.api_url() + "/system/info")
                allowed = await client.get(server.api_url() + "/system/info")
            assert (denied.status_code, allowed.status_code) == (403, 200)
            assert [r["status"] for r in await admin.requests()] == [403, 200]
        assert server.site == f"127.0.0.1:{server.port}"
