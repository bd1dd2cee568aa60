"""The client list: pages, what each item carries, and a fixed number of queries a page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, insert

from cwsync.app import create_app
from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.models import Client, Mapping, UserCount
from tests.api.test_clients import new_partner
from tests.conftest import ADMIN_TOKEN
from tests.support.servers import serve_in_thread

START = datetime(2026, 1, 1, 9, tzinfo=UTC)


async def seed_clients(
    sessionmaker: SessionMaker, partner_id: str, n: int, *, counts: int = 3
) -> list[uuid.UUID]:
    """n clients (external ids c-00000…), every third one mapped, each with `counts` counts
    whose latest is 100 + i."""
    ids = [uuid.uuid4() for _ in range(n)]
    clients = [
        {
            "id": cid,
            "partner_id": uuid.UUID(partner_id),
            "external_id": f"c-{i:05d}",
            "name": f"n{i}",
        }
        for i, cid in enumerate(ids)
    ]
    mappings = [
        {
            "id": uuid.uuid4(),
            "client_id": cid,
            "company_id": 250,
            "company_name": "Contoso Ltd",
            "agreement_id": 1578,
            "agreement_name": "Contoso Managed Services",
            "addition_id": 9000 + i,
            "status": "broken" if i % 2 else "ok",
            "broken_reason": "addition_deleted" if i % 2 else None,
            "warnings": [],
            "last_synced_at": START,
            "last_outcome": "failed" if i % 2 else "updated",
            "last_error": "addition 9001 was deleted" if i % 2 else None,
        }
        for i, cid in enumerate(ids)
        if i % 3 == 0
    ]
    user_counts = [
        {
            "id": uuid.uuid4(),
            "client_id": cid,
            "as_of": START + timedelta(days=day),
            # The newest row is not the largest: "latest" must mean latest as_of.
            "active_users": 100 + i if day == counts - 1 else 10_000 + day,
            "recorded_at": START,
        }
        for i, cid in enumerate(ids)
        for day in range(counts)
    ]
    async with sessionmaker() as session:
        await session.execute(insert(Client), clients)
        if mappings:
            await session.execute(insert(Mapping), mappings)
        await session.execute(insert(UserCount), user_counts)
        await session.commit()
    return ids


async def test_items_carry_mapping_latest_count_and_last_sync(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    await seed_clients(sessionmaker, partner_id, 7)
    created = await admin.post(
        f"/v1/partners/{partner_id}/clients", json={"external_id": "z-new", "name": "New"}
    )
    assert created.status_code == 201

    page = (await admin.get(f"/v1/partners/{partner_id}/clients")).json()
    assert page["total"] == 8
    items = page["items"]
    assert [i["external_id"] for i in items] == [f"c-{i:05d}" for i in range(7)] + ["z-new"]
    assert [i["active_users"] for i in items] == [100, 101, 102, 103, 104, 105, 106, None]
    assert items[0]["as_of"] == "2026-01-03T09:00:00Z"

    mapped = items[0]
    assert mapped["mapping"]["addition_id"] == 9000
    assert mapped["mapping"]["status"] == "ok"
    assert mapped["last_synced_at"] == "2026-01-01T09:00:00Z"
    assert mapped["last_outcome"] == "updated"
    broken = items[3]
    assert (broken["mapping"]["status"], broken["mapping"]["broken_reason"]) == (
        "broken",
        "addition_deleted",
    )
    assert (broken["last_outcome"], broken["last_error"]) == (
        "failed",
        "addition 9001 was deleted",
    )
    assert items[1]["mapping"] is None
    assert items[1]["last_synced_at"] is None
    assert items[7]["mapping"] is None

    one = (await admin.get(f"/v1/partners/{partner_id}/clients/{broken['id']}")).json()
    assert one == broken


async def test_pages_cut_by_limit_and_offset(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    await seed_clients(sessionmaker, partner_id, 25, counts=1)
    url = f"/v1/partners/{partner_id}/clients"

    page = (await admin.get(url, params={"limit": 10, "offset": 20})).json()
    assert page["total"] == 25
    assert [i["external_id"] for i in page["items"]] == [f"c-{i:05d}" for i in range(20, 25)]
    beyond = (await admin.get(url, params={"limit": 10, "offset": 1000})).json()
    assert beyond == {"items": [], "total": 25}

    seen: list[str] = []
    for offset in range(0, 25, 7):
        chunk = (await admin.get(url, params={"limit": 7, "offset": offset})).json()
        seen.extend(i["id"] for i in chunk["items"])
    assert len(seen) == len(set(seen)) == 25

    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}):
        response = await admin.get(url, params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "validation_error"
    assert len((await admin.get(url, params={"limit": 1000})).json()["items"]) == 25


@pytest.fixture
def counted_api(settings: Settings) -> Iterator[tuple[FastAPI, str]]:
    app = create_app(settings)
    with serve_in_thread(app) as url:
        yield app, url


async def test_a_page_costs_the_same_queries_for_5_or_500_clients(
    counted_api: tuple[FastAPI, str], sessionmaker: SessionMaker
) -> None:
    app, url = counted_api
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))  # (conn, cursor, statement, ...)

    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as admin:
        small, large = await new_partner(admin, "Small"), await new_partner(admin, "Large")
        await seed_clients(sessionmaker, small, 5)
        await seed_clients(sessionmaker, large, 500)
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        try:
            used = {}
            for partner_id, limit in ((small, 100), (large, 500)):
                statements.clear()
                page = await admin.get(
                    f"/v1/partners/{partner_id}/clients", params={"limit": limit}
                )
                assert page.status_code == 200
                assert len(page.json()["items"]) == min(limit, 500 if partner_id == large else 5)
                used[partner_id] = list(statements)
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
    assert len(used[small]) == len(used[large]), used[large]
    # The page and its total: the rest is the caller's partner (admin token: no token query).
    client_queries = [s for s in used[large] if "clients" in s]
    assert len(client_queries) == 2, client_queries
