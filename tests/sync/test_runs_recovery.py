"""A run outlives its worker: reclaimed after the lease without redoing finished clients, and
handed back at once on graceful shutdown (in process; the SIGKILL case with real processes
is in test_scheduler_processes.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from cwsync.clock import utcnow
from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import SyncItem, SyncRun
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync import run_repository
from cwsync.sync.executor import SyncDeps
from cwsync.sync.worker import Worker, run_once
from tests.support.simulated import simulator, simulator_server  # noqa: F401
from tests.support.sync_world import build_world


@pytest.fixture
def sync_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"cw_rate_per_minute": 60_000, "batch_size": 5, "cw_concurrency": 2}
    )


async def items_by_client(sessionmaker: SessionMaker, run_id: uuid.UUID) -> dict[uuid.UUID, str]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(SyncItem.client_id, SyncItem.outcome).where(SyncItem.run_id == run_id)
        )
        return dict(rows.tuples().all())


async def test_a_reclaimed_run_skips_clients_already_done(
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, sync_settings, simulator, clients=10)
    long_ago = utcnow() - timedelta(hours=1)
    async with unit_of_work(sessionmaker) as session:
        run_id = await run_repository.insert_run(
            session,
            partner_id=world.partner_id,
            trigger="manual",
            run_key="manual:x",
            now=long_ago,
        )
        assert run_id is not None
        # A worker claimed it an hour ago, finished four clients, then died.
        await run_repository.claim_runs(
            session, owner="dead", now=long_ago, lease_seconds=60, limit=1
        )
        for client_id in world.client_ids[:4]:
            session.add(SyncItem(run_id=run_id, client_id=client_id, outcome="unchanged"))
    simulator.state.clear_logs()

    assert await run_once(sessionmaker, factory, sync_settings) == [(run_id, "succeeded")]
    items = await items_by_client(sessionmaker, run_id)
    assert set(items) == set(world.client_ids)
    assert [items[c] for c in world.client_ids[:4]] == ["unchanged"] * 4  # not redone
    assert {items[c] for c in world.client_ids[4:]} == {"updated"}
    read = {
        r.path.split("/additions/")[-1] for r in simulator.state.requests if "/additions/" in r.path
    }
    assert read == {str(a) for a in world.addition_ids[4:]}
    async with sessionmaker() as session:
        run = await session.get(SyncRun, run_id)
    assert run is not None and run.attempts == 2 and run.counts["total"] == 10


async def test_shutdown_releases_the_run_and_keeps_finished_items(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, sync_settings, simulator, clients=20)
    slow = simulator.state.faults.add(Fault(kind="latency", ms=150, path="/additions/"))
    worker = Worker(SyncDeps.create(sessionmaker, factory, sync_settings))
    stop = asyncio.Event()
    serving = asyncio.create_task(worker.serve(stop))
    queued = await admin.post(f"/v1/partners/{world.partner_id}/sync-runs", json={})
    run_id = uuid.UUID(queued.json()["id"])
    worker.wake()

    deadline = time.monotonic() + 10
    while len(await items_by_client(sessionmaker, run_id)) < 3:
        assert time.monotonic() < deadline, "the run made no progress"
        await asyncio.sleep(0.1)
    stop.set()
    await serving
    await worker.shutdown(grace_seconds=0)

    async with sessionmaker() as session:
        run = await session.get(SyncRun, run_id)
        done = await session.scalar(
            select(func.count()).select_from(SyncItem).where(SyncItem.run_id == run_id)
        )
    assert run is not None
    assert (run.status, run.lease_owner, run.lease_expires_at) == ("queued", None, None)
    assert done is not None and 3 <= done < 20

    simulator.state.faults.remove(slow.id)
    assert await run_once(sessionmaker, factory, sync_settings) == [(run_id, "succeeded")]
    items = await items_by_client(sessionmaker, run_id)
    assert set(items) == set(world.client_ids)
    # A PATCH cancelled in flight may have landed: the redo then reads it as unchanged.
    assert set(items.values()) <= {"updated", "unchanged"}
    tenant = simulator.state.tenant("northwind")
    assert tenant is not None
    assert [tenant.additions[a].quantity for a in world.addition_ids] == world.counts


async def test_a_client_deleted_mid_run_does_not_break_the_run(
    admin: httpx.AsyncClient,
    sessionmaker: SessionMaker,
    sync_settings: Settings,
    factory: ConnectWiseFactory,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, sync_settings, simulator, clients=12)
    simulator.state.faults.add(Fault(kind="latency", ms=100, path="/additions/"))
    queued = await admin.post(f"/v1/partners/{world.partner_id}/sync-runs", json={})
    run_id = uuid.UUID(queued.json()["id"])
    running = asyncio.create_task(run_once(sessionmaker, factory, sync_settings))

    deadline = time.monotonic() + 10
    while not (done := await items_by_client(sessionmaker, run_id)):
        assert time.monotonic() < deadline, "the run made no progress"
        await asyncio.sleep(0.05)
    # Delete clients the run may already hold in memory (read in its current batch).
    gone = [c for c in world.client_ids if c not in done][:3]
    for client_id in gone:
        response = await admin.delete(f"/v1/partners/{world.partner_id}/clients/{client_id}")
        assert response.status_code == 204, response.text

    assert await running == [(run_id, "succeeded")]
    items = await items_by_client(sessionmaker, run_id)
    assert set(items) == set(world.client_ids) - set(gone)
