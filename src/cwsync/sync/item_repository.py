"""SQL for a run's work: the clients to sync (in keyset batches), their counts, and the
items and mapping changes written back (in batches)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.models import Client, Connection, Mapping, SyncItem, UserCount
from cwsync.sync.sql import insert_or_ignore


def _run_clients(
    partner_id: uuid.UUID, client_ids: Sequence[uuid.UUID] | None
) -> list[ColumnElement[bool]]:
    """Mapped, sync-enabled clients of the partner (optionally only some of them)."""
    conditions: list[ColumnElement[bool]] = [
        Client.partner_id == partner_id,
        Client.sync_enabled.is_(True),
    ]
    if client_ids is not None:
        conditions.append(Client.id.in_(client_ids))
    return conditions


async def count_run_clients(
    session: AsyncSession, partner_id: uuid.UUID, client_ids: Sequence[uuid.UUID] | None
) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(Client)
        .join(Mapping, Mapping.client_id == Client.id)
        .where(*_run_clients(partner_id, client_ids))
    )
    return total or 0


async def next_client_batch(
    session: AsyncSession,
    *,
    run_id: uuid.UUID,
    partner_id: uuid.UUID,
    client_ids: Sequence[uuid.UUID] | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[tuple[Client, Mapping]]:
    """The next `limit` clients by id after `after` that have no item in this run yet.

    Keyset pagination (never OFFSET) keeps each batch one index range however far the run
    is, and "no item yet" is what lets a reclaimed run skip the clients already done.
    """
    done = exists().where(SyncItem.run_id == run_id, SyncItem.client_id == Client.id)
    query = (
        select(Client, Mapping)
        .join(Mapping, Mapping.client_id == Client.id)
        .where(*_run_clients(partner_id, client_ids), ~done)
        .order_by(Client.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Client.id > after)
    rows = await session.execute(query)
    return [(client, mapping) for client, mapping in rows.tuples().all()]


async def latest_counts(
    session: AsyncSession, client_ids: Sequence[uuid.UUID], before: datetime
) -> dict[uuid.UUID, int]:
    """Each client's last count reported before `before` (the end of the partner's day)."""
    if not client_ids:
        return {}
    latest = (
        select(UserCount.client_id, func.max(UserCount.as_of).label("as_of"))
        .where(UserCount.client_id.in_(client_ids), UserCount.as_of < before)
        .group_by(UserCount.client_id)
        .subquery()
    )
    rows = await session.execute(
        select(UserCount.client_id, UserCount.active_users).join(
            latest,
            and_(UserCount.client_id == latest.c.client_id, UserCount.as_of == latest.c.as_of),
        )
    )
    return {client_id: users for client_id, users in rows.tuples().all()}


async def insert_items(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert items; one that exists already (same run and client) is left as it was, and
    one for a client deleted while the run went on is dropped (it would break the batch)."""
    if not rows:
        return
    existing = set(
        (
            await session.scalars(
                select(Client.id).where(Client.id.in_([row["client_id"] for row in rows]))
            )
        ).all()
    )
    rows = [row for row in rows if row["client_id"] in existing]
    if rows:
        await session.execute(insert_or_ignore(session, SyncItem), rows)


async def update_mappings(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key; every dict holds `id` and the columns it changes. A
    mapping removed while the run went on is skipped (the bulk UPDATE demands every row)."""
    if not rows:
        return
    existing = set(
        (
            await session.scalars(select(Mapping.id).where(Mapping.id.in_([r["id"] for r in rows])))
        ).all()
    )
    rows = [row for row in rows if row["id"] in existing]
    if rows:
        await session.execute(update(Mapping), rows)


async def set_connection_location(
    session: AsyncSession, partner_id: uuid.UUID, codebase: str, api_base_url: str
) -> None:
    """Where ConnectWise now answers (its codebase moves with cloud upgrades)."""
    await session.execute(
        update(Connection)
        .where(Connection.partner_id == partner_id)
        .values(codebase=codebase, api_base_url=api_base_url)
        .execution_options(synchronize_session=False)
    )


async def set_connection_status(
    session: AsyncSession, partner_id: uuid.UUID, status: str, error: str | None
) -> None:
    await session.execute(
        update(Connection)
        .where(Connection.partner_id == partner_id)
        .values(status=status, last_error=error)
        .execution_options(synchronize_session=False)
    )
