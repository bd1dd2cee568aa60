"""SQL for mappings (0..1 per client): read, upsert on the unique client_id, delete."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clock import utcnow
from cwsync.models import Client, Mapping, Partner

_table = Mapping.__table__


async def get_mapping(session: AsyncSession, client_id: uuid.UUID) -> Mapping | None:
    return await session.scalar(
        select(Mapping)
        .where(Mapping.client_id == client_id)
        .execution_options(populate_existing=True)
    )


async def save_mapping(
    session: AsyncSession, client_id: uuid.UUID, values: dict[str, Any]
) -> Mapping:
    """Insert or replace the client's mapping in one statement.

    ``client_id`` is unique: ON CONFLICT makes two concurrent saves end as one row (the last
    one wins) instead of one failing on the key. What the last sync did (``last_synced_*``,
    ``last_outcome``, ``last_error``) is kept: it is the client's history, not the pick's.
    """
    now = utcnow()
    row = {**values, "client_id": client_id, "updated_at": now}
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_table).values(id=uuid.uuid4(), created_at=now, **row)
    changed = {key: statement.excluded[key] for key in row if key != "client_id"}
    await session.execute(
        statement.on_conflict_do_update(index_elements=[_table.c.client_id], set_=changed)
    )
    mapping = await get_mapping(session, client_id)
    assert mapping is not None  # just written in this transaction
    return mapping


async def delete_mapping(session: AsyncSession, client_id: uuid.UUID) -> bool:
    result = await session.execute(delete(Mapping).where(Mapping.client_id == client_id))
    return bool(getattr(result, "rowcount", 0))


async def lock_partner_mappings(session: AsyncSession, partner_id: uuid.UUID) -> None:
    """Serialise mapping writes of one partner (PostgreSQL row lock; SQLite's BEGIN
    IMMEDIATE already serialises writers), so "is this addition taken?" stays true until
    the write commits."""
    await session.execute(select(Partner.id).where(Partner.id == partner_id).with_for_update())


async def client_mapped_to_addition(
    session: AsyncSession, partner_id: uuid.UUID, addition_id: int, other_than: uuid.UUID
) -> Client | None:
    """Another client of the partner already billed through this addition, if any."""
    return await session.scalar(
        select(Client)
        .join(Mapping, Mapping.client_id == Client.id)
        .where(
            Client.partner_id == partner_id,
            Mapping.addition_id == addition_id,
            Client.id != other_than,
        )
        .limit(1)
    )
