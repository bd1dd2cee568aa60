"""SQL for connections and the picked product (each 0..1 per partner)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clock import utcnow
from cwsync.models import Connection, Product


async def get_connection(session: AsyncSession, partner_id: uuid.UUID) -> Connection | None:
    return await session.scalar(select(Connection).where(Connection.partner_id == partner_id))


async def upsert_connection(
    session: AsyncSession, partner_id: uuid.UUID, values: dict[str, Any]
) -> Connection:
    """Insert or replace the partner's connection in one statement.

    ``partner_id`` is unique: ON CONFLICT makes two concurrent saves end as one row (the
    last one wins) instead of one of them failing on the unique key.
    """
    now = utcnow()
    row = {**values, "partner_id": partner_id, "updated_at": now}
    await _upsert(session, Connection, row, now)
    connection = await get_connection(session, partner_id)
    assert connection is not None  # just written in this transaction
    await session.refresh(connection)  # the identity map may hold the row as it was
    return connection


async def delete_connection(session: AsyncSession, partner_id: uuid.UUID) -> bool:
    result = await session.execute(delete(Connection).where(Connection.partner_id == partner_id))
    return bool(getattr(result, "rowcount", 0))


async def update_connection(
    session: AsyncSession, connection_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Set some columns by id (no read first: the row may have been loaded by another
    session before a ConnectWise call)."""
    await session.execute(
        update(Connection)
        .where(Connection.id == connection_id)
        .values(**values, updated_at=utcnow())
    )


async def all_connections(session: AsyncSession) -> Sequence[Connection]:
    rows = await session.scalars(select(Connection).order_by(Connection.id))
    return rows.all()


async def get_product(session: AsyncSession, partner_id: uuid.UUID) -> Product | None:
    return await session.scalar(select(Product).where(Product.partner_id == partner_id))


async def upsert_product(
    session: AsyncSession, partner_id: uuid.UUID, values: dict[str, Any]
) -> Product:
    now = utcnow()
    await _upsert(session, Product, {**values, "partner_id": partner_id, "updated_at": now}, now)
    product = await get_product(session, partner_id)
    assert product is not None
    await session.refresh(product)
    return product


async def _upsert(
    session: AsyncSession, model: type[Connection] | type[Product], row: dict[str, Any], now: Any
) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(id=uuid.uuid4(), created_at=now, **row)
    changed = {key: statement.excluded[key] for key in row if key != "partner_id"}
    await session.execute(
        statement.on_conflict_do_update(index_elements=["partner_id"], set_=changed)
    )
