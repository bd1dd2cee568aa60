"""Conflicting requests at once: a client deleted while it is renamed, counted, mapped and fed
in bulk. Each request gets an answer that names what happened (200/201/204, 404 when the
client went first, 422 for a feed row whose client is gone) — never a 5xx from a foreign key
or a stale UPDATE — and nothing is left pointing at the deleted client.

On PostgreSQL the writes lock the client row (FOR KEY SHARE) so the DELETE waits for them;
SQLite serialises writers anyway."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import httpx
from sqlalchemy import func, select

from cwsync.db import SessionMaker
from cwsync.models import Client, Mapping, UserCount
from tests.support.simulated import ConnectedPartner

ROUNDS = 12
MAPPING = {"company_id": 250, "agreement_id": 1578, "addition_id": 9001}
ALLOWED = {
    "DELETE": {204},
    "PATCH": {200, 404},
    "PUT": {200, 404},
    "POST": {200, 422},  # the bulk feed: 422 invalid_rows once the client is gone
}


async def test_a_client_deleted_mid_write_is_404_never_500_and_leaves_no_orphan(
    connected_partner: ConnectedPartner, admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    api = connected_partner.client
    picked = await api.put(
        connected_partner.url("/connectwise/product"), json={"catalog_item_id": 812}
    )
    assert picked.status_code == 200, picked.text
    rng = random.Random(9)
    seen: Counter[tuple[str, int]] = Counter()
    for n in range(ROUNDS):
        created = await api.post(
            connected_partner.url("/clients"), json={"external_id": f"r-{n}", "name": "Racer"}
        )
        url = connected_partner.url(f"/clients/{created.json()['id']}")
        row = {"partner_id": connected_partner.id, "external_id": f"r-{n}", "active_users": 7}
        calls = [
            api.delete(url),
            api.patch(url, json={"name": "Renamed"}),
            api.put(url + "/user-count", json={"active_users": 3}),
            api.put(url + "/mapping", json=MAPPING),
            admin.post("/v1/user-counts", json=[{**row, "as_of": "2026-11-02T00:00:00Z"}]),
        ]
        rng.shuffle(calls)
        for response in await asyncio.gather(*calls):
            method = response.request.method
            seen[(method, response.status_code)] += 1
            assert response.status_code in ALLOWED[method], (method, response.text)
    assert seen[("DELETE", 204)] == ROUNDS

    async with sessionmaker() as session:
        clients = await session.scalar(select(func.count()).select_from(Client))
        counts = await session.scalar(select(func.count()).select_from(UserCount))
        mappings = await session.scalar(select(func.count()).select_from(Mapping))
    assert (clients, counts, mappings) == (0, 0, 0)  # nothing outlived its client
