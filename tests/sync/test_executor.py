"""The sync engine against the simulator over real HTTP, on SQLite and PostgreSQL.

Runs are queued through the API as a partner would and executed by `run_once`, the same
claim/lease/executor code the scheduler process runs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.db import SessionMaker
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync.worker import run_once
from tests.support.simulated import TENANT, simulator, simulator_server  # noqa: F401
from tests.support.sync_world import START_QUANTITY, World, build_world

WRITE_METHODS = {"PATCH", "POST", "PUT", "DELETE"}


@pytest.fixture
def sync_settings(settings: Settings) -> Settings:
    # The simulator has no throttle here; the default pace (600/min) would only slow tests.
    return settings.model_copy(update={"cw_rate_per_minute": 60_000, "batch_size": 20})


async def queue(admin: httpx.AsyncClient, world: World, **body: Any) -> str:
    response = await admin.post(f"/v1/partners/{world.partner_id}/sync-runs", json=body)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    return str(response.json()["id"])


async def run_detail(admin: httpx.AsyncClient, world: World, run_id: str) -> dict[str, Any]:
    response = await admin.get(
        f"/v1/partners/{world.partner_id}/sync-runs/{run_id}", params={"limit": 1000}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def addition(simulator: SimulatorServer, addition_id: int) -> Any:  # noqa: F811
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    return tenant.additions[addition_id]


def cw_requests(simulator: SimulatorServer) -> list[Any]:  # noqa: F811
    return [r for r in simulator.state.requests if not r.path.startswith("/__sim")]


async def test_fifty_clients_then_a_second_run_writes_nothing(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, sync_settings, simulator, clients=50)
    simulator.state.clear_logs()

    first = await queue(admin, world)
    finished = await run_once(sessionmaker, factory, sync_settings)
    assert finished == [(uuid_of(first), "succeeded")]

    detail = await run_detail(admin, world, first)
    assert detail["status"] == "succeeded"
    assert detail["counts"]["updated"] == 50 and detail["counts"]["failed"] == 0
    assert detail["counts"]["total"] == 50 and detail["items_total"] == 50
    for index, addition_id in enumerate(world.addition_ids):
        assert addition(simulator, addition_id).quantity == Decimal(world.counts[index] or 0)
    by_client = {item["client_id"]: item for item in detail["items"]}
    item = by_client[str(world.client_ids[3])]
    assert (item["outcome"], item["quantity_before"], item["quantity_after"]) == (
        "updated",
        str(START_QUANTITY),
        str(world.counts[3]),
    )
    assert item["cw_request_id"]
    # Budget: one read and one write per changed client, plus one credential check.
    requests = cw_requests(simulator)
    patches = [r for r in requests if r.method == "PATCH"]
    assert len(patches) == 50
    assert len(requests) <= 1 + 2 * 50
    assert all(
        r.body == [{"op": "replace", "path": "quantity", "value": r.body[0]["value"]}]
        for r in patches
    )

    simulator.state.clear_logs()
    second = await queue(admin, world)
    assert await run_once(sessionmaker, factory, sync_settings) == [(uuid_of(second), "succeeded")]
    requests = cw_requests(simulator)
    assert [r for r in requests if r.method in WRITE_METHODS] == []
    assert simulator.state.writes == []
    assert len(requests) <= 1 + 50  # one read per unchanged client
    detail = await run_detail(admin, world, second)
    assert detail["counts"]["unchanged"] == 50


def uuid_of(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


async def test_broken_and_denied_clients_leave_the_others_updated(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, sync_settings, simulator, clients=50)
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    deleted, cancelled, denied = 5, 17, 33
    tenant.delete_addition(world.addition_ids[deleted])
    tenant.agreements[world.agreement_ids[cancelled]].agreement_status = "Cancelled"
    simulator.state.faults.add(
        Fault(kind="deny", methods=["PATCH"], path=world.addition_path(denied) + "$")
    )

    run_id = await queue(admin, world)
    await run_once(sessionmaker, factory, sync_settings)
    detail = await run_detail(admin, world, run_id)
    assert detail["status"] == "partial"
    assert detail["counts"]["updated"] == 47 and detail["counts"]["failed"] == 3
    items = {item["client_id"]: item for item in detail["items"]}

    def item(index: int) -> dict[str, Any]:
        return dict(items[str(world.client_ids[index])])

    assert item(deleted)["error_code"] == "addition_deleted"
    assert item(cancelled)["error_code"] == "agreement_inactive"
    assert item(denied)["error_code"] == "permission_denied"
    assert "Agreements: Edit" in item(denied)["error_message"]
    # Never written to: the cancelled agreement's addition keeps its quantity.
    assert addition(simulator, world.addition_ids[cancelled]).quantity == START_QUANTITY
    assert all(w.addition_id != world.addition_ids[cancelled] for w in simulator.state.writes)

    clients = await admin.get(f"/v1/partners/{world.partner_id}/clients", params={"limit": 100})
    mappings = {c["id"]: c["mapping"] for c in clients.json()["items"]}
    assert mappings[str(world.client_ids[deleted])]["status"] == "broken"
    assert mappings[str(world.client_ids[deleted])]["broken_reason"] == "addition_deleted"
    assert mappings[str(world.client_ids[cancelled])]["broken_reason"] == "agreement_inactive"
    assert mappings[str(world.client_ids[denied])]["status"] == "ok"
    assert mappings[str(world.client_ids[denied])]["last_outcome"] == "failed"
    assert mappings[str(world.client_ids[0])]["last_synced_quantity"] == str(world.counts[0])

    # The agreement is active again: the next good read clears the break.
    tenant.agreements[world.agreement_ids[cancelled]].agreement_status = "Active"
    await queue(admin, world, client_ids=[str(world.client_ids[cancelled])])
    await run_once(sessionmaker, factory, sync_settings)
    clients = await admin.get(f"/v1/partners/{world.partner_id}/clients", params={"limit": 100})
    mappings = {c["id"]: c["mapping"] for c in clients.json()["items"]}
    assert mappings[str(world.client_ids[cancelled])]["status"] == "ok"
    assert mappings[str(world.client_ids[cancelled])]["broken_reason"] is None
    assert addition(simulator, world.addition_ids[cancelled]).quantity == world.counts[cancelled]
