"""What the database and the simulator say after a scenario, and the promises checked on it.

The promises of issue 9, for one partner's run:
- the run ended (not `queued` or `running`);
- exactly one item per client of the partner;
- every primary addition in ConnectWise holds the client's count;
- never two pro-rata additions for one client and month, and once the month is settled
  exactly one, of `GROWTH` seats, recorded on a `created` charge.
"""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from cwsync.clock import utcnow
from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import ProRataCharge, SyncItem, SyncRun
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync import run_repository
from cwsync.sync.runs import manual_run_key
from tests.reliability.world import GROWTH, PRO_RATA_DESCRIPTION, PartnerWorld

FINAL = {"succeeded", "partial", "failed"}


async def queue_run(sessionmaker: SessionMaker, partner_id: uuid.UUID) -> uuid.UUID:
    """A manual run, queued the way `POST …/sync-runs` queues it."""
    async with unit_of_work(sessionmaker) as session:
        run_id = await run_repository.insert_run(
            session,
            partner_id=partner_id,
            trigger="manual",
            run_key=manual_run_key(),
            dry_run=False,
            now=utcnow(),
        )
    assert run_id is not None
    return run_id


async def runs(sessionmaker: SessionMaker) -> list[SyncRun]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(SyncRun))).all())


async def run(sessionmaker: SessionMaker, run_id: uuid.UUID) -> SyncRun:
    async with sessionmaker() as session:
        found = await session.get(SyncRun, run_id)
    assert found is not None
    return found


async def finished(sessionmaker: SessionMaker, run_ids: set[uuid.UUID]) -> bool:
    done = {r.id for r in await runs(sessionmaker) if r.status in FINAL}
    return run_ids <= done


async def items(sessionmaker: SessionMaker, run_id: uuid.UUID) -> list[SyncItem]:
    async with sessionmaker() as session:
        rows = await session.scalars(select(SyncItem).where(SyncItem.run_id == run_id))
        return list(rows.all())


async def charges(sessionmaker: SessionMaker) -> list[ProRataCharge]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(ProRataCharge))).all())


def cw_quantity(simulator: SimulatorServer, world: PartnerWorld, addition_id: int) -> Decimal:
    tenant = simulator.state.tenant(world.tenant)
    assert tenant is not None
    return Decimal(tenant.additions[addition_id].quantity)


def pro_rata_additions(simulator: SimulatorServer, world: PartnerWorld) -> dict[int, list[Any]]:
    """Agreement id → the pro-rata additions ConnectWise holds on it."""
    tenant = simulator.state.tenant(world.tenant)
    assert tenant is not None
    return {
        spec.cw_id: [
            a
            for a in tenant.additions_by_agreement.get(spec.cw_id, {}).values()
            if a.invoice_description == PRO_RATA_DESCRIPTION
        ]
        for spec in world.clients
    }


async def assert_one_item_per_client(
    sessionmaker: SessionMaker, world: PartnerWorld, run_id: uuid.UUID
) -> list[SyncItem]:
    found = await items(sessionmaker, run_id)
    per_client = Counter(item.client_id for item in found)
    assert set(per_client) == world.client_ids, "a client of the run has no item"
    assert set(per_client.values()) == {1}, "a client has two items in one run"
    return found


def assert_quantities_synced(simulator: SimulatorServer, world: PartnerWorld) -> None:
    wrong = {
        spec.cw_id: (cw_quantity(simulator, world, spec.cw_id), spec.users)
        for spec in world.clients
        if cw_quantity(simulator, world, spec.cw_id) != Decimal(spec.users)
    }
    assert not wrong, f"additions not synced (has, wants): {wrong}"


async def assert_pro_rata_exactly_once(
    sessionmaker: SessionMaker, simulator: SimulatorServer, world: PartnerWorld
) -> None:
    """One addition of GROWTH seats per pro-rata client, none for the others, and the
    charge row that records it."""
    additions = pro_rata_additions(simulator, world)
    expected = {spec.cw_id for spec in world.pro_rata_clients}
    counts = {agreement: len(found) for agreement, found in additions.items() if found}
    assert counts == dict.fromkeys(expected, 1), f"pro-rata additions per agreement: {counts}"
    for agreement in expected:
        (addition,) = additions[agreement]
        assert Decimal(addition.quantity) == Decimal(GROWTH)
    by_client = {c.client_id: c for c in await charges(sessionmaker)}
    for spec in world.pro_rata_clients:
        charge = by_client[spec.client_id]
        assert (charge.status, charge.quantity) == ("created", GROWTH)
        assert charge.cw_addition_id == additions[spec.cw_id][0].id
