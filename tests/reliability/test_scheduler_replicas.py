"""Two and three `cwsync scheduler` replicas on one PostgreSQL database: the same promises as
one scheduler (each nightly run queued once, every run finished, one item per client, pro
rata billed once), with the work spread across the replicas. With three, one replica is
SIGKILLed half-way and the other two take over its runs."""

from __future__ import annotations

from collections import Counter

import pytest

from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.reliability import ledger
from tests.reliability.fleet import Fleet, wait_until
from tests.reliability.world import PartnerWorld, add_partner

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

PARTNERS = 12
# Two runs at a time per replica: no replica can take the whole queue in one claim.
WORKER = {"CWSYNC_MAX_CONCURRENT_RUNS": "2", "CWSYNC_CW_CONCURRENCY": "2"}


@pytest.mark.parametrize("replicas", [2, 3])
async def test_replicas_share_the_nightly_work_exactly_once(
    replicas: int,
    settings: Settings,
    sessionmaker: SessionMaker,
    simulator: SimulatorServer,
    fleet: Fleet,
) -> None:
    worlds: list[PartnerWorld] = [
        await add_partner(
            sessionmaker,
            settings,
            simulator,
            tenant="northwind",
            clients=8,
            first_id=74_000 + 100 * n,
            pro_rata=lambda i: i % 4 == 0,
            name=f"Partner {n}",
            sync_enabled=True,
        )
        for n in range(PARTNERS)
    ]
    simulator.state.faults.add(Fault(kind="latency", ms=40))
    started = [fleet.scheduler(**WORKER) for _ in range(replicas)]
    partners = {w.partner_id for w in worlds}

    async def done(count: int) -> bool:
        runs = await ledger.runs(sessionmaker)
        return sum(1 for r in runs if r.status in ledger.FINAL) >= count

    if replicas == 3:
        await wait_until(lambda: done(PARTNERS // 3), 60, "a third of the runs")
        started[0].kill()
    await wait_until(lambda: done(PARTNERS), 90, "every nightly run to end")

    runs = await ledger.runs(sessionmaker)
    assert sorted(r.partner_id for r in runs) == sorted(partners)  # one nightly run each
    assert Counter(r.status for r in runs) == {"succeeded": PARTNERS}, fleet.tails()
    by_partner = {r.partner_id: r for r in runs}
    for world in worlds:
        await ledger.assert_one_item_per_client(
            sessionmaker, world, by_partner[world.partner_id].id
        )
        ledger.assert_quantities_synced(simulator, world)
        await ledger.assert_pro_rata_exactly_once(sessionmaker, simulator, world)
    if replicas == 3:  # what the killed replica held was reclaimed and finished by another
        held = fleet.held_runs()[started[0].name]
        assert all(r.attempts >= 2 for r in runs if str(r.id) in held)

    finished_by = Counter(
        line["process"] for line in fleet.log_lines("scheduler") if line["event"] == "run_finished"
    )
    survivors = [c.name for c in started if c.running()]
    assert len(survivors) == (replicas if replicas == 2 else 2)
    assert all(finished_by[name] >= 2 for name in survivors), finished_by  # work was spread
    assert sum(finished_by.values()) == PARTNERS
