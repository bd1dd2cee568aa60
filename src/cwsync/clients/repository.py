"""SQL for clients: one row, and a page of rows with mapping and latest count joined in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Subquery, and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cwsync.models import Client, Mapping, UserCount


@dataclass(frozen=True)
class ClientRow:
    """A client with what the API shows beside it."""

    client: Client
    mapping: Mapping | None
    active_users: int | None
    as_of: datetime | None


async def get_client(
    session: AsyncSession, partner_id: uuid.UUID, client_id: uuid.UUID
) -> Client | None:
    # The partner is part of the key: another partner's client is simply not there.
    return await session.scalar(
        select(Client).where(Client.id == client_id, Client.partner_id == partner_id)
    )


async def get_client_row(
    session: AsyncSession, partner_id: uuid.UUID, client_id: uuid.UUID
) -> ClientRow | None:
    page = (
        select(Client)
        .where(Client.id == client_id, Client.partner_id == partner_id)
        .subquery("page")
    )
    rows = await _rows_for(session, page)
    return rows[0] if rows else None


async def list_client_rows(
    session: AsyncSession, partner_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[ClientRow], int]:
    """One page in one query, plus one count: never a query per client.

    The page is cut first (ordered by the unique (partner_id, external_id) index, so no sort
    of the whole partner), and only its rows are joined to mappings and latest counts.
    """
    page = (
        select(Client)
        .where(Client.partner_id == partner_id)
        .order_by(Client.external_id)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    rows = await _rows_for(session, page)
    total = await session.scalar(
        select(func.count()).select_from(Client).where(Client.partner_id == partner_id)
    )
    return rows, total or 0


async def _rows_for(session: AsyncSession, page: Subquery) -> list[ClientRow]:
    client = aliased(Client, page)
    # Latest count: max(as_of) is one seek on the unique (client_id, as_of) index, and the
    # join on that same key another; both per page row only.
    latest_as_of = (
        select(func.max(UserCount.as_of))
        .where(UserCount.client_id == client.id)
        .correlate(client)
        .scalar_subquery()
    )
    stmt = (
        select(client, Mapping, UserCount.active_users, UserCount.as_of)
        .outerjoin(Mapping, Mapping.client_id == client.id)
        .outerjoin(
            UserCount,
            and_(UserCount.client_id == client.id, UserCount.as_of == latest_as_of),
        )
        .order_by(client.external_id)
    )
    # populate_existing: a client just written in this session is shown as stored
    # (2.50 comes back as 2.5 on both databases), not as the object that was flushed.
    result = await session.execute(stmt.execution_options(populate_existing=True))
    return [
        ClientRow(client=c, mapping=m, active_users=users, as_of=as_of)
        for c, m, users, as_of in result.all()
    ]


async def delete_client(session: AsyncSession, partner_id: uuid.UUID, client_id: uuid.UUID) -> bool:
    # Counts, mapping, charges and sync items go with it (ON DELETE CASCADE).
    result = await session.execute(
        delete(Client).where(Client.id == client_id, Client.partner_id == partner_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def clients_by_external_id(
    session: AsyncSession, partner_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    """external_id → client id for one partner, in one query per chunk of ids."""
    found: dict[str, uuid.UUID] = {}
    unique = list(dict.fromkeys(external_ids))
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        rows = await session.execute(
            select(Client.external_id, Client.id).where(
                Client.partner_id == partner_id, Client.external_id.in_(chunk)
            )
        )
        found.update({external_id: cid for external_id, cid in rows.all()})
    return found


# Bound parameters per IN list: well under SQLite's and asyncpg's 32,767 limits.
_IN_CHUNK = 5000
