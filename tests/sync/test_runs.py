"""Runs in the database: unique keys, claims, leases, release, status rule (both databases)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from cwsync.clock import utcnow
from cwsync.db import SessionMaker, unit_of_work
from cwsync.models import Partner, SyncRun
from cwsync.sync import run_repository
from cwsync.sync.runs import RunFailure, run_counts, run_status

LEASE = 30.0


async def partner(sessionmaker: SessionMaker) -> uuid.UUID:
    async with unit_of_work(sessionmaker) as session:
        row = Partner(name=f"P {uuid.uuid4().hex[:6]}")
        session.add(row)
        await session.flush()
        return row.id


async def queue(
    sessionmaker: SessionMaker, partner_id: uuid.UUID, key: str, at: datetime
) -> uuid.UUID | None:
    async with unit_of_work(sessionmaker) as session:
        return await run_repository.insert_run(
            session, partner_id=partner_id, trigger="manual", run_key=key, now=at
        )


async def claim(
    sessionmaker: SessionMaker, owner: str, now: datetime, limit: int = 10
) -> list[SyncRun]:
    async with unit_of_work(sessionmaker) as session:
        return await run_repository.claim_runs(
            session, owner=owner, now=now, lease_seconds=LEASE, limit=limit
        )


async def load(sessionmaker: SessionMaker, run_id: uuid.UUID) -> SyncRun:
    async with sessionmaker() as session:
        run = await run_repository.get_run(session, run_id)
    assert run is not None
    return run


async def test_a_run_key_is_inserted_once(sessionmaker: SessionMaker) -> None:
    p = await partner(sessionmaker)
    now = utcnow()
    first = await queue(sessionmaker, p, "schedule:x:2026-03-14", now)
    again = await queue(sessionmaker, p, "schedule:x:2026-03-14", now)
    assert first is not None and again is None


async def test_claim_lease_expiry_and_reclaim(sessionmaker: SessionMaker) -> None:
    p = await partner(sessionmaker)
    now = utcnow()
    run_id = await queue(sessionmaker, p, "manual:1", now)
    assert run_id is not None

    claimed = await claim(sessionmaker, "a", now)
    assert [r.id for r in claimed] == [run_id]
    assert (claimed[0].status, claimed[0].lease_owner, claimed[0].attempts) == ("running", "a", 1)
    assert await claim(sessionmaker, "b", now + timedelta(seconds=LEASE - 1)) == []

    async with unit_of_work(sessionmaker) as session:
        assert await run_repository.renew_lease(
            session, run_id, "a", now + timedelta(seconds=2 * LEASE)
        )
    assert await claim(sessionmaker, "b", now + timedelta(seconds=LEASE + 1)) == []

    # "a" stops renewing (it died): after the lease, "b" takes the run over.
    later = now + timedelta(seconds=2 * LEASE + 1)
    reclaimed = await claim(sessionmaker, "b", later)
    assert [(r.id, r.lease_owner, r.attempts) for r in reclaimed] == [(run_id, "b", 2)]
    async with unit_of_work(sessionmaker) as session:
        assert not await run_repository.renew_lease(session, run_id, "a", later)
        assert not await run_repository.finish_run(
            session,
            run_id,
            "a",
            status="succeeded",
            counts={},
            error_code=None,
            error_message=None,
            now=later,
        )
        assert await run_repository.finish_run(
            session,
            run_id,
            "b",
            status="succeeded",
            counts={"total": 0},
            error_code=None,
            error_message=None,
            now=later,
        )
    run = await load(sessionmaker, run_id)
    assert (run.status, run.lease_owner, run.lease_expires_at) == ("succeeded", None, None)
    assert run.started_at is not None and run.started_at <= run.finished_at  # type: ignore[operator]
    assert await claim(sessionmaker, "c", later + timedelta(days=1)) == []


async def test_release_hands_the_run_back_at_once(sessionmaker: SessionMaker) -> None:
    p = await partner(sessionmaker)
    now = utcnow()
    run_id = await queue(sessionmaker, p, "manual:2", now)
    assert run_id is not None
    await claim(sessionmaker, "a", now)
    async with unit_of_work(sessionmaker) as session:
        assert not await run_repository.release_run(session, run_id, "someone-else")
        assert await run_repository.release_run(session, run_id, "a")
    run = await load(sessionmaker, run_id)
    assert (run.status, run.lease_owner) == ("queued", None)
    assert [r.id for r in await claim(sessionmaker, "b", now)] == [run_id]


async def test_one_run_per_partner_at_a_time(sessionmaker: SessionMaker) -> None:
    p, q = await partner(sessionmaker), await partner(sessionmaker)
    now = utcnow()
    p1 = await queue(sessionmaker, p, "manual:p1", now)
    p2 = await queue(sessionmaker, p, "manual:p2", now + timedelta(seconds=1))
    q1 = await queue(sessionmaker, q, "manual:q1", now + timedelta(seconds=2))
    first = await claim(sessionmaker, "a", now + timedelta(seconds=3))
    assert {r.id for r in first} == {p1, q1}
    assert await claim(sessionmaker, "b", now + timedelta(seconds=3)) == []
    async with unit_of_work(sessionmaker) as session:
        assert p1 is not None
        await run_repository.finish_run(
            session,
            p1,
            "a",
            status="succeeded",
            counts={},
            error_code=None,
            error_message=None,
            now=now,
        )
    assert [r.id for r in await claim(sessionmaker, "b", now + timedelta(seconds=4))] == [p2]


async def test_claim_respects_the_limit_oldest_first(sessionmaker: SessionMaker) -> None:
    now = utcnow()
    ids = []
    for n in range(3):
        ids.append(
            await queue(
                sessionmaker, await partner(sessionmaker), f"m:{n}", now + timedelta(seconds=n)
            )
        )
    assert [
        r.id for r in await claim(sessionmaker, "a", now + timedelta(minutes=1), limit=2)
    ] == ids[:2]


FAILURE = RunFailure("no_product", "no product")


@pytest.mark.parametrize(
    ("outcomes", "failure", "status"),
    [
        ({}, None, "succeeded"),
        ({"updated": 3, "unchanged": 2}, None, "succeeded"),
        ({"skipped": 2}, None, "succeeded"),  # no_user_count is not a failure
        ({"updated": 3, "failed": 1}, None, "partial"),
        ({"failed": 2}, None, "failed"),
        ({"would_update": 1, "failed": 1}, None, "partial"),
        ({"updated": 3}, FAILURE, "failed"),
        ({}, FAILURE, "failed"),
    ],
)
def test_run_status(outcomes: dict[str, int], failure: RunFailure | None, status: str) -> None:
    assert run_status(run_counts(5, outcomes, dry_run=False), failure) == status


def test_run_counts_name_every_outcome() -> None:
    assert run_counts(4, {"updated": 3, "failed": 1}, dry_run=False) == {
        "total": 4,
        "updated": 3,
        "unchanged": 0,
        "pro_rata_created": 0,
        "skipped": 0,
        "failed": 1,
    }
    assert set(run_counts(1, {}, dry_run=True)) == {
        "total",
        "would_update",
        "unchanged",
        "would_create_pro_rata",
        "skipped",
        "failed",
    }
