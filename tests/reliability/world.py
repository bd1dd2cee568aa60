"""Partners, clients and ConnectWise tenants for the reliability scenarios.

A scenario runs real `cwsync scheduler` processes against a simulator holding one or more
copies of the demo tenant (same API members and catalog, one tenant per partner when a fault
must hit only one partner). `add_partner` inserts what the API would have stored — partner,
verified connection with the encrypted key, product, clients, mappings, user counts — and
the matching companies, agreements and additions in the partner's tenant.

Pro-rata clients carry last month's history: `BASELINE` users before the month began and
`BASELINE + GROWTH` from the 15th on (and still now), so every run on any day of the current
month owes exactly one addition of `GROWTH` for the month that just ended.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from cwsync.clock import utcnow
from cwsync.config import Settings
from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import Client, Connection, Mapping, Partner, Product, UserCount
from cwsync.security.encryption import Keyring
from cwsync.simulator.seed import DEMO_SEED_PATH, load_records, read_seed
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync.billing_month import previous_month

PRODUCT_ID = 812  # INFIMA-SAT in the demo seed
PUBLIC_KEY, PRIVATE_KEY = "demo-public-key", "demo-private-key"
CLIENT_ID = "3f2a1c9e-0000-4000-8000-00000000c0de"
START_QUANTITY = 10
BASELINE, GROWTH = 10, 3
PRO_RATA_DESCRIPTION = "Security Awareness Training New Users"


def seed(tenants: Sequence[str]) -> dict[str, Any]:
    """The demo tenant copied under each name (members, catalog and records alike)."""
    demo = read_seed(DEMO_SEED_PATH)["tenants"][0]
    copies = []
    for name in tenants:
        tenant = copy.deepcopy(demo)
        tenant["company_id"], tenant["company_name"] = name, f"{name.title()} MSP"
        copies.append(tenant)
    return {"tenants": copies}


def billing_month(now: datetime) -> datetime:
    """Midnight UTC on the first of the month a run at `now` bills (partners are in UTC)."""
    first = previous_month(now.date())
    return datetime.combine(first, time(0), tzinfo=UTC)


@dataclass
class ClientSpec:
    client_id: uuid.UUID
    cw_id: int  # company, agreement and addition share it
    users: int
    pro_rata: bool


@dataclass
class PartnerWorld:
    partner_id: uuid.UUID
    tenant: str
    clients: list[ClientSpec] = field(default_factory=list)

    @property
    def client_ids(self) -> set[uuid.UUID]:
        return {c.client_id for c in self.clients}

    @property
    def pro_rata_clients(self) -> list[ClientSpec]:
        return [c for c in self.clients if c.pro_rata]


def cw_records(ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    return {
        "companies": [{"id": i, "identifier": f"C{i}", "name": f"Company {i}"} for i in ids],
        "agreements": [
            {
                "id": i,
                "name": f"Agreement {i}",
                "company": {"id": i},
                "agreementStatus": "Active",
                "prorateFlag": True,
            }
            for i in ids
        ],
        "additions": [
            {
                "id": i,
                "agreementId": i,
                "product": {"id": PRODUCT_ID},
                "quantity": START_QUANTITY,
                "unitCost": Decimal("3.10005"),
                "unitPrice": Decimal("5.2456"),
                "billCustomer": "Billable",
                "effectiveDate": "2024-01-01T00:00:00Z",
            }
            for i in ids
        ],
    }


async def add_partner(
    sessionmaker: SessionMaker,
    settings: Settings,
    simulator: SimulatorServer,
    *,
    tenant: str,
    clients: int,
    first_id: int,
    pro_rata: Callable[[int], bool] = lambda i: False,
    name: str = "Partner",
    sync_enabled: bool = False,
    sync_time: time = time(0, 0),
) -> PartnerWorld:
    """A partner on `tenant` with `clients` mapped clients (all need an update)."""
    sim_tenant = simulator.state.tenant(tenant)
    assert sim_tenant is not None, tenant
    ids = [first_id + i for i in range(clients)]
    now = utcnow()
    load_records(sim_tenant, cw_records(ids), now)
    month = billing_month(now)
    world = PartnerWorld(partner_id=uuid.uuid4(), tenant=tenant)
    async with unit_of_work(sessionmaker) as session:
        session.add(
            Partner(
                id=world.partner_id,
                name=name,
                timezone="UTC",
                sync_time=sync_time,
                sync_enabled=sync_enabled,
            )
        )
        await session.flush()
        session.add(
            Connection(
                partner_id=world.partner_id,
                site=simulator.site,
                company_id=tenant,
                public_key=PUBLIC_KEY,
                private_key_encrypted=Keyring(settings.fernet_keys).encrypt(PRIVATE_KEY),
                client_id=CLIENT_ID,
                codebase="v2025_1/",
                api_base_url=simulator.api_url(tenant),
                verified_at=now,
            )
        )
        session.add(
            Product(
                partner_id=world.partner_id,
                catalog_item_id=PRODUCT_ID,
                identifier="INFIMA-SAT",
                description="INFIMA Security Awareness Training",
            )
        )
        for index, cw_id in enumerate(ids):
            spec = ClientSpec(uuid.uuid4(), cw_id, 20 + index % 7, pro_rata(index))
            if spec.pro_rata:
                spec.users = BASELINE + GROWTH
            world.clients.append(spec)
            session.add(
                Client(
                    id=spec.client_id,
                    partner_id=world.partner_id,
                    external_id=f"c-{cw_id}",
                    name=f"Client {cw_id}",
                    include_pro_rata=spec.pro_rata,
                )
            )
        await session.flush()
        for spec in world.clients:
            session.add(
                Mapping(
                    client_id=spec.client_id,
                    company_id=spec.cw_id,
                    company_name=f"Company {spec.cw_id}",
                    agreement_id=spec.cw_id,
                    agreement_name=f"Agreement {spec.cw_id}",
                    addition_id=spec.cw_id,
                )
            )
            for as_of, users in count_history(spec, month, now):
                session.add(UserCount(client_id=spec.client_id, as_of=as_of, active_users=users))
    return world


def count_history(spec: ClientSpec, month: datetime, now: datetime) -> list[tuple[datetime, int]]:
    latest = now - timedelta(minutes=1)
    if not spec.pro_rata:
        return [(latest, spec.users)]
    # Before the month, from its 15th, and now (always in the month after the billed one).
    return [
        (month - timedelta(days=3), BASELINE),
        (month + timedelta(days=14, hours=9), BASELINE + GROWTH),
        (latest, BASELINE + GROWTH),
    ]
