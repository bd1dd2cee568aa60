"""ConnectWise down for one partner: that partner's run fails once, with one clear error and
no per-client noise; the other partners' runs, on the same scheduler, finish."""

from __future__ import annotations

import asyncio

import pytest

from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.reliability import ledger
from tests.reliability.fleet import Fleet, wait_until
from tests.reliability.world import add_partner

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


async def test_one_partner_down_fails_once_and_the_others_finish(
    settings: Settings, sessionmaker: SessionMaker, simulator: SimulatorServer, fleet: Fleet
) -> None:
    worlds = {
        tenant: await add_partner(
            sessionmaker,
            settings,
            simulator,
            tenant=tenant,
            clients=6,
            first_id=first,
            pro_rata=lambda i: i == 0,
            name=f"{tenant} partner",
            sync_enabled=True,
        )
        for tenant, first in (("northwind", 72_000), ("southwind", 72_100), ("eastwind", 72_200))
    }
    down = simulator.state.faults.add(Fault(kind="down", tenant="southwind"))
    # Nightly runs, queued by the scheduler's own tick (sync time 00:00 UTC: due all day).
    fleet.scheduler(CWSYNC_CW_RETRY_BASE_SECONDS="0.05")

    async def three_finished() -> bool:
        runs = await ledger.runs(sessionmaker)
        return len(runs) == 3 and all(r.status in ledger.FINAL for r in runs)

    await wait_until(three_finished, 60, "the three nightly runs")
    await asyncio.sleep(3)  # three more ticks (1 s apart) of the scheduler: nothing re-queued

    runs = {r.partner_id: r for r in await ledger.runs(sessionmaker)}
    assert len(runs) == 3, "a run was queued twice"  # the failed run is not retried tonight
    failed = runs[worlds["southwind"].partner_id]
    assert (failed.status, failed.error_code, failed.attempts) == (
        "failed",
        "connectwise_unavailable",
        1,
    )
    assert failed.error_message is not None and "could not be reached" in failed.error_message
    assert "503" in failed.error_message
    assert await ledger.items(sessionmaker, failed.id) == []  # one error, not one per client
    down_paths = {
        r.path.rsplit("/apis/3.0", 1)[-1]
        for r in simulator.state.requests
        if r.tenant == "southwind"
    }
    assert down_paths == {"/system/info"}  # nothing else was tried on the down tenant
    assert down.fired == 8  # the sync's attempts (CWSYNC_CW_MAX_ATTEMPTS), then it gave up

    for tenant in ("northwind", "eastwind"):
        world = worlds[tenant]
        run = runs[world.partner_id]
        assert (run.status, run.error_code) == ("succeeded", None), fleet.tails()
        await ledger.assert_one_item_per_client(sessionmaker, world, run.id)
        ledger.assert_quantities_synced(simulator, world)
        await ledger.assert_pro_rata_exactly_once(sessionmaker, simulator, world)

    lines = [line for line in fleet.log_lines() if line.get("run_id") == str(failed.id)]
    assert [line.get("status") for line in lines if line["event"] == "run_finished"] == ["failed"]
