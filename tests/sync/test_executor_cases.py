"""The engine's rules one at a time: overwrite cost, dry runs, credentials, set-up failures."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.db import SessionMaker
from cwsync.models import Connection, Mapping, SyncItem
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync.worker import run_once
from tests.support.simulated import TENANT, simulator, simulator_server  # noqa: F401
from tests.support.sync_world import SEED_UNIT_COST, START_QUANTITY, World, build_world


@pytest.fixture
def sync_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"cw_rate_per_minute": 60_000, "batch_size": 4})


async def sync(
    admin: httpx.AsyncClient,
    world: World,
    sessionmaker: SessionMaker,
    factory: ConnectWiseFactory,
    settings: Settings,
    **body: Any,
) -> dict[str, Any]:
    queued = await admin.post(f"/v1/partners/{world.partner_id}/sync-runs", json=body)
    assert queued.status_code == 202, queued.text
    await run_once(sessionmaker, factory, settings)
    detail = await admin.get(
        f"/v1/partners/{world.partner_id}/sync-runs/{queued.json()['id']}",
        params={"limit": 1000},
    )
    assert detail.status_code == 200, detail.text
    return dict(detail.json())


def cw_additions(simulator: SimulatorServer) -> Any:  # noqa: F811
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    return tenant.additions


def item_of(detail: dict[str, Any], world: World, index: int) -> dict[str, Any]:
    wanted = str(world.client_ids[index])
    return next(dict(i) for i in detail["items"] if i["client_id"] == wanted)


async def test_overwrite_cost_uses_the_client_override_else_the_partner_cost(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    overrides = {0: Decimal("2.5"), 1: None, 2: Decimal("9.99")}
    world = await build_world(
        sessionmaker,
        sync_settings,
        simulator,
        clients=3,
        partner_unit_cost=Decimal("2.3456"),
        overwrite_cost=lambda i: i in (0, 1),
        client_unit_cost=lambda i: overrides[i],
    )
    simulator.state.clear_logs()
    detail = await sync(admin, world, sessionmaker, factory, sync_settings)
    assert detail["status"] == "succeeded"
    additions = cw_additions(simulator)
    assert additions[world.addition_ids[0]].unit_cost == Decimal("2.5")
    assert additions[world.addition_ids[1]].unit_cost == Decimal("2.3456")
    assert additions[world.addition_ids[2]].unit_cost == SEED_UNIT_COST  # off: untouched
    # Logged paths carry the codebase prefix (/v2025_1/apis/3.0/...).
    bodies = {
        r.path.split("/apis/3.0")[-1]: r.body
        for r in simulator.state.requests
        if r.method == "PATCH"
    }
    assert bodies[world.addition_path(0)] == [
        {"op": "replace", "path": "quantity", "value": Decimal(world.counts[0] or 0)},
        {"op": "replace", "path": "unitCost", "value": Decimal("2.5")},
    ]
    assert bodies[world.addition_path(2)] == [
        {"op": "replace", "path": "quantity", "value": Decimal(world.counts[2] or 0)}
    ]
    item = item_of(detail, world, 1)
    assert (item["unit_cost_before"], item["unit_cost_after"]) == ("3.10005", "2.3456")

    # Equal at the API's precision: the second night writes nothing.
    simulator.state.clear_logs()
    detail = await sync(admin, world, sessionmaker, factory, sync_settings)
    assert detail["counts"]["unchanged"] == 3
    assert simulator.state.writes == []


async def test_dry_run_writes_nothing_to_connectwise_or_mappings(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(
        sessionmaker,
        sync_settings,
        simulator,
        clients=6,
        count=lambda i: None if i == 4 else 11 + i,
    )
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    tenant.delete_addition(world.addition_ids[5])
    simulator.state.clear_logs()

    detail = await sync(admin, world, sessionmaker, factory, sync_settings, dry_run=True)
    assert detail["dry_run"] is True
    assert detail["status"] == "partial"
    assert detail["counts"] == {
        "total": 6,
        "would_update": 4,
        "unchanged": 0,
        "would_create_pro_rata": 0,
        "skipped": 1,
        "failed": 1,
    }
    assert item_of(detail, world, 0)["quantity_after"] == str(world.counts[0])
    assert item_of(detail, world, 4)["error_code"] == "no_user_count"
    assert item_of(detail, world, 5)["error_code"] == "addition_deleted"
    assert [r for r in simulator.state.requests if r.method != "GET"] == []
    assert all(a.quantity == START_QUANTITY for a in tenant.additions.values() if a.id >= 70_000)
    async with sessionmaker() as session:
        mappings = (await session.scalars(select(Mapping))).all()
    assert {(m.status, m.last_synced_at, m.last_outcome) for m in mappings} == {("ok", None, None)}


async def test_bad_credentials_fail_the_run_once_and_mark_the_connection(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(
        sessionmaker, sync_settings, simulator, clients=5, keys=("demo-public-key", "wrong")
    )
    simulator.state.clear_logs()
    detail = await sync(admin, world, sessionmaker, factory, sync_settings)
    assert detail["status"] == "failed"
    assert detail["error_code"] == "connectwise_authentication_failed"
    assert "public/private key" in detail["error_message"]
    assert detail["items"] == [] and detail["items_total"] == 0
    assert not any("/additions/" in r.path for r in simulator.state.requests)
    async with sessionmaker() as session:
        connection = await session.scalar(select(Connection))
    assert connection is not None and connection.status == "failing"
    assert connection.last_error == detail["error_message"]


async def test_credentials_revoked_mid_run_stop_the_partner_with_one_error(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, sync_settings, simulator, clients=30)
    simulator.state.faults.add(
        Fault(kind="error", status=401, methods=["GET"], path="/additions/", after=10)
    )
    detail = await sync(admin, world, sessionmaker, factory, sync_settings)
    assert detail["status"] == "failed"
    assert detail["error_code"] == "connectwise_authentication_failed"
    # Clients done before the 401 keep their items; none carries the credential error.
    assert 0 < detail["items_total"] < 30
    assert {i["outcome"] for i in detail["items"]} == {"updated"}


@pytest.mark.parametrize("missing", ["product", "connection"])
async def test_a_partner_not_set_up_gets_one_failed_run(
    missing: str,
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(
        sessionmaker, sync_settings, simulator, clients=2, with_product=missing != "product"
    )
    if missing == "connection":
        async with sessionmaker() as session:
            connection = await session.scalar(select(Connection))
            await session.delete(connection)
            await session.commit()
    simulator.state.clear_logs()
    detail = await sync(admin, world, sessionmaker, factory, sync_settings)
    assert (detail["status"], detail["error_code"]) == ("failed", f"no_{missing}")
    assert list(simulator.state.requests) == []
    async with sessionmaker() as session:
        assert (await session.scalars(select(SyncItem))).all() == []


async def test_only_the_chosen_clients(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, sync_settings, simulator, clients=6)
    chosen = [str(world.client_ids[1]), str(world.client_ids[4])]
    detail = await sync(admin, world, sessionmaker, factory, sync_settings, client_ids=chosen)
    assert detail["counts"]["total"] == 2
    assert sorted(i["client_id"] for i in detail["items"]) == sorted(chosen)
    assert uuid.UUID(chosen[0]) in world.client_ids
    assert cw_additions(simulator)[world.addition_ids[0]].quantity == START_QUANTITY


async def test_an_unexpected_error_fails_the_run_instead_of_leaving_it_running(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    # A timezone the API would have refused, written straight into the table.
    world = await build_world(
        sessionmaker, sync_settings, simulator, clients=2, timezone="Mars/Olympus"
    )
    detail = await sync(admin, world, sessionmaker, factory, sync_settings)
    assert (detail["status"], detail["error_code"]) == ("failed", "internal_error")
    assert detail["finished_at"] is not None


async def test_a_moved_codebase_is_followed_and_stored(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    """C10 after a cloud upgrade: the run re-resolves, succeeds, and the connection the
    partner reads (and the next run starts from) names the new codebase."""
    world = await build_world(sessionmaker, sync_settings, simulator, clients=3)
    simulator.state.faults.add(Fault(kind="codebase", codebase="v2025_2/"))

    detail = await sync(admin, world, sessionmaker, factory, sync_settings)

    assert detail["status"] == "succeeded"
    async with sessionmaker() as session:
        connection = await session.scalar(select(Connection))
    assert connection is not None
    assert connection.codebase == "v2025_2/"
    assert connection.api_base_url.endswith("/v2025_2/apis/3.0")
    simulator.state.clear_logs()
    again = await sync(admin, world, sessionmaker, factory, sync_settings)
    assert again["status"] == "succeeded"
    assert not any("companyinfo" in r.path for r in simulator.state.requests)


async def test_a_run_where_every_client_failed_says_so(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, sync_settings, simulator, clients=3)
    simulator.state.faults.add(Fault(kind="deny", methods=["PATCH"]))

    detail = await sync(admin, world, sessionmaker, factory, sync_settings)

    assert detail["status"] == "failed"
    assert detail["error_code"] == "all_clients_failed"
    assert detail["error_message"] == "all 3 clients failed; each item says why"
    assert {i["error_code"] for i in detail["items"]} == {"permission_denied"}
