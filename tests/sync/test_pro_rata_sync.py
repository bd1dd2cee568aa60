"""Pro rata inside the nightly sync, end to end: the executor, the simulator over real HTTP,
SQLite and PostgreSQL. "Now" is injected into the run (`SyncDeps.clock`).

`World` (also used by the recovery and crash tests) is one partner on a ConnectWise tenant
with two agreements: 1578 (prorated) holding the primary addition 9001, and 1579 (not
prorated) holding 9011. Unit price and cost carry four and five decimals (C17).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import (
    Client,
    Connection,
    Mapping,
    Partner,
    Product,
    ProRataCharge,
    SyncItem,
    SyncRun,
    UserCount,
)
from cwsync.security.encryption import Keyring
from cwsync.simulator.jsonio import dumps_bytes
from cwsync.simulator.requestlog import RequestRecord
from cwsync.simulator.seed import apply_seed
from cwsync.simulator.state import SimulatorState
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync import run_repository
from cwsync.sync.executor import SyncDeps, execute_run
from tests.connectwise.conformance import load_spec, request_problems
from tests.support.conformance import assert_simulator_traffic_conforms

TENANT = "northwind"
PUBLIC_KEY, PRIVATE_KEY = "pro-rata-public", "pro-rata-private"
PRICE, COST = Decimal("5.2456"), Decimal("3.10005")
DESCRIPTION = "Security Awareness Training New Users"
ADDITIONS_PATH = "/finance/agreements/1578/additions"


def seed() -> dict[str, Any]:
    def agreement(agreement_id: int, prorate: bool) -> dict[str, Any]:
        return {
            "id": agreement_id,
            "name": f"Managed Services {agreement_id}",
            "company": {"id": 250},
            "agreementStatus": "Active",
            "startDate": "2024-01-01T00:00:00Z",
            "billingCycle": {"id": 1, "name": "Monthly"},
            "prorateFlag": prorate,
        }

    def primary(addition_id: int, agreement_id: int) -> dict[str, Any]:
        return {
            "id": addition_id,
            "agreementId": agreement_id,
            "product": {"id": 812},
            "quantity": 1000,
            "unitPrice": PRICE,
            "unitCost": COST,
            "billCustomer": "Billable",
            "effectiveDate": "2024-01-01T00:00:00Z",
            "invoiceDescription": "Security Awareness Training",
        }

    return {
        "tenants": [
            {
                "company_id": TENANT,
                "company_name": "Northwind MSP",
                "members": [
                    {
                        "public_key": PUBLIC_KEY,
                        "private_key": PRIVATE_KEY,
                        "identifier": "cwsync",
                        "active": True,
                        "permissions": ["*"],
                    }
                ],
                "companies": [{"id": 250, "identifier": "Contoso", "name": "Contoso Ltd"}],
                "catalog": [
                    {"id": 812, "identifier": "INFIMA-SAT", "description": "INFIMA SAT"},
                    {"id": 813, "identifier": "OTHER", "description": "Something else"},
                ],
                "agreements": [agreement(1578, True), agreement(1579, False)],
                "additions": [primary(9001, 1578), primary(9011, 1579)],
            }
        ]
    }


@dataclass
class World:
    sim: SimulatorServer
    sessionmaker: SessionMaker
    settings: Settings
    partner_id: uuid.UUID
    client_id: uuid.UUID

    async def report(self, *rows: tuple[datetime, int]) -> None:
        async with unit_of_work(self.sessionmaker) as session:
            for as_of, users in rows:
                session.add(UserCount(client_id=self.client_id, as_of=as_of, active_users=users))

    async def sync(self, now: datetime, *, dry_run: bool = False) -> SyncItem:
        """Queue a manual run at `now`, claim it and execute it; this client's item."""
        run_id = await self.start_run(now, dry_run=dry_run)
        async with unit_of_work(self.sessionmaker) as session:
            (run,) = await run_repository.claim_runs(
                session, owner="test", now=now, lease_seconds=60, limit=1
            )
        assert run.id == run_id
        await self.execute(run, now)
        return await self.item(run_id)

    async def start_run(self, now: datetime, *, dry_run: bool = False) -> uuid.UUID:
        async with unit_of_work(self.sessionmaker) as session:
            run_id = await run_repository.insert_run(
                session,
                partner_id=self.partner_id,
                trigger="manual",
                run_key=f"manual:{uuid.uuid4()}",
                dry_run=dry_run,
                now=now,
            )
        assert run_id is not None
        return run_id

    async def execute(self, run: SyncRun, now: datetime) -> str | None:
        async with httpx.AsyncClient(follow_redirects=False) as http:
            factory = ConnectWiseFactory(http, self.settings)
            deps = SyncDeps(self.sessionmaker, factory, self.settings, clock=lambda: now)
            return await execute_run(deps, run, "test")

    async def item(self, run_id: uuid.UUID) -> SyncItem:
        async with self.sessionmaker() as session:
            item = await session.scalar(
                select(SyncItem).where(
                    SyncItem.run_id == run_id, SyncItem.client_id == self.client_id
                )
            )
        assert item is not None, "the run wrote no item for the client"
        return item

    async def charges(self) -> list[ProRataCharge]:
        async with self.sessionmaker() as session:
            rows = await session.scalars(
                select(ProRataCharge)
                .where(ProRataCharge.client_id == self.client_id)
                .order_by(ProRataCharge.month)
            )
            return list(rows.all())

    async def mapping(self) -> Mapping:
        async with self.sessionmaker() as session:
            mapping = await session.scalar(
                select(Mapping).where(Mapping.client_id == self.client_id)
            )
        assert mapping is not None
        return mapping

    def posts(self) -> list[RequestRecord]:
        return [r for r in self.sim.state.requests if r.method == "POST"]

    def pro_rata_additions(self, agreement_id: int = 1578) -> list[Any]:
        tenant = self.sim.state.tenant(TENANT)
        assert tenant is not None
        found = tenant.additions_by_agreement.get(agreement_id, {}).values()
        return [a for a in found if a.invoice_description == DESCRIPTION]


async def make_world(
    sessionmaker: SessionMaker,
    settings: Settings,
    sim: SimulatorServer,
    *,
    timezone: str = "America/Chicago",
    agreement_id: int = 1578,
    addition_id: int = 9001,
    overwrite_cost: bool = False,
    unit_cost: Decimal | None = None,
) -> World:
    async with unit_of_work(sessionmaker) as session:
        partner = Partner(name="Northwind MSP", timezone=timezone)
        session.add(partner)
        await session.flush()
        session.add(
            Connection(
                partner_id=partner.id,
                site=sim.site,
                company_id=TENANT,
                public_key=PUBLIC_KEY,
                private_key_encrypted=Keyring(settings.fernet_keys).encrypt(PRIVATE_KEY),
                client_id="3f1c7c1e-0000-4000-8000-000000000001",
                codebase="v2025_1/",
                api_base_url=sim.api_url(TENANT),
            )
        )
        session.add(Product(partner_id=partner.id, catalog_item_id=812, identifier="INFIMA-SAT"))
        client = Client(
            partner_id=partner.id,
            external_id="c-17",
            name="Contoso",
            include_pro_rata=True,
            overwrite_cost=overwrite_cost,
            unit_cost=unit_cost,
        )
        session.add(client)
        await session.flush()
        session.add(
            Mapping(
                client_id=client.id,
                company_id=250,
                agreement_id=agreement_id,
                addition_id=addition_id,
            )
        )
        return World(sim, sessionmaker, settings, partner.id, client.id)


def simulator() -> SimulatorServer:
    """The simulator holding `seed()`, not started yet (`async with simulator() as sim`)."""
    state = SimulatorState()
    apply_seed(state, seed())
    return SimulatorServer(state)


@pytest.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    async with simulator() as server:
        yield server
        assert_simulator_traffic_conforms(server.state)


@pytest.fixture
async def world(sessionmaker: SessionMaker, settings: Settings, sim: SimulatorServer) -> World:
    return await make_world(sessionmaker, settings, sim)


def local(day: str, tz: str = "America/Chicago", hour: int = 9) -> datetime:
    """An instant on a partner-local day (reports arrive in the morning)."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=ZoneInfo(tz)).astimezone(UTC)


SEED_EXAMPLE = (
    (local("2027-01-01"), 1000),
    (local("2027-01-10"), 970),
    (local("2027-01-15"), 1020),
)
FEB_1 = local("2027-02-01", hour=2)  # the nightly run at 02:00 in Chicago (08:00 UTC)


async def test_seed_example_posts_exactly_this_addition(world: World) -> None:
    await world.report(*SEED_EXAMPLE)

    item = await world.sync(FEB_1)

    (post,) = world.posts()
    assert post.path.endswith(ADDITIONS_PATH)
    assert post.body == {
        "product": {"id": 812},
        "billCustomer": "Billable",
        "quantity": 20,
        "unitPrice": PRICE,
        "unitCost": COST,
        "effectiveDate": "2027-01-15T00:00:00Z",
        "cancelledDate": "2027-01-31T00:00:00Z",
        "invoiceDescription": DESCRIPTION,
    }
    # Equal Decimals can differ in digits (5.2456 vs 5.24560): the bytes sent must not.
    assert (str(post.body["unitPrice"]), str(post.body["unitCost"])) == ("5.2456", "3.10005")
    created_id = post.response_body["id"]

    assert item.outcome == "pro_rata_created"
    assert (item.quantity_before, item.quantity_after) == (Decimal(1000), Decimal(1020))
    assert item.pro_rata == {
        "month": "2027-01",
        "baseline": 1000,
        "end": 1020,
        "quantity": 20,
        "effective_date": "2027-01-15",
        "cancelled_date": "2027-01-31",
        "unit_price": "5.2456",
        "unit_cost": "3.10005",
        "addition_id": created_id,
        "status": "created",
    }
    (charge,) = await world.charges()
    assert (charge.month, charge.status, charge.cw_addition_id) == (
        date(2027, 1, 1),
        "created",
        created_id,
    )
    assert (charge.quantity, charge.unit_price, charge.unit_cost) == (20, PRICE, COST)
    assert len(world.pro_rata_additions()) == 1


async def test_every_request_of_a_pro_rata_night_conforms_to_connectwise(world: World) -> None:
    """The reads, the PATCH, the POST and the adoption listing, checked against the OpenAPI
    document (skipped without ../shared, required in CI)."""
    spec = load_spec()
    await world.report(*SEED_EXAMPLE)
    await world.sync(FEB_1)
    async with unit_of_work(world.sessionmaker) as session:
        charge = await session.scalar(select(ProRataCharge))
        assert charge is not None
        charge.status = "pending"  # as if the answer had been lost: the next run lists
    await world.sync(local("2027-02-02", hour=2))

    requests = list(world.sim.state.requests)
    assert {"GET", "PATCH", "POST"} <= {r.method for r in requests}
    assert any(r.method == "GET" and r.path.endswith(ADDITIONS_PATH) for r in requests)
    for record in requests:
        body = dumps_bytes(record.body) if record.body is not None else None
        url = world.sim.base_url + record.path + "?" + urlencode(record.query)
        assert request_problems(spec, record.method, url, record.headers, body) == []


async def test_the_charge_copies_the_primary_as_this_run_left_it(
    sessionmaker: SessionMaker, settings: Settings, sim: SimulatorServer
) -> None:
    """Overwrite cost changes the primary's unit cost first; the charge copies the new cost."""
    world = await make_world(
        sessionmaker, settings, sim, overwrite_cost=True, unit_cost=Decimal("2.9876")
    )
    await world.report(*SEED_EXAMPLE)

    item = await world.sync(FEB_1)

    methods = [r.method for r in sim.state.requests if "/additions" in r.path]
    assert methods == ["GET", "PATCH", "POST"]
    (post,) = world.posts()
    assert (post.body["unitPrice"], post.body["unitCost"]) == (PRICE, Decimal("2.9876"))
    assert item.unit_cost_after == Decimal("2.9876")
    assert item.outcome == "pro_rata_created"


async def test_each_month_is_billed_once_even_after_downtime(world: World) -> None:
    """Down over the boundary: the first run back (3 Feb) bills January; later runs do not;
    March's first run bills February and never January again."""
    await world.report(*SEED_EXAMPLE, (local("2027-02-10"), 1050))

    first = await world.sync(local("2027-02-03", hour=2))
    again = await world.sync(local("2027-02-04", hour=2))
    same_night = await world.sync(local("2027-02-04", hour=15))
    march = await world.sync(local("2027-03-01", hour=2))

    assert first.outcome == "pro_rata_created"
    assert first.pro_rata is not None and first.pro_rata["quantity"] == 20
    assert [i.pro_rata for i in (again, same_night)] == [None, None]
    assert again.outcome == "unchanged"
    assert march.outcome == "pro_rata_created"
    assert march.pro_rata is not None
    assert (march.pro_rata["month"], march.pro_rata["quantity"]) == ("2027-02", 30)
    assert march.pro_rata["effective_date"] == "2027-02-10"
    assert march.pro_rata["cancelled_date"] == "2027-02-28"
    assert [(c.month, c.quantity) for c in await world.charges()] == [
        (date(2027, 1, 1), 20),
        (date(2027, 2, 1), 30),
    ]
    assert [p.body["effectiveDate"] for p in world.posts()] == [
        "2027-01-15T00:00:00Z",
        "2027-02-10T00:00:00Z",
    ]


async def test_no_growth_is_recorded_and_never_looked_at_again(world: World) -> None:
    await world.report((local("2026-12-15"), 1000), (local("2027-01-20"), 990))

    item = await world.sync(FEB_1)
    # A count for January arriving late does not bill January on a later night.
    await world.report((local("2027-01-31", hour=20), 1100))
    later = await world.sync(local("2027-02-02", hour=2))

    assert item.outcome == "updated"
    assert item.pro_rata == {
        "month": "2027-01",
        "baseline": 1000,
        "end": 990,
        "quantity": 0,
        "effective_date": None,
        "cancelled_date": None,
        "unit_price": None,
        "unit_cost": None,
        "addition_id": None,
        "status": "nothing_due",
    }
    assert later.pro_rata is None
    assert world.posts() == []
    (charge,) = await world.charges()
    assert (charge.status, charge.quantity, charge.cw_addition_id) == ("nothing_due", 0, None)


async def test_dry_run_shows_the_charge_and_writes_nothing(world: World) -> None:
    await world.report(*SEED_EXAMPLE)

    item = await world.sync(FEB_1, dry_run=True)

    assert item.outcome == "would_create_pro_rata"
    assert item.pro_rata is not None
    assert item.pro_rata["status"] == "would_create"
    assert (item.pro_rata["effective_date"], item.pro_rata["cancelled_date"]) == (
        "2027-01-15",
        "2027-01-31",
    )
    assert (item.pro_rata["quantity"], item.pro_rata["unit_price"]) == (20, "5.2456")
    assert item.pro_rata["unit_cost"] == "3.10005"
    assert [r.method for r in world.sim.state.requests if r.method != "GET"] == []
    assert await world.charges() == []

    real = await world.sync(FEB_1)
    assert real.outcome == "pro_rata_created"
    assert len(world.pro_rata_additions()) == 1


async def test_an_agreement_that_does_not_prorate_is_warned_about(
    sessionmaker: SessionMaker, settings: Settings, sim: SimulatorServer
) -> None:
    world = await make_world(sessionmaker, settings, sim, agreement_id=1579, addition_id=9011)
    await world.report(*SEED_EXAMPLE)

    item = await world.sync(FEB_1)

    codes = [w["code"] for w in item.warnings]
    assert codes == ["agreement_not_prorated"]
    assert [w["code"] for w in (await world.mapping()).warnings] == ["agreement_not_prorated"]
    # The charge is still made: the partner decides whether to tick the box.
    assert item.outcome == "pro_rata_created"
    assert len(world.pro_rata_additions(1579)) == 1


@pytest.mark.parametrize(
    ("tz", "posted_at_first", "posted_at_second"),
    [
        # UTC+14: 2027-01-31 12:00Z is already 1 February, 02:00, so January is due; the
        # 130 reported at 11:00Z fell on 1 February there and is not January's.
        ("Pacific/Kiritimati", (10, "2027-01-20T00:00:00Z"), None),
        # UTC−10: still 31 January at the first run (December is due, with no counts); the
        # next day's run bills January, the 130 included (on 31 January locally).
        ("Pacific/Honolulu", None, (30, "2027-01-27T00:00:00Z")),
    ],
)
async def test_the_month_boundary_is_the_partners(
    sessionmaker: SessionMaker,
    settings: Settings,
    sim: SimulatorServer,
    tz: str,
    posted_at_first: tuple[int, str] | None,
    posted_at_second: tuple[int, str] | None,
) -> None:
    world = await make_world(sessionmaker, settings, sim, timezone=tz)
    await world.report(
        (datetime(2026, 12, 20, tzinfo=UTC), 100),
        (datetime(2027, 1, 20, tzinfo=UTC), 110),
        (datetime(2027, 1, 31, 11, tzinfo=UTC), 130),
    )

    await world.sync(datetime(2027, 1, 31, 12, tzinfo=UTC))
    first = [(p.body["quantity"], p.body["effectiveDate"]) for p in world.posts()]
    await world.sync(datetime(2027, 2, 1, 12, tzinfo=UTC))
    second = [(p.body["quantity"], p.body["effectiveDate"]) for p in world.posts()][len(first) :]

    assert first == ([posted_at_first] if posted_at_first else [])
    assert second == ([posted_at_second] if posted_at_second else [])
    assert {p.body["cancelledDate"] for p in world.posts()} == {"2027-01-31T00:00:00Z"}
    assert len(world.pro_rata_additions()) == 1
