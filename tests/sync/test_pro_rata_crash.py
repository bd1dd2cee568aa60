"""Crash injection (issue 6): the sync process is killed after its POST reached ConnectWise
and before it could record the answer; the next run must end with exactly one addition.

No hook in the product code: the simulator applies the POST and then holds the answer back
(a `timeout` fault with `process_first`), and the test SIGKILLs the worker process as soon
as the addition exists. That is the worst moment: ConnectWise has the charge, our database
only has the `pending` row. The run is then reclaimed the normal way (its lease expired) and
executed in this process.

Run as a module, this file is that worker: `python -m tests.sync.test_pro_rata_crash
<run_id> <now>` claims the queued run and executes it (settings from CWSYNC_* variables).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.db import SessionMaker, create_engine, create_sessionmaker, unit_of_work
from cwsync.simulator.faults import Fault
from cwsync.sync import run_repository
from cwsync.sync.executor import SyncDeps, execute_run
from tests.sync.test_pro_rata_sync import FEB_1, SEED_EXAMPLE, World, make_world, simulator

REPO = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 60


@pytest.fixture
async def world(sessionmaker: SessionMaker, settings: Settings) -> AsyncIterator[World]:
    async with simulator() as sim:
        yield await make_world(sessionmaker, settings, sim)


def _worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CWSYNC_ENV": "test",
        "CWSYNC_DATABASE_URL": settings.database_url,
        "CWSYNC_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "CWSYNC_CW_SCHEME": settings.cw_scheme,
        "CWSYNC_CW_ALLOW_PRIVATE": "true",
        "CWSYNC_CW_ALLOWED_HOSTS": settings.cw_allowed_hosts,
        "CWSYNC_LEASE_SECONDS": str(LEASE_SECONDS),
    }


async def _kill_once_posted(worker: subprocess.Popen[bytes], world: World) -> None:
    deadline = time.monotonic() + 60
    while not world.pro_rata_additions():
        if worker.poll() is not None:
            _, err = worker.communicate()
            pytest.fail(f"the worker ended before its POST landed:\n{err.decode()[-3000:]}")
        if time.monotonic() > deadline:
            worker.kill()
            pytest.fail("the worker never posted the pro-rata addition")
        await asyncio.sleep(0.02)  # polling another process: there is no clock to inject
    worker.send_signal(signal.SIGKILL)
    await asyncio.to_thread(worker.wait, 30)


@pytest.mark.slow
async def test_killed_after_the_post_then_one_run_later_exactly_one_addition(
    world: World, settings: Settings
) -> None:
    await world.report(*SEED_EXAMPLE)
    # ConnectWise creates the addition, then never answers.
    world.sim.state.faults.add(Fault(kind="timeout", methods=["POST"], count=1, process_first=True))
    run_id = await world.start_run(FEB_1)
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.test_pro_rata_crash", str(run_id), FEB_1.isoformat()],
        cwd=REPO,
        env=_worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        await _kill_once_posted(worker, world)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)

    assert worker.returncode == -signal.SIGKILL
    (pending,) = await world.charges()
    assert (pending.status, pending.run_id, pending.cw_addition_id) == ("pending", run_id, None)
    assert len(world.posts()) == 1

    # The scheduler reclaims the run once its lease has run out, and finishes it.
    later = FEB_1 + timedelta(seconds=LEASE_SECONDS + 1)
    async with unit_of_work(world.sessionmaker) as session:
        (run,) = await run_repository.claim_runs(
            session, owner="survivor", now=later, lease_seconds=LEASE_SECONDS, limit=1
        )
    assert run.id == run_id
    async with httpx.AsyncClient(follow_redirects=False) as http:
        deps = SyncDeps(
            world.sessionmaker, ConnectWiseFactory(http, settings), settings, clock=lambda: later
        )
        assert await execute_run(deps, run, "survivor") == "succeeded"

    (addition,) = world.pro_rata_additions()
    assert len(world.posts()) == 1  # adopted, not posted again
    item = await world.item(run_id)
    assert item.outcome == "pro_rata_created"
    assert item.pro_rata is not None
    assert (item.pro_rata["addition_id"], item.pro_rata["adopted"]) == (addition.id, True)
    (charge,) = await world.charges()
    assert (charge.status, charge.cw_addition_id) == ("created", addition.id)


async def _work(run_id: uuid.UUID, now: datetime) -> None:
    """The doomed worker: claim the queued run and execute it until killed."""
    settings = Settings()
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    async with unit_of_work(sessionmaker) as session:
        (run,) = await run_repository.claim_runs(
            session, owner="doomed", now=now, lease_seconds=LEASE_SECONDS, limit=1
        )
    assert run.id == run_id
    async with httpx.AsyncClient(follow_redirects=False) as http:
        deps = SyncDeps(
            sessionmaker, ConnectWiseFactory(http, settings), settings, clock=lambda: now
        )
        await execute_run(deps, run, "doomed")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_work(uuid.UUID(sys.argv[1]), datetime.fromisoformat(sys.argv[2])))
