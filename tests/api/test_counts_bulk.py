"""The admin bulk feed over real HTTP on SQLite and PostgreSQL: all or nothing, idempotent."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, insert, select

from cwsync.db import SessionMaker
from cwsync.models import Client, UserCount
from tests.api.test_clients import new_client, new_partner

BULK = "/v1/user-counts"
START = datetime(2026, 1, 1, 9, tzinfo=UTC)


async def stored(sessionmaker: SessionMaker) -> list[tuple[str, datetime, int, datetime]]:
    """Every stored count as (external id, as_of, active users, recorded_at)."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(
                Client.external_id, UserCount.as_of, UserCount.active_users, UserCount.recorded_at
            )
            .join(Client, Client.id == UserCount.client_id)
            .order_by(Client.external_id, UserCount.as_of)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def count_rows(sessionmaker: SessionMaker) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(UserCount)) or 0)


async def many_clients(sessionmaker: SessionMaker, partner_id: str, n: int) -> list[str]:
    external_ids = [f"ext-{i:05d}" for i in range(n)]
    async with sessionmaker() as session:
        await session.execute(
            insert(Client),
            [
                {
                    "id": uuid.uuid4(),
                    "partner_id": uuid.UUID(partner_id),
                    "external_id": e,
                    "name": e,
                }
                for e in external_ids
            ],
        )
        await session.commit()
    return external_ids


def row(partner_id: str, external_id: str, users: int, as_of: datetime) -> dict:
    return {
        "partner_id": partner_id,
        "external_id": external_id,
        "active_users": users,
        "as_of": as_of.isoformat(),
    }


async def test_ten_thousand_rows_are_stored_in_one_request(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    external_ids = await many_clients(sessionmaker, partner_id, 200)
    rows = [
        row(partner_id, e, 1000 + day * 3 + i, START + timedelta(days=day))
        for i, e in enumerate(external_ids)
        for day in range(50)
    ]
    assert len(rows) == 10_000

    started = time.perf_counter()
    response = await admin.post(BULK, json=rows)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    assert response.json() == {"accepted": 10_000}
    assert elapsed < 20, f"10,000 rows took {elapsed:.1f}s"

    assert await count_rows(sessionmaker) == 10_000
    client = (await admin.get(f"/v1/partners/{partner_id}/clients", params={"limit": 1})).json()
    assert client["items"][0]["external_id"] == "ext-00000"
    assert client["items"][0]["active_users"] == 1000 + 49 * 3
    assert client["items"][0]["as_of"] == "2026-02-19T09:00:00Z"


async def test_ten_thousand_and_one_rows_are_refused_whole(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    client = await new_client(admin, partner_id)
    rows = [
        row(partner_id, client["external_id"], 1, START + timedelta(minutes=i))
        for i in range(10_001)
    ]
    response = await admin.post(BULK, json=rows)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "too_many_rows"
    assert error["details"] == {"max_rows": 10_000, "rows": 10_001}
    assert await count_rows(sessionmaker) == 0


async def test_one_bad_row_refuses_all_and_says_which(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    external_ids = await many_clients(sessionmaker, partner_id, 100)
    rows = [
        row(partner_id, e, 10, START + timedelta(days=d)) for e in external_ids for d in range(50)
    ]
    rows[4321]["active_users"] = -1

    response = await admin.post(BULK, json=rows)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert error["details"] == [
        {
            "row": 4321,
            "field": "active_users",
            "code": "greater_than_equal",
            "message": "Input should be greater than or equal to 0",
        }
    ]
    assert "nothing was stored" in error["message"]
    assert await count_rows(sessionmaker) == 0


async def test_every_kind_of_bad_row_is_reported_with_its_index(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    other_partner = await new_partner(admin, "Other MSP")
    client = await new_client(admin, partner_id)
    ext = client["external_id"]
    future = datetime.now(UTC) + timedelta(hours=1)
    rows: list[object] = [
        row(partner_id, ext, 5, START),  # 0 fine
        row(str(uuid.uuid4()), ext, 5, START),  # 1 unknown partner
        row(partner_id, "nobody", 5, START),  # 2 unknown external id
        row(other_partner, ext, 5, START),  # 3 that id belongs to another partner
        {**row(partner_id, ext, 5, START), "active_users": True},  # 4 bool
        {**row(partner_id, ext, 5, START), "active_users": "5"},  # 5 string
        {**row(partner_id, ext, 5, START), "as_of": "2026-01-01T09:00:00"},  # 6 naive
        row(partner_id, ext, 5, future),  # 7 future
        row(partner_id, ext, 5, datetime(1999, 1, 1, tzinfo=UTC)),  # 8 too old
        "not a row",  # 9
        {**row(partner_id, ext, 5, START), "partner_id": "not-a-uuid"},  # 10
        {**row(partner_id, ext, 5, START), "external_id": "nul\x00byte"},  # 11
        {**row(partner_id, ext, 5, START), "surprise": 1},  # 12
        {},  # 13
    ]
    response = await admin.post(BULK, json=rows)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    by_row: dict[int, set[str]] = {}
    for problem in error["details"]:
        by_row.setdefault(problem["row"], set()).add(problem["code"])
    assert by_row == {
        1: {"partner_not_found"},
        2: {"client_not_found"},
        3: {"client_not_found"},
        4: {"int_type"},
        5: {"int_type"},
        6: {"timezone_aware"},
        7: {"as_of_out_of_range"},
        8: {"as_of_out_of_range"},
        9: {"model_type"},
        10: {"uuid_parsing"},
        11: {"value_error"},
        12: {"extra_forbidden"},
        13: {"missing"},
    }
    assert error["message"].startswith("13 of 14 rows are invalid")
    assert await count_rows(sessionmaker) == 0


async def test_repeated_rows_last_wins_and_reposting_changes_nothing(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    a = (await new_client(admin, partner_id, external_id="a"))["external_id"]
    b = (await new_client(admin, partner_id, external_id="b"))["external_id"]
    same_instant_other_offset = START.astimezone(
        datetime.fromisoformat("2026-01-01T00:00:00+05:30").tzinfo
    )
    rows = [
        row(partner_id, a, 10, START),
        row(partner_id, b, 20, START),
        row(partner_id, a, 11, same_instant_other_offset),  # the same instant: replaces 10
        row(partner_id, a, 30, START + timedelta(days=1)),
    ]
    first = await admin.post(BULK, json=rows)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 4}
    after_first = await stored(sessionmaker)
    assert [(e, a_, n) for e, a_, n, _ in after_first] == [
        ("a", START, 11),
        ("a", START + timedelta(days=1), 30),
        ("b", START, 20),
    ]

    again = await admin.post(BULK, json=rows)
    assert again.json() == {"accepted": 4}
    assert await stored(sessionmaker) == after_first  # recorded_at untouched too

    changed = await admin.post(BULK, json=[row(partner_id, b, 21, START)])
    assert changed.status_code == 200
    after_change = await stored(sessionmaker)
    assert after_change[2][2] == 21
    assert after_change[2][3] > after_first[2][3]
    assert after_change[:2] == after_first[:2]


async def test_rows_for_many_partners_in_one_request(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partners = [await new_partner(admin, f"P{i}") for i in range(3)]
    for p in partners:
        await new_client(admin, p, external_id="same-id")
    rows = [row(p, "same-id", i, START) for i, p in enumerate(partners)]
    response = await admin.post(BULK, json=rows)
    assert response.json() == {"accepted": 3}
    for i, p in enumerate(partners):
        listed = (await admin.get(f"/v1/partners/{p}/clients")).json()
        assert listed["items"][0]["active_users"] == i


async def test_empty_feed_is_fine_and_non_lists_are_422(admin: httpx.AsyncClient) -> None:
    assert (await admin.post(BULK, json=[])).json() == {"accepted": 0}
    for body in ({"rows": []}, "x", 5, None):
        response = await admin.post(BULK, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"


async def test_bulk_feed_is_admin_only(
    admin: httpx.AsyncClient, anonymous: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    client = await new_client(admin, partner_id)
    token = (await admin.post(f"/v1/partners/{partner_id}/tokens", json={})).json()["token"]
    rows = [row(partner_id, client["external_id"], 5, START)]

    as_partner = await anonymous.post(BULK, json=rows, headers={"Authorization": f"Bearer {token}"})
    assert as_partner.status_code == 403
    assert as_partner.json()["error"]["code"] == "admin_only"
    assert (await anonymous.post(BULK, json=rows)).status_code == 401
    assert await count_rows(sessionmaker) == 0


async def test_concurrent_feeds_over_the_same_rows_both_succeed(
    admin: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    partner_id = await new_partner(admin)
    external_ids = await many_clients(sessionmaker, partner_id, 40)
    rows = [
        row(partner_id, e, 7, START + timedelta(days=d)) for e in external_ids for d in range(25)
    ]
    # Opposite orders: without a fixed lock order these two deadlock on PostgreSQL.
    for attempt in range(3):
        forward = [{**r, "active_users": attempt} for r in rows]
        answers = await asyncio.gather(
            admin.post(BULK, json=forward), admin.post(BULK, json=forward[::-1])
        )
        assert [a.status_code for a in answers] == [200, 200], [a.text[:300] for a in answers]
    assert await count_rows(sessionmaker) == 1000
