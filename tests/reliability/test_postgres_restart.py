"""PostgreSQL stops and starts again in the middle of a run (the API and the scheduler are real
processes): `/readyz` answers 503 while it is down and 200 again after; the scheduler keeps
running, reconnects, and the run finishes (or is reclaimed once its lease runs out) with no
item lost — one per client — and every count in ConnectWise.

This restarts the machine's PostgreSQL cluster, which every test process on it shares:
other suites running at the same moment see their connections dropped. It is a reliability
scenario for that reason, and it always leaves PostgreSQL started.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from cwsync.clock import utcnow
from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.models import SyncItem
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.conftest import ADMIN_TOKEN
from tests.reliability import ledger
from tests.reliability.fleet import Fleet, wait_until
from tests.reliability.world import add_partner
from tests.support.databases import IN_CI

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

CLIENTS = 40
# What the scheduler logs when the database goes away under it (one at least must show).
OUTAGE_EVENTS = {
    "claim_failed",
    "tick_failed",
    "item_flush_failed",
    "lease_renew_failed",
    "run_crashed",
}


def cluster() -> list[str]:
    """`pg_ctlcluster … <version> main`, or a skip (a failure in CI) when there is none."""
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        message = "no local PostgreSQL cluster to restart (pg_ctlcluster)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def pg_ctl(action: str) -> None:
    subprocess.run([*cluster(), action], check=False, capture_output=True, timeout=60)


def wait_accepting(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False, timeout=10
        )
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back")


class Readiness:
    """Polls `/readyz` in the background and keeps every status seen, in order."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[int] = []
        self._task: asyncio.Task[None] | None = None

    async def _poll(self) -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            while True:
                try:
                    self.seen.append((await http.get(self.url + "/readyz")).status_code)
                except httpx.HTTPError:
                    self.seen.append(0)  # the API itself did not answer: recorded, asserted on
                await asyncio.sleep(0.05)

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_postgres_restart_mid_run_loses_no_item(
    settings: Settings, sessionmaker: SessionMaker, simulator: SimulatorServer, fleet: Fleet
) -> None:
    cluster()  # skip early when there is nothing to restart
    world = await add_partner(
        sessionmaker, settings, simulator, tenant="northwind", clients=CLIENTS, first_id=75_000
    )
    # About six seconds of work: the outage lands in the middle of it.
    simulator.state.faults.add(Fault(kind="latency", ms=150, path="/additions/"))
    _, api = fleet.api()
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as admin:
        queued = await admin.post(f"/v1/partners/{world.partner_id}/sync-runs", json={})
    assert queued.status_code == 202, queued.text
    run_id = uuid.UUID(queued.json()["id"])
    scheduler = fleet.scheduler(CWSYNC_CW_CONCURRENCY="2")

    async def items_written() -> int:
        async with sessionmaker() as session:
            count = await session.scalar(select(func.count()).select_from(SyncItem))
        return count or 0

    async def some_progress() -> bool:
        return await items_written() >= 5

    await wait_until(some_progress, 30, "the run to write its first items")
    readiness = Readiness(api)
    readiness.start()
    try:
        stopped_at = utcnow()
        await asyncio.to_thread(pg_ctl, "stop")
        await wait_until(lambda: _seen(readiness, 503), 20, "/readyz to answer 503")
        async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as admin:
            during = await admin.get(f"/v1/partners/{world.partner_id}")
        # Not a 500: an outage says what it is, and when to come back.
        assert (during.status_code, during.headers.get("retry-after")) == (503, "5"), during.text
        assert during.json()["error"]["code"] == "database_unavailable"
        await asyncio.sleep(1.5)  # the run goes on against ConnectWise, its flushes fail
    finally:
        await asyncio.to_thread(pg_ctl, "start")  # whatever happened: leave it running
        await asyncio.to_thread(wait_accepting)
    await wait_until(lambda: _seen_after_503(readiness, 200), 30, "/readyz to answer 200 again")
    await readiness.stop()

    await wait_until(lambda: ledger.finished(sessionmaker, {run_id}), 90, "the run to end")
    run = await ledger.run(sessionmaker, run_id)
    assert run.status == "succeeded", (run.error_code, fleet.tails())
    assert run.finished_at is not None and run.finished_at > stopped_at  # it ran through it
    await ledger.assert_one_item_per_client(sessionmaker, world, run.id)
    ledger.assert_quantities_synced(simulator, world)
    assert scheduler.running(), "the scheduler died with the database"
    assert 0 not in readiness.seen, "the API stopped answering while the database was down"
    felt = {line["event"] for line in fleet.log_lines("scheduler")} & OUTAGE_EVENTS
    assert felt, "the scheduler never noticed the outage: it did not happen mid-run"


async def _seen(readiness: Readiness, status: int) -> bool:
    return status in readiness.seen


async def _seen_after_503(readiness: Readiness, status: int) -> bool:
    seen = readiness.seen
    return 503 in seen and status in seen[seen.index(503) :]
