"""A partner with N mapped clients, set up fast for sync tests.

ConnectWise side: N companies, agreements and additions added to the simulator's
`northwind` tenant. cwsync side: rows inserted with the models (partner, connection with the
encrypted key, product, clients, mappings, one user count each). Runs are then driven the
way a partner or the scheduler would (the API, `run_once`, `cwsync scheduler`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal

from cwsync.clock import utcnow
from cwsync.config import Settings
from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import Client, Connection, Mapping, Partner, Product, UserCount
from cwsync.security.encryption import Keyring
from cwsync.simulator.seed import load_records
from cwsync.simulator.testing import SimulatorServer
from tests.support.simulated import CLIENT_ID, DEMO_KEYS, TENANT

PRODUCT_ID = 812  # INFIMA-SAT in the demo seed
START_QUANTITY = Decimal(10)
SEED_UNIT_COST = Decimal("3.10005")
SEED_UNIT_PRICE = Decimal("5.2456")


@dataclass
class World:
    partner_id: uuid.UUID
    client_ids: list[uuid.UUID] = field(default_factory=list)
    agreement_ids: list[int] = field(default_factory=list)
    addition_ids: list[int] = field(default_factory=list)
    counts: list[int | None] = field(default_factory=list)

    def addition_path(self, index: int) -> str:
        return (
            f"/finance/agreements/{self.agreement_ids[index]}/additions/{self.addition_ids[index]}"
        )


def default_count(index: int) -> int | None:
    return 11 + index  # never START_QUANTITY: every client needs an update on the first run


async def build_world(
    sessionmaker: SessionMaker,
    settings: Settings,
    simulator: SimulatorServer,
    *,
    clients: int = 50,
    first_id: int = 70_000,
    keys: tuple[str, str] = DEMO_KEYS,
    partner_unit_cost: Decimal | None = None,
    overwrite_cost: Callable[[int], bool] = lambda i: False,
    client_unit_cost: Callable[[int], Decimal | None] = lambda i: None,
    count: Callable[[int], int | None] = default_count,
    sync_time: time = time(2, 0),
    timezone: str = "UTC",
    with_product: bool = True,
    sync_enabled: bool = True,
    name: str = "Northwind MSP",
) -> World:
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    ids = [first_id + i for i in range(clients)]
    load_records(
        tenant,
        {
            "companies": [{"id": i, "identifier": f"C{i}", "name": f"Company {i}"} for i in ids],
            "agreements": [
                {"id": i, "name": f"Agreement {i}", "company": {"id": i}, "prorateFlag": True}
                for i in ids
            ],
            "additions": [
                {
                    "id": i,
                    "agreementId": i,
                    "product": {"id": PRODUCT_ID},
                    "quantity": START_QUANTITY,
                    "unitCost": SEED_UNIT_COST,
                    "unitPrice": SEED_UNIT_PRICE,
                    "billCustomer": "Billable",
                    "effectiveDate": "2024-01-01T00:00:00Z",
                }
                for i in ids
            ],
        },
        utcnow(),
    )
    now = utcnow()
    world = World(partner_id=uuid.uuid4(), agreement_ids=ids, addition_ids=ids)
    async with unit_of_work(sessionmaker) as session:
        session.add(
            Partner(
                id=world.partner_id,
                name=name,
                timezone=timezone,
                sync_time=sync_time,
                unit_cost=partner_unit_cost,
                sync_enabled=sync_enabled,
            )
        )
        await session.flush()
        session.add(
            Connection(
                partner_id=world.partner_id,
                site=simulator.site,
                company_id=TENANT,
                public_key=keys[0],
                private_key_encrypted=Keyring(settings.fernet_keys).encrypt(keys[1]),
                client_id=CLIENT_ID,
                codebase="v2025_1/",
                api_base_url=simulator.api_url(TENANT),
                verified_at=now,
            )
        )
        if with_product:
            session.add(
                Product(
                    partner_id=world.partner_id,
                    catalog_item_id=PRODUCT_ID,
                    identifier="INFIMA-SAT",
                    description="INFIMA Security Awareness Training",
                )
            )
        for index in range(len(ids)):
            client = Client(
                id=uuid.uuid4(),
                partner_id=world.partner_id,
                external_id=f"c-{index}",
                name=f"Client {index}",
                overwrite_cost=overwrite_cost(index),
                unit_cost=client_unit_cost(index),
            )
            session.add(client)
            world.client_ids.append(client.id)
        await session.flush()
        for index, cw_id in enumerate(ids):
            client_id = world.client_ids[index]
            session.add(
                Mapping(
                    client_id=client_id,
                    company_id=cw_id,
                    company_name=f"Company {cw_id}",
                    agreement_id=cw_id,
                    agreement_name=f"Agreement {cw_id}",
                    addition_id=cw_id,
                )
            )
            users = count(index)
            world.counts.append(users)
            if users is not None:
                session.add(
                    UserCount(
                        client_id=client_id, as_of=now - timedelta(hours=1), active_users=users
                    )
                )
    return world
