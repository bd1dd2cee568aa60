"""`cwsync scheduler` as real processes: replicas sharing one database, SIGKILL and SIGTERM.

The simulator runs in this test process; the schedulers are child processes talking to it
over HTTP with a 1-second tick and a 5-second lease.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import time as clock_time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.models import SyncItem, SyncRun
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync.context import SUCCESS_OUTCOMES
from tests.support.servers import free_port
from tests.support.simulated import simulator, simulator_server  # noqa: F401
from tests.support.sync_world import build_world

pytestmark = pytest.mark.slow
LEASE_SECONDS = 5


class Schedulers:
    """Starts `cwsync scheduler` children; kills whatever is left at the end."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.children: list[subprocess.Popen[bytes]] = []

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        environment = {
            **os.environ,
            "CWSYNC_ENV": "test",
            "CWSYNC_DATABASE_URL": self.settings.database_url,
            "CWSYNC_ENCRYPTION_KEYS": self.settings.encryption_keys.get_secret_value(),
            "CWSYNC_CW_SCHEME": "http",
            "CWSYNC_CW_ALLOW_PRIVATE": "true",
            "CWSYNC_CW_ALLOWED_HOSTS": "127.0.0.1",
            "CWSYNC_CW_RATE_PER_MINUTE": "60000",
            "CWSYNC_CW_CONCURRENCY": "2",
            "CWSYNC_SCHEDULER_TICK_SECONDS": "1",
            "CWSYNC_WORKER_POLL_SECONDS": "0.2",
            "CWSYNC_LEASE_SECONDS": str(LEASE_SECONDS),
            "CWSYNC_BATCH_SIZE": "5",
            "CWSYNC_LOG_LEVEL": "INFO",
            **env,
        }
        log = open(self.logs / f"scheduler-{len(self.children)}.log", "wb")
        child = subprocess.Popen(
            [sys.executable, "-m", "cwsync.cli", "scheduler"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.children.append(child)
        return child

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    def stop_all(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.kill()
            child.wait(timeout=10)


@pytest.fixture
def schedulers(settings: Settings, tmp_path: Path) -> Iterator[Schedulers]:
    started = Schedulers(settings, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


async def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def test_two_replicas_queue_one_scheduled_run_per_partner_and_date(
    db_url: str,
    settings: Settings,
    sessionmaker: SessionMaker,
    simulator: SimulatorServer,  # noqa: F811
    schedulers: Schedulers,
) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("replicas share the queue through PostgreSQL; SQLite is single-process")
    partners = [
        await build_world(
            sessionmaker,
            settings,
            simulator,
            clients=2,
            first_id=80_000 + 10 * n,
            sync_time=clock_time(0, 0),  # due all day
            timezone=zone,
            name=f"Partner {n}",
        )
        for n, zone in enumerate(["UTC", "America/Chicago", "Pacific/Auckland"])
    ]
    metrics_ports = [free_port(), free_port()]
    first = schedulers.start(CWSYNC_SCHEDULER_METRICS_PORT=str(metrics_ports[0]))
    second = schedulers.start(CWSYNC_SCHEDULER_METRICS_PORT=str(metrics_ports[1]))

    async def all_finished() -> bool:
        async with sessionmaker() as session:
            runs = (await session.scalars(select(SyncRun))).all()
        done = [r for r in runs if r.status in ("succeeded", "partial", "failed")]
        return len(done) >= len(partners) and len(done) == len(runs)

    await wait_for(all_finished, 30, "the scheduled runs")
    await asyncio.sleep(3)  # several more ticks of both replicas
    assert first.poll() is None and second.poll() is None, schedulers.log_text()

    async with sessionmaker() as session:
        runs = (await session.scalars(select(SyncRun))).all()
    per_date: dict[tuple[uuid.UUID, str], int] = {}
    for run in runs:
        assert run.trigger == "schedule" and run.run_key.startswith("schedule:")
        local_date = run.run_key.rsplit(":", 1)[1]
        per_date[(run.partner_id, local_date)] = per_date.get((run.partner_id, local_date), 0) + 1
    assert set(per_date.values()) == {1}
    assert {p for p, _ in per_date} == {w.partner_id for w in partners}
    assert {r.status for r in runs} == {"succeeded"}
    text = schedulers.log_text()
    assert "tick_failed" not in text and "claim_failed" not in text

    # Either replica may have claimed any run: together they count every one.
    succeeded = 0.0
    async with httpx.AsyncClient() as http:
        for port in metrics_ports:
            exposed = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            assert "cwsync_cw_requests_total" in exposed
            for line in exposed.splitlines():
                if line.startswith('cwsync_sync_runs_total{status="succeeded"}'):
                    succeeded += float(line.rsplit(" ", 1)[1])
    assert succeeded == len(partners)


async def test_a_killed_scheduler_is_replaced_and_every_client_synced_once(
    settings: Settings,
    sessionmaker: SessionMaker,
    admin: httpx.AsyncClient,
    simulator: SimulatorServer,  # noqa: F811
    schedulers: Schedulers,
) -> None:
    clients = 16
    world = await build_world(
        sessionmaker, settings, simulator, clients=clients, sync_enabled=False
    )
    slow = simulator.state.faults.add(Fault(kind="latency", ms=200, path="/additions/"))
    queued = await admin.post(f"/v1/partners/{world.partner_id}/sync-runs", json={})
    run_id = uuid.UUID(queued.json()["id"])

    async def done() -> int:
        async with sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).select_from(SyncItem).where(SyncItem.run_id == run_id)
            )
        return count or 0

    async def status() -> SyncRun:
        async with sessionmaker() as session:
            run = await session.get(SyncRun, run_id)
        assert run is not None
        return run

    async def some_progress() -> bool:
        return await done() >= 3

    first = schedulers.start()
    await wait_for(some_progress, 20, "the first scheduler to sync some clients")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()
    before = await done()
    assert before < clients and (await status()).status == "running"

    # SIGTERM with no grace: the second replica gives the run back at once.
    second = schedulers.start(CWSYNC_SCHEDULER_SHUTDOWN_GRACE_SECONDS="0")

    async def second_progressed() -> bool:
        return await done() > before

    await wait_for(second_progressed, 20, "the second scheduler to reclaim the run")
    assert time.monotonic() - killed_at >= LEASE_SECONDS - 1  # it waited out the lease
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0, schedulers.log_text()
    released = await status()
    assert (released.status, released.lease_owner) == ("queued", None), schedulers.log_text()
    assert await done() < clients

    simulator.state.faults.remove(slow.id)
    schedulers.start()

    async def finished() -> bool:
        return (await status()).status not in ("queued", "running")

    await wait_for(finished, 20, "the third scheduler to finish the run")
    final = await status()
    assert final.status == "succeeded", schedulers.log_text()
    assert final.attempts == 3
    async with sessionmaker() as session:
        items = (
            (
                await session.execute(
                    select(SyncItem.client_id, SyncItem.outcome).where(SyncItem.run_id == run_id)
                )
            )
            .tuples()
            .all()
        )
    assert sorted(c for c, _ in items) == sorted(world.client_ids)  # exactly one each
    assert {o for _, o in items} <= SUCCESS_OUTCOMES
    tenant = simulator.state.tenant("northwind")
    assert tenant is not None
    assert [tenant.additions[a].quantity for a in world.addition_ids] == world.counts
