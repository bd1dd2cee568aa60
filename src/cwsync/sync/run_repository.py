"""SQL for sync runs: queueing, claiming under a lease, renewing, releasing, finishing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cwsync.models import SyncItem, SyncRun
from cwsync.sync.sql import insert_or_ignore, is_postgres, rowcount

QUEUED = "queued"
RUNNING = "running"
FINAL_STATUSES = ("succeeded", "partial", "failed")


async def insert_run(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID,
    trigger: str,
    run_key: str,
    dry_run: bool = False,
    client_ids: list[str] | None = None,
    now: datetime,
) -> uuid.UUID | None:
    """Queue a run; None when a run with this key already exists.

    The unique `run_key` is what makes a scheduled run exactly-once across replicas: the
    insert that loses the race inserts nothing.
    """
    run_id = uuid.uuid4()
    values: dict[str, Any] = {
        "id": run_id,
        "partner_id": partner_id,
        "trigger": trigger,
        "dry_run": dry_run,
        "run_key": run_key,
        "status": QUEUED,
        "client_ids": client_ids,
        "attempts": 0,
        "counts": {},
        "created_at": now,
    }
    statement = insert_or_ignore(session, SyncRun).values(**values).returning(SyncRun.id)
    inserted: uuid.UUID | None = await session.scalar(statement)
    return inserted


async def existing_run_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    rows = await session.scalars(select(SyncRun.run_key).where(SyncRun.run_key.in_(keys)))
    return set(rows.all())


async def get_run(
    session: AsyncSession, run_id: uuid.UUID, partner_id: uuid.UUID | None = None
) -> SyncRun | None:
    query = select(SyncRun).where(SyncRun.id == run_id)
    if partner_id is not None:
        query = query.where(SyncRun.partner_id == partner_id)
    return await session.scalar(query)


async def list_runs(
    session: AsyncSession, partner_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[SyncRun], int]:
    rows = await session.scalars(
        select(SyncRun)
        .where(SyncRun.partner_id == partner_id)
        .order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(
        select(func.count()).select_from(SyncRun).where(SyncRun.partner_id == partner_id)
    )
    return rows.all(), total or 0


async def list_items(
    session: AsyncSession, run_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[SyncItem], int]:
    rows = await session.scalars(
        select(SyncItem)
        .where(SyncItem.run_id == run_id)
        .order_by(SyncItem.created_at, SyncItem.id)
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(
        select(func.count()).select_from(SyncItem).where(SyncItem.run_id == run_id)
    )
    return rows.all(), total or 0


async def failed_items(session: AsyncSession, run_id: uuid.UUID, limit: int) -> Sequence[SyncItem]:
    rows = await session.scalars(
        select(SyncItem)
        .where(SyncItem.run_id == run_id, SyncItem.outcome == "failed")
        .order_by(SyncItem.created_at, SyncItem.id)
        .limit(limit)
    )
    return rows.all()


async def outcome_counts(session: AsyncSession, run_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(SyncItem.outcome, func.count())
        .where(SyncItem.run_id == run_id)
        .group_by(SyncItem.outcome)
    )
    return {outcome: int(n) for outcome, n in rows.all()}


def _claimable(now: datetime) -> ColumnElement[bool]:
    # Queued, or running under a lease nobody renewed: its worker died or lost the database.
    return or_(
        SyncRun.status == QUEUED,
        and_(SyncRun.status == RUNNING, SyncRun.lease_expires_at < now),
    )


async def claim_runs(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease_seconds: float,
    limit: int,
    run_id: uuid.UUID | None = None,
) -> list[SyncRun]:
    """Claim up to `limit` runs (oldest first, one per partner) for `owner` under a lease;
    only `run_id` when given (`cwsync sync` running its own run).

    A partner whose other run holds a live lease waits: one tenant, one run at a time.
    """
    other = aliased(SyncRun)
    busy_partner = exists().where(
        other.partner_id == SyncRun.partner_id,
        other.id != SyncRun.id,
        other.status == RUNNING,
        other.lease_expires_at >= now,
    )
    query = (
        select(SyncRun.id, SyncRun.partner_id)
        .where(_claimable(now), ~busy_partner)
        .order_by(SyncRun.created_at, SyncRun.id)
        .limit(limit * 4)
    )
    if run_id is not None:
        query = query.where(SyncRun.id == run_id)
    if is_postgres(session):
        # Two replicas polling at once each lock different rows instead of waiting.
        query = query.with_for_update(skip_locked=True, of=SyncRun)
    picked: list[uuid.UUID] = []
    partners: set[uuid.UUID] = set()
    for candidate, partner_id in (await session.execute(query)).all():
        if partner_id not in partners and len(picked) < limit:
            partners.add(partner_id)
            picked.append(candidate)
    claimed: list[SyncRun] = []
    expires = now + timedelta(seconds=lease_seconds)
    for picked_id in picked:
        # The condition is repeated in the UPDATE: on SQLite (no row locks) it is the guard
        # that keeps two claimers from both taking the run.
        result = await session.execute(
            update(SyncRun)
            .where(SyncRun.id == picked_id, _claimable(now))
            .values(
                status=RUNNING,
                lease_owner=owner,
                lease_expires_at=expires,
                attempts=SyncRun.attempts + 1,
                started_at=func.coalesce(SyncRun.started_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            run = await session.get(SyncRun, picked_id, populate_existing=True)
            if run is not None:
                claimed.append(run)
    return claimed


async def renew_lease(
    session: AsyncSession, run_id: uuid.UUID, owner: str, expires: datetime
) -> bool:
    """Extend our lease; False when it is no longer ours (another worker reclaimed it)."""
    result = await session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.lease_owner == owner, SyncRun.status == RUNNING)
        .values(lease_expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def release_run(session: AsyncSession, run_id: uuid.UUID, owner: str) -> bool:
    """Give the run back to the queue at once (graceful shutdown), if it is still ours."""
    result = await session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.lease_owner == owner, SyncRun.status == RUNNING)
        .values(status=QUEUED, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def finish_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    owner: str,
    *,
    status: str,
    counts: dict[str, Any],
    error_code: str | None,
    error_message: str | None,
    now: datetime,
) -> bool:
    """Record the end of a run we still hold; False when the lease was lost meanwhile."""
    result = await session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.lease_owner == owner, SyncRun.status == RUNNING)
        .values(
            status=status,
            counts=counts,
            error_code=error_code,
            error_message=error_message,
            finished_at=now,
            lease_owner=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def set_counts(session: AsyncSession, run_id: uuid.UUID, counts: dict[str, Any]) -> None:
    await session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(counts=counts)
        .execution_options(synchronize_session=False)
    )
