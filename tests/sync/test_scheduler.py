"""The nightly rule: when a partner's run is due, and that the tick queues it exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import Connection, Partner, SyncRun
from cwsync.sync.scheduling import due_local_date, enqueue_due_runs


@pytest.mark.parametrize(
    ("now", "timezone", "sync_time", "due"),
    [
        ("2026-03-14T01:59:00Z", "UTC", time(2, 0), None),
        ("2026-03-14T02:00:00Z", "UTC", time(2, 0), date(2026, 3, 14)),
        ("2026-03-14T23:59:00Z", "UTC", time(2, 0), date(2026, 3, 14)),
        # 07:30 UTC is 01:30 in Chicago (CST, UTC-6): not yet.
        ("2026-01-15T07:30:00Z", "America/Chicago", time(2, 0), None),
        ("2026-01-15T08:00:00Z", "America/Chicago", time(2, 0), date(2026, 1, 15)),
        # 03:00 UTC on the 15th is still the 14th in Chicago, after 02:00 there.
        ("2026-01-15T03:00:00Z", "America/Chicago", time(2, 0), date(2026, 1, 14)),
        # Auckland is ahead: 14:00 UTC on the 14th is 03:00 on the 15th (NZDT, UTC+13).
        ("2026-01-14T14:00:00Z", "Pacific/Auckland", time(2, 0), date(2026, 1, 15)),
        # Spring forward in Chicago (8 March 2026): 02:30 never happens; due from 03:00.
        ("2026-03-08T07:59:00Z", "America/Chicago", time(2, 30), None),
        ("2026-03-08T08:00:00Z", "America/Chicago", time(2, 30), date(2026, 3, 8)),
    ],
)
def test_due_local_date(now: str, timezone: str, sync_time: time, due: date | None) -> None:
    instant = datetime.fromisoformat(now.replace("Z", "+00:00"))
    assert due_local_date(instant, timezone, sync_time) == due


async def add_partner(
    sessionmaker: SessionMaker,
    *,
    timezone: str = "UTC",
    sync_time: time = time(2, 0),
    enabled: bool = True,
    connected: bool = True,
) -> uuid.UUID:
    async with unit_of_work(sessionmaker) as session:
        partner = Partner(name="P", timezone=timezone, sync_time=sync_time, sync_enabled=enabled)
        session.add(partner)
        await session.flush()
        if connected:
            session.add(
                Connection(
                    partner_id=partner.id,
                    site="127.0.0.1:1",
                    company_id="x",
                    public_key="p",
                    private_key_encrypted="not-used",
                    client_id="c",
                    codebase="v2025_1/",
                    api_base_url="http://127.0.0.1:1/v2025_1/apis/3.0",
                )
            )
        return partner.id


async def test_each_due_partner_gets_one_run_per_local_date(sessionmaker: SessionMaker) -> None:
    due = await add_partner(sessionmaker)
    chicago = await add_partner(sessionmaker, timezone="America/Chicago")
    await add_partner(sessionmaker, enabled=False)
    await add_partner(sessionmaker, connected=False)
    await add_partner(sessionmaker, sync_time=time(23, 0))
    now = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)  # 01:00 in Chicago (CDT)

    first = await enqueue_due_runs(sessionmaker, now)
    again = await enqueue_due_runs(sessionmaker, now.replace(minute=1))
    assert len(first) == 1 and again == []
    async with sessionmaker() as session:
        runs = (await session.scalars(select(SyncRun))).all()
    assert [(r.partner_id, r.run_key, r.trigger, r.status) for r in runs] == [
        (due, f"schedule:{due}:2026-03-14", "schedule", "queued")
    ]

    # Two hours later Chicago's 02:00 has passed too; the UTC partner is not queued twice.
    later = await enqueue_due_runs(sessionmaker, datetime(2026, 3, 14, 8, 0, tzinfo=UTC))
    async with sessionmaker() as session:
        keys = set((await session.scalars(select(SyncRun.run_key))).all())
    assert len(later) == 1
    assert keys == {f"schedule:{due}:2026-03-14", f"schedule:{chicago}:2026-03-14"}

    # The next local day is a new key.
    await enqueue_due_runs(sessionmaker, datetime(2026, 3, 15, 2, 0, tzinfo=UTC))
    async with sessionmaker() as session:
        keys = set((await session.scalars(select(SyncRun.run_key))).all())
    assert f"schedule:{due}:2026-03-15" in keys and len(keys) == 3
