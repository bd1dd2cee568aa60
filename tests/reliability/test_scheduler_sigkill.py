"""SIGKILL of the scheduler at random points, 20 times in a row, over nightly runs that bill
last month's pro rata; then one last scheduler finishes what is left.

Kill points come from a seeded RNG: during start-up (before or while claiming), after the
k-th ConnectWise request of the process (mid-read, mid-PATCH, between batches), or right
after a pro-rata POST landed in ConnectWise and before cwsync could record it (the worst
moment). Each process works two runs at a time, so a killed process leaves at most two runs
whose lease (5 s) must run out before another process reclaims them; meanwhile the next
process takes other runs. Promises: every run ends `succeeded`, one item per client per
run, every count in ConnectWise, never two pro-rata additions for one client and month.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import pytest

from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.demo.processes import ChildProcess
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.reliability import ledger
from tests.reliability.fleet import Fleet, wait_until
from tests.reliability.world import PartnerWorld, add_partner

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

KILLS = 20
PARTNERS = 24
SEED = 20_261_203
WORKER = {"CWSYNC_MAX_CONCURRENT_RUNS": "2", "CWSYNC_CW_CONCURRENCY": "2"}


def posts(simulator: SimulatorServer) -> int:
    return sum(1 for w in simulator.state.writes if w.method == "POST")


async def kill_at_random_point(
    rng: random.Random, simulator: SimulatorServer, child: ChildProcess
) -> str:
    """Wait for the point the RNG picks, then SIGKILL the process; what the point was."""
    mode = rng.choices(["start-up", "requests", "after-post"], weights=[2, 5, 3])[0]
    requests, posted = len(simulator.state.requests), posts(simulator)
    deadline = time.monotonic() + 10  # nothing left to do: kill anyway
    if mode == "start-up":
        await asyncio.sleep(rng.uniform(0.1, 1.5))
    else:
        wanted = rng.randint(1, 40)
        while time.monotonic() < deadline and child.running():
            if mode == "requests" and len(simulator.state.requests) - requests >= wanted:
                break
            if mode == "after-post" and posts(simulator) > posted:
                break
            await asyncio.sleep(0.003)  # another process's progress: nothing to inject
        mode = f"{mode}:{wanted}"
    assert child.running(), child.tail()
    child.kill()
    return mode


async def test_twenty_sigkills_lose_nothing_and_bill_pro_rata_once(
    settings: Settings, sessionmaker: SessionMaker, simulator: SimulatorServer, fleet: Fleet
) -> None:
    worlds: list[PartnerWorld] = []
    for n in range(PARTNERS):
        worlds.append(
            await add_partner(
                sessionmaker,
                settings,
                simulator,
                tenant="northwind",
                clients=10,
                first_id=73_000 + 100 * n,
                pro_rata=lambda i: i % 3 == 0,
                name=f"Partner {n}",
                sync_enabled=True,
            )
        )
    # Slow enough that kills land inside runs: a run takes a second or two.
    simulator.state.faults.add(Fault(kind="latency", ms=50))
    rng = random.Random(SEED)
    points = []
    for _ in range(KILLS):
        points.append(await kill_at_random_point(rng, simulator, fleet.scheduler(**WORKER)))

    killed_mid_run = [p for p, runs in fleet.held_runs().items() if runs]
    fleet.scheduler(**{**WORKER, "CWSYNC_MAX_CONCURRENT_RUNS": "8"})  # the survivor
    run_ids = {w.partner_id for w in worlds}

    async def all_done() -> bool:
        runs = await ledger.runs(sessionmaker)
        return {r.partner_id for r in runs} == run_ids and all(
            r.status in ledger.FINAL for r in runs
        )

    await wait_until(all_done, 120, "every nightly run to end")

    runs = {r.partner_id: r for r in await ledger.runs(sessionmaker)}
    assert len(await ledger.runs(sessionmaker)) == PARTNERS  # one nightly run each, ever
    assert Counter(r.status for r in runs.values()) == {"succeeded": PARTNERS}, fleet.tails()
    for world in worlds:
        await ledger.assert_one_item_per_client(sessionmaker, world, runs[world.partner_id].id)
        ledger.assert_quantities_synced(simulator, world)
        await ledger.assert_pro_rata_exactly_once(sessionmaker, simulator, world)

    # The kills did hit work in progress, and the work was taken over.
    assert len(killed_mid_run) >= KILLS // 2, (points, killed_mid_run)
    reclaimed = [r for r in runs.values() if r.attempts > 1]
    assert len(reclaimed) >= KILLS // 4, points
    assert sum(1 for p in points if p.startswith("after-post")) >= 3, points
