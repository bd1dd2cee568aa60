"""Exactly once when things go wrong: a pending charge whose POST may have landed, a POST
ConnectWise refused, a POST whose answer never came, and a month another run is posting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cwsync.config import Settings
from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import SyncRun
from cwsync.simulator.testing import AsyncSimulatorAdmin
from cwsync.sync import charges
from tests.sync.test_pro_rata_sync import (
    COST,
    DESCRIPTION,
    FEB_1,
    PRICE,
    SEED_EXAMPLE,
    TENANT,
    World,
    local,
    make_world,
    simulator,
)

JANUARY = charges.ChargeValues(
    agreement_id=1578,
    quantity=20,
    effective_date=date(2027, 1, 15),
    cancelled_date=date(2027, 1, 31),
    unit_price=PRICE,
    unit_cost=COST,
)


def addition(**overrides: Any) -> dict[str, Any]:
    """The addition an interrupted run would have created for January."""
    return {
        "agreementId": 1578,
        "product": {"id": 812},
        "quantity": 20,
        "unitPrice": PRICE,
        "unitCost": COST,
        "billCustomer": "Billable",
        "effectiveDate": "2027-01-15T00:00:00Z",
        "cancelledDate": "2027-01-31T00:00:00Z",
        "invoiceDescription": DESCRIPTION,
        **overrides,
    }


@pytest.fixture
async def world(sessionmaker: SessionMaker, settings: Settings) -> AsyncIterator[World]:
    async with simulator() as sim:
        yield await make_world(sessionmaker, settings, sim)


async def pending_charge(world: World, run_id: Any = None) -> None:
    async with unit_of_work(world.sessionmaker) as session:
        await charges.insert_charge(
            session,
            client_id=world.client_id,
            month=date(2027, 1, 1),
            values=JANUARY,
            status=charges.PENDING,
            run_id=run_id,
        )


async def test_a_pending_charge_adopts_the_addition_already_there(world: World) -> None:
    await world.report(*SEED_EXAMPLE)
    await pending_charge(world)
    async with AsyncSimulatorAdmin(world.sim.base_url) as admin:
        # Same charge, but a partner already edited its price: price is not part of the match.
        await admin.create(TENANT, "additions", addition(quantity=21))
        created = await admin.create(TENANT, "additions", addition(unitPrice=Decimal("6")))
    adopted_id = created["id"]

    item = await world.sync(FEB_1)

    assert world.posts() == []
    assert item.outcome == "pro_rata_created"
    assert item.pro_rata is not None
    assert (item.pro_rata["addition_id"], item.pro_rata["adopted"]) == (adopted_id, True)
    (charge,) = await world.charges()
    assert (charge.status, charge.cw_addition_id) == ("created", adopted_id)


async def test_a_pending_charge_is_looked_for_where_it_was_posted(world: World) -> None:
    """The client was mapped to agreement 1579 when the POST went out, to 1578 since."""
    await world.report(*SEED_EXAMPLE)
    async with unit_of_work(world.sessionmaker) as session:
        await charges.insert_charge(
            session,
            client_id=world.client_id,
            month=date(2027, 1, 1),
            values=replace(JANUARY, agreement_id=1579),
            status=charges.PENDING,
            run_id=None,
        )
    async with AsyncSimulatorAdmin(world.sim.base_url) as admin:
        created = await admin.create(TENANT, "additions", addition(agreementId=1579))

    item = await world.sync(FEB_1)

    assert world.posts() == []
    assert item.pro_rata is not None and item.pro_rata["addition_id"] == created["id"]
    (charge,) = await world.charges()
    assert (charge.status, charge.cw_addition_id) == ("created", created["id"])


async def test_a_pending_charge_without_its_addition_posts_once(world: World) -> None:
    await world.report(*SEED_EXAMPLE)
    await pending_charge(world)
    async with AsyncSimulatorAdmin(world.sim.base_url) as admin:
        # Looks alike but is not it: another product, and another month's dates.
        await admin.create(TENANT, "additions", addition(product={"id": 813}))
        await admin.create(TENANT, "additions", addition(effectiveDate="2026-12-15T00:00:00Z"))

    item = await world.sync(FEB_1)
    again = await world.sync(FEB_1 + timedelta(hours=1))

    (post,) = world.posts()
    assert (post.body["quantity"], post.body["effectiveDate"]) == (20, "2027-01-15T00:00:00Z")
    assert item.outcome == "pro_rata_created"
    assert item.pro_rata is not None and item.pro_rata["addition_id"] == post.response_body["id"]
    assert again.pro_rata is None


async def test_a_refused_post_fails_the_item_and_the_next_run_creates_one(world: World) -> None:
    await world.report(*SEED_EXAMPLE)
    async with AsyncSimulatorAdmin(world.sim.base_url) as admin:
        await admin.add_fault(kind="error", status=500, body="permanent", methods=["POST"], count=1)

    failed = await world.sync(FEB_1)
    (charge,) = await world.charges()
    retried = await world.sync(local("2027-02-02", hour=2))
    later = await world.sync(local("2027-02-03", hour=2))

    assert failed.outcome == "failed"
    assert failed.error_code == "pro_rata_failed"
    assert failed.error_message is not None and "Error converting value" in failed.error_message
    assert (failed.quantity_before, failed.quantity_after) == (Decimal(1000), Decimal(1020))
    assert failed.pro_rata is not None and failed.pro_rata["status"] == "failed"
    assert charge.status == "failed" and charge.error_message
    async with world.sessionmaker() as session:
        run = await session.get(SyncRun, failed.run_id)
    # The run's only item failed, so the run did too ("partial" with other clients).
    assert run is not None and run.status == "failed"

    assert retried.outcome == "pro_rata_created"
    assert later.pro_rata is None
    assert len(world.posts()) == 2
    assert len(world.pro_rata_additions()) == 1
    (charge,) = await world.charges()
    assert (charge.status, charge.error_message) == ("created", None)


async def test_an_unknown_outcome_is_adopted_not_posted_again(world: World) -> None:
    """ConnectWise created the addition, then answered 503: the POST's fate is unknown."""
    await world.report(*SEED_EXAMPLE)
    async with AsyncSimulatorAdmin(world.sim.base_url) as admin:
        await admin.add_fault(
            kind="error", status=503, methods=["POST"], count=1, process_first=True
        )

    unknown = await world.sync(FEB_1)
    (pending,) = await world.charges()
    resumed = await world.sync(local("2027-02-02", hour=2))

    assert unknown.outcome == "failed"
    assert unknown.error_code == "pro_rata_outcome_unknown"
    assert pending.status == "pending"
    assert len(world.posts()) == 1
    (created,) = world.pro_rata_additions()
    assert resumed.outcome == "pro_rata_created"
    assert resumed.pro_rata is not None and resumed.pro_rata["adopted"] is True
    (charge,) = await world.charges()
    assert (charge.status, charge.cw_addition_id) == ("created", created.id)


async def test_a_month_another_live_run_is_posting_is_left_alone(world: World) -> None:
    await world.report(*SEED_EXAMPLE)
    async with unit_of_work(world.sessionmaker) as session:
        other = SyncRun(
            partner_id=world.partner_id,
            trigger="schedule",
            run_key="schedule:elsewhere",
            status="running",
            lease_expires_at=FEB_1 + timedelta(minutes=5),
        )
        session.add(other)
        await session.flush()
        other_id = other.id
    await pending_charge(world, run_id=other_id)
    # The live run holds the partner, so claim_runs would not hand this run out: take it.
    run_id = await world.start_run(FEB_1)
    async with unit_of_work(world.sessionmaker) as session:
        run = await session.get(SyncRun, run_id)
        assert run is not None
        run.status, run.lease_owner = "running", "test"
        run.lease_expires_at = FEB_1 + timedelta(minutes=1)
    await world.execute(run, FEB_1)
    item = await world.item(run_id)

    assert world.posts() == []
    assert [r.path for r in world.sim.state.requests if r.path.endswith("/additions")] == []
    assert item.pro_rata is not None and item.pro_rata["status"] == "in_progress"
    assert item.outcome == "updated"
    (charge,) = await world.charges()
    assert (charge.status, charge.run_id) == ("pending", other_id)
