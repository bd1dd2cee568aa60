"""`/v1/partners/{p}/sync-runs` over real HTTP: queue, validation, scope, list, item pages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.db import SessionMaker
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync.worker import run_once
from tests.support.simulated import simulator, simulator_server  # noqa: F401
from tests.support.sync_world import World, build_world


@pytest.fixture
async def world(
    sessionmaker: SessionMaker,
    settings: Settings,
    simulator: SimulatorServer,  # noqa: F811
) -> World:
    return await build_world(sessionmaker, settings, simulator, clients=5)


async def partner_client(admin: httpx.AsyncClient, partner_id: uuid.UUID) -> httpx.AsyncClient:
    issued = await admin.post(f"/v1/partners/{partner_id}/tokens", json={})
    assert issued.status_code == 201, issued.text
    return httpx.AsyncClient(
        base_url=str(admin.base_url),
        headers={"Authorization": f"Bearer {issued.json()['token']}"},
        timeout=30,
    )


@pytest.fixture
async def partner(admin: httpx.AsyncClient, world: World) -> AsyncIterator[httpx.AsyncClient]:
    client = await partner_client(admin, world.partner_id)
    try:
        yield client
    finally:
        await client.aclose()


async def test_queue_answers_202_with_the_queued_run(
    partner: httpx.AsyncClient, world: World
) -> None:
    response = await partner.post(
        f"/v1/partners/{world.partner_id}/sync-runs", json={"dry_run": True}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued" and body["trigger"] == "manual"
    assert body["dry_run"] is True and body["client_ids"] is None
    assert body["run_key"].startswith("manual:")
    assert body["started_at"] is None and body["counts"] == {}
    default = await partner.post(f"/v1/partners/{world.partner_id}/sync-runs", json={})
    assert default.status_code == 202 and default.json()["dry_run"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"client_ids": []},
        {"client_ids": ["not-a-uuid"]},
        {"dry_run": "maybe"},
        {"dry_run": False, "extra": 1},
    ],
)
async def test_invalid_bodies_are_422(
    partner: httpx.AsyncClient, world: World, body: dict[str, object]
) -> None:
    response = await partner.post(f"/v1/partners/{world.partner_id}/sync-runs", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_clients_must_be_this_partners_mapped_clients(
    partner: httpx.AsyncClient, world: World
) -> None:
    stranger = str(uuid.uuid4())
    response = await partner.post(
        f"/v1/partners/{world.partner_id}/sync-runs",
        json={"client_ids": [str(world.client_ids[0]), stranger]},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unknown_clients" and error["details"] == {"client_ids": [stranger]}


async def test_another_partners_runs_are_not_found(
    admin: httpx.AsyncClient, partner: httpx.AsyncClient, world: World
) -> None:
    queued = await partner.post(f"/v1/partners/{world.partner_id}/sync-runs", json={})
    run_id = queued.json()["id"]
    other = await admin.post("/v1/partners", json={"name": "Other MSP"})
    other_id = other.json()["id"]
    async with await partner_client(admin, uuid.UUID(other_id)) as outsider:
        for method, path in [
            ("GET", f"/v1/partners/{world.partner_id}/sync-runs"),
            ("GET", f"/v1/partners/{world.partner_id}/sync-runs/{run_id}"),
            ("POST", f"/v1/partners/{world.partner_id}/sync-runs"),
        ]:
            response = await outsider.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 404, (method, path)
        # The run is not under the other partner either.
        response = await outsider.get(f"/v1/partners/{other_id}/sync-runs/{run_id}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "sync_run_not_found"
    assert (await partner.get(f"/v1/partners/{world.partner_id}/sync-runs")).status_code == 200


async def test_list_newest_first_and_items_paged(
    partner: httpx.AsyncClient,
    world: World,
    sessionmaker: SessionMaker,
    settings: Settings,
) -> None:
    base = f"/v1/partners/{world.partner_id}/sync-runs"
    first = (await partner.post(base, json={})).json()["id"]
    async with httpx.AsyncClient(follow_redirects=False) as http:
        fast = settings.model_copy(update={"cw_rate_per_minute": 60_000})
        await run_once(sessionmaker, ConnectWiseFactory(http, fast), fast)
    second = (await partner.post(base, json={"dry_run": True})).json()["id"]

    listed = (await partner.get(base)).json()
    assert listed["total"] == 2
    assert [r["id"] for r in listed["items"]] == [second, first]
    assert listed["items"][1]["status"] == "succeeded"
    assert listed["items"][1]["counts"]["updated"] == 5
    assert (await partner.get(base, params={"limit": 1, "offset": 1})).json()["items"][0][
        "id"
    ] == first

    page = (await partner.get(f"{base}/{first}", params={"limit": 2, "offset": 0})).json()
    rest = (await partner.get(f"{base}/{first}", params={"limit": 10, "offset": 2})).json()
    assert page["items_total"] == 5 and len(page["items"]) == 2 and len(rest["items"]) == 3
    seen = {i["client_id"] for i in page["items"] + rest["items"]}
    assert seen == {str(c) for c in world.client_ids}
    item = page["items"][0]
    assert set(item) >= {
        "client_id",
        "outcome",
        "quantity_before",
        "quantity_after",
        "unit_cost_before",
        "unit_cost_after",
        "error_code",
        "error_message",
        "warnings",
        "cw_request_id",
    }
    assert page["started_at"] and page["finished_at"] and page["status"] == "succeeded"
    assert (await partner.get(f"{base}/{uuid.uuid4()}")).status_code == 404
    assert (await partner.get(f"{base}/{first}", params={"limit": 0})).status_code == 422
