"""The benchmark's world: P partners × C mapped clients, in PostgreSQL and in the simulator.

Each partner is its own simulator tenant (`bench-0000`, …) holding one company, agreement
and addition per client (ids 1..C, so a request's path names its client). Half the clients
(odd indexes) have a user count that differs from the addition's quantity and need a PATCH;
the others already match and need none. Pro rata and overwrite cost are off, so no charge is
posted. cwsync's side is inserted set-based, straight into the tables: the benchmark measures
the sync, not the API's setup speed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import httpx

from benchmarks.database import insert_rows
from cwsync.clock import utcnow
from cwsync.connectwise import dump_json
from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import Client, Connection, Mapping, Partner, Product, UserCount
from cwsync.security.encryption import Keyring

PRODUCT_ID = 812
CODEBASE = "v2025_1/"
PUBLIC_KEY = "bench-public-key"
PRIVATE_KEY = "bench-private-key"
CLIENT_ID = "3f2a1c9e-0000-4000-8000-00000000be4c"
START_QUANTITY = 10
UNIT_PRICE = Decimal("5.2456")
UNIT_COST = Decimal("3.10005")


def tenant_name(index: int) -> str:
    return f"bench-{index:04d}"


def needs_change(index: int) -> bool:
    """Odd clients need a PATCH, even ones are already right."""
    return index % 2 == 1


def target_count(index: int) -> int:
    return START_QUANTITY + 1 + index % 50 if needs_change(index) else START_QUANTITY


def tenant_document(name: str, clients: int) -> dict[str, Any]:
    """A simulator tenant with one company → agreement → addition per client (ids 1..C)."""
    ids = range(1, clients + 1)
    return {
        "company_id": name,
        "company_name": f"Bench {name}",
        "codebase": CODEBASE,
        "is_cloud": False,
        "members": [
            {
                "public_key": PUBLIC_KEY,
                "private_key": PRIVATE_KEY,
                "identifier": "cwsync-bench",
                "active": True,
                "permissions": ["*"],
            }
        ],
        "catalog": [
            {
                "id": PRODUCT_ID,
                "identifier": "INFIMA-SAT",
                "description": "INFIMA Security Awareness Training",
                "price": UNIT_PRICE,
                "cost": UNIT_COST,
                "productClass": "NonInventory",
            }
        ],
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
                "unitPrice": UNIT_PRICE,
                "unitCost": UNIT_COST,
                "billCustomer": "Billable",
                "effectiveDate": "2024-01-01T00:00:00Z",
            }
            for i in ids
        ],
    }


def load_simulator(base_url: str, tenants: list[tuple[str, int]]) -> None:
    """Create each (tenant, clients) through the admin API."""
    with httpx.Client(base_url=base_url, timeout=120) as admin:
        for name, clients in tenants:
            response = admin.post(
                "/__sim/tenants",
                # Decimals as exact JSON numbers (the simulator reads them back exactly).
                content=dump_json(tenant_document(name, clients)),
                headers={"content-type": "application/json"},
            )
            response.raise_for_status()


@dataclass(frozen=True)
class Seeded:
    partner_ids: list[uuid.UUID]
    clients: int  # per partner


async def seed_partners(
    sessionmaker: SessionMaker,
    keyring: Keyring,
    *,
    sim_host: str,
    partners: int,
    clients: int,
    first_partner: int = 0,
    sync_enabled: bool = True,
) -> Seeded:
    """Partners `first_partner..` with a verified connection to their tenant, the product,
    `clients` mapped clients each and one user count per client (set-based inserts).

    `sync_time` 00:00 UTC: the scheduler's first tick finds every run due and queues it.
    """
    now = utcnow()
    partner_rows: list[dict[str, Any]] = []
    connection_rows: list[dict[str, Any]] = []
    product_rows: list[dict[str, Any]] = []
    client_rows: list[dict[str, Any]] = []
    mapping_rows: list[dict[str, Any]] = []
    count_rows: list[dict[str, Any]] = []
    stamps = {"created_at": now, "updated_at": now}
    for p in range(first_partner, first_partner + partners):
        partner_id = uuid.uuid4()
        tenant = tenant_name(p)
        partner_rows.append(
            {
                "id": partner_id,
                "name": f"Bench partner {p}",
                "timezone": "UTC",
                "sync_time": time(0, 0),
                "unit_cost": None,
                "sync_enabled": sync_enabled,
                **stamps,
            }
        )
        connection_rows.append(
            {
                "id": uuid.uuid4(),
                "partner_id": partner_id,
                "site": sim_host,
                "company_id": tenant,
                "public_key": PUBLIC_KEY,
                "private_key_encrypted": keyring.encrypt(PRIVATE_KEY),
                "client_id": CLIENT_ID,
                "codebase": CODEBASE,
                "api_base_url": f"http://{sim_host}/{CODEBASE}apis/3.0",
                "verified_at": now,
                "status": "ok",
                "last_error": None,
                **stamps,
            }
        )
        product_rows.append(
            {
                "id": uuid.uuid4(),
                "partner_id": partner_id,
                "catalog_item_id": PRODUCT_ID,
                "identifier": "INFIMA-SAT",
                "description": "INFIMA Security Awareness Training",
                **stamps,
            }
        )
        for c in range(clients):
            client_id = uuid.uuid4()
            cw_id = c + 1
            client_rows.append(
                {
                    "id": client_id,
                    "partner_id": partner_id,
                    "external_id": f"c-{c}",
                    "name": f"Client {c}",
                    "include_pro_rata": False,
                    "overwrite_cost": False,
                    "unit_cost": None,
                    "sync_enabled": True,
                    **stamps,
                }
            )
            mapping_rows.append(
                {
                    "id": uuid.uuid4(),
                    "client_id": client_id,
                    "company_id": cw_id,
                    "company_name": f"Company {cw_id}",
                    "agreement_id": cw_id,
                    "agreement_name": f"Agreement {cw_id}",
                    "addition_id": cw_id,
                    "status": "ok",
                    "broken_reason": None,
                    "warnings": [],
                    "last_synced_at": None,
                    "last_synced_quantity": None,
                    "last_outcome": None,
                    "last_error": None,
                    **stamps,
                }
            )
            count_rows.append(
                {
                    "id": uuid.uuid4(),
                    "client_id": client_id,
                    "as_of": now - timedelta(minutes=5),
                    "active_users": target_count(c),
                    "recorded_at": now,
                }
            )
    async with unit_of_work(sessionmaker) as session:
        await insert_rows(session, Partner.__table__, partner_rows)
        await insert_rows(session, Connection.__table__, connection_rows)
        await insert_rows(session, Product.__table__, product_rows)
        await insert_rows(session, Client.__table__, client_rows)
        await insert_rows(session, Mapping.__table__, mapping_rows)
        await insert_rows(session, UserCount.__table__, count_rows)
    return Seeded([row["id"] for row in partner_rows], clients)
