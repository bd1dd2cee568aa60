"""ConnectWise unkind: 10 % 5xx, 5 % timeouts and bursts of 429 with Retry-After, against a
real `cwsync scheduler` process.

What "no duplicate write" means here:
- PATCH sets absolute values, so the client retries it after a lost answer; a retry may land
  a second time with the same values. The promise is at most one *effective* PATCH per
  addition per run (one write that changed something), and every PATCH of an addition in a
  run carries the same values.
- POST is never retried once it may have reached ConnectWise (a timeout, a 5xx): the charge
  row stays `pending` and the next run adopts the addition if it landed, or posts it if it
  did not. The promise is never two pro-rata additions for one client and month.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync.context import SUCCESS_OUTCOMES
from tests.reliability import ledger
from tests.reliability.fleet import Fleet, metric, scrape, wait_until
from tests.reliability.world import add_partner

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

CLIENTS = 30
# Outcomes a POST may leave for the next run to settle (never a duplicate).
POST_LEFT_FOR_NEXT_RUN = {"pro_rata_outcome_unknown", "pro_rata_failed"}


def unkind(simulator: SimulatorServer) -> dict[str, Fault]:
    add = simulator.state.faults.add
    return {
        # Answers lost after the write was applied: the worst case for duplicates.
        "patch_lost": add(
            Fault(kind="timeout", methods=["PATCH"], after=3, count=2, process_first=True)
        ),
        # The 3rd-6th request of every 2 s: a burst of 429s asking for a second's pause.
        "throttle": add(
            Fault(kind="throttle", window_seconds=2, positions=[3, 4, 5, 6], retry_after=1)
        ),
        "error_500": add(Fault(kind="error", status=500, body="transient", probability=0.06)),
        "error_503": add(Fault(kind="error", status=503, body="html", probability=0.04)),
        "timeout": add(Fault(kind="timeout", probability=0.05)),
    }


async def test_unkind_connectwise_syncs_every_client_once_and_counts_throttles(
    settings: Settings, sessionmaker: SessionMaker, simulator: SimulatorServer, fleet: Fleet
) -> None:
    world = await add_partner(
        sessionmaker,
        settings,
        simulator,
        tenant="northwind",
        clients=CLIENTS,
        first_id=71_000,
        pro_rata=lambda i: i % 5 == 0,
    )
    faults = unkind(simulator)
    first = await ledger.queue_run(sessionmaker, world.partner_id)
    _, metrics_url = fleet.scheduler_with_metrics(
        CWSYNC_CW_TIMEOUT_SECONDS="1", CWSYNC_CW_RETRY_BASE_SECONDS="0.05"
    )
    await wait_until(lambda: ledger.finished(sessionmaker, {first}), 150, "the unkind run")

    run = await ledger.run(sessionmaker, first)
    found = await ledger.assert_one_item_per_client(sessionmaker, world, first)
    ledger.assert_quantities_synced(simulator, world)  # every client's count is in ConnectWise
    failures = {i.error_code for i in found if i.outcome not in SUCCESS_OUTCOMES}
    assert failures <= POST_LEFT_FOR_NEXT_RUN, [(i.error_code, i.error_message) for i in found]
    assert run.status == ("succeeded" if not failures else "partial")
    assert run.error_code is None

    patches: dict[int, list[Any]] = defaultdict(list)
    for write in simulator.state.writes:
        if write.method == "PATCH":
            patches[write.addition_id].append(write)
    assert set(patches) == {c.cw_id for c in world.clients}
    for addition_id, writes in patches.items():
        effective = [w for w in writes if w.changed]
        assert len(effective) == 1, (addition_id, writes)
        assert len({str(w.after["quantity"]) for w in writes}) == 1
    assert faults["patch_lost"].fired == 2
    assert any(len(w) > 1 for w in patches.values()), "no PATCH landed twice: fault not exercised"

    # Throttles: every 429 ConnectWise sent was counted, and waited out, by the scheduler.
    samples = await scrape(metrics_url)
    throttled = faults["throttle"].fired
    assert throttled > 0
    assert metric(samples, "cwsync_cw_throttles_total") == throttled
    assert metric(samples, "cwsync_cw_requests_total", status="429") == throttled
    assert metric(samples, "cwsync_cw_retries_total", reason="throttled") == throttled
    assert faults["error_500"].fired + faults["error_503"].fired > 0
    assert faults["timeout"].fired + faults["patch_lost"].fired >= 2  # answers lost to timeouts

    # ConnectWise recovers: the next run settles what the first left, never posting twice,
    # and has no PATCH to send (every addition already holds its count).
    simulator.state.faults.clear()
    writes_before = len(simulator.state.writes)
    second = await ledger.queue_run(sessionmaker, world.partner_id)
    await wait_until(lambda: ledger.finished(sessionmaker, {second}), 60, "the second run")
    assert (await ledger.run(sessionmaker, second)).status == "succeeded", fleet.tails()
    await ledger.assert_one_item_per_client(sessionmaker, world, second)
    await ledger.assert_pro_rata_exactly_once(sessionmaker, simulator, world)
    later = simulator.state.writes[writes_before:]
    assert {w.method for w in later} <= {"POST"}
    assert len(later) == sum(1 for i in found if i.error_code in POST_LEFT_FOR_NEXT_RUN) - sum(
        1 for i in await ledger.items(sessionmaker, second) if (i.pro_rata or {}).get("adopted")
    )
