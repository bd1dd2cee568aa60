"""SQL for user counts: upserts on the unique (client_id, as_of) key, and history pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clock import utcnow
from cwsync.models import Partner, UserCount

# Five bound values a row: 1,000 rows stay well under both drivers' 32,767-parameter limit.
UPSERT_CHUNK = 1000
_IN_CHUNK = 5000

_table = UserCount.__table__


async def upsert_counts(
    session: AsyncSession, counts: Iterable[tuple[uuid.UUID, datetime, int]]
) -> None:
    """Store (client_id, as_of, active_users) rows; the same (client, as_of) is replaced.

    Keys must be unique within the call (PostgreSQL refuses to update one row twice in a
    statement). An unchanged value is not rewritten, so re-posting a feed changes nothing,
    not even `recorded_at`.
    """
    now = utcnow()
    # Key order, not request order: two feeds touching the same rows then lock them in the
    # same order and cannot deadlock each other on PostgreSQL.
    rows = [
        {"id": uuid.uuid4(), "client_id": c, "as_of": a, "active_users": n, "recorded_at": now}
        for c, a, n in sorted(counts, key=lambda row: (row[0], row[1]))
    ]
    dialect = session.get_bind().dialect.name
    for start in range(0, len(rows), UPSERT_CHUNK):
        await session.execute(_upsert(dialect, rows[start : start + UPSERT_CHUNK]))


def _upsert(dialect: str, rows: list[dict[str, Any]]) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(_table).values(rows)
    return stmt.on_conflict_do_update(
        index_elements=[_table.c.client_id, _table.c.as_of],
        set_={
            "active_users": stmt.excluded.active_users,
            "recorded_at": stmt.excluded.recorded_at,
        },
        where=_table.c.active_users != stmt.excluded.active_users,
    )


async def get_count(
    session: AsyncSession, client_id: uuid.UUID, as_of: datetime
) -> UserCount | None:
    return await session.scalar(
        select(UserCount).where(UserCount.client_id == client_id, UserCount.as_of == as_of)
    )


async def list_counts(
    session: AsyncSession, client_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[UserCount], int]:
    rows = await session.scalars(
        select(UserCount)
        .where(UserCount.client_id == client_id)
        .order_by(UserCount.as_of.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(
        select(func.count()).select_from(UserCount).where(UserCount.client_id == client_id)
    )
    return rows.all(), total or 0


async def existing_partner_ids(
    session: AsyncSession, partner_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for start in range(0, len(partner_ids), _IN_CHUNK):
        chunk = partner_ids[start : start + _IN_CHUNK]
        rows = await session.scalars(select(Partner.id).where(Partner.id.in_(chunk)))
        found.update(rows.all())
    return found
