"""Client rules: unique external ids per partner, partial updates, reads with their mapping."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clients import repository
from cwsync.clients.repository import ClientRow
from cwsync.clients.schemas import ClientCreate, ClientRead, ClientUpdate
from cwsync.clock import utcnow
from cwsync.errors import Conflict, NotFound
from cwsync.models import Client, Partner


def client_not_found() -> NotFound:
    return NotFound("client not found", code="client_not_found")


async def create_client(session: AsyncSession, partner: Partner, data: ClientCreate) -> Client:
    client = Client(partner_id=partner.id, **data.model_dump())
    session.add(client)
    try:
        # The unique (partner_id, external_id) key decides, so two racing creates cannot
        # both win; a pre-check alone could not promise that.
        await session.flush()
    except IntegrityError as exc:
        if not _is_unique_violation(exc):
            raise
        raise Conflict(
            f"a client with external_id {data.external_id!r} already exists",
            code="client_exists",
        ) from None
    return client


async def get_client(
    session: AsyncSession, partner: Partner, client_id: uuid.UUID, *, lock: bool = False
) -> Client:
    """The partner's client or 404; `lock` before writing rows that belong to it (the
    client then cannot be deleted until this transaction ends)."""
    client = await repository.get_client(session, partner.id, client_id, lock=lock)
    if client is None:
        raise client_not_found()
    return client


async def read_client(session: AsyncSession, partner: Partner, client_id: uuid.UUID) -> ClientRead:
    row = await repository.get_client_row(session, partner.id, client_id)
    if row is None:
        raise client_not_found()
    return to_read(row)


async def update_client(
    session: AsyncSession, partner: Partner, client_id: uuid.UUID, data: ClientUpdate
) -> ClientRead:
    client = await get_client(session, partner, client_id, lock=True)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(client, field, value)
    client.updated_at = utcnow()
    await session.flush()
    return await read_client(session, partner, client_id)


async def delete_client(session: AsyncSession, partner: Partner, client_id: uuid.UUID) -> None:
    if not await repository.delete_client(session, partner.id, client_id):
        raise client_not_found()


def to_read(row: ClientRow) -> ClientRead:
    return ClientRead.model_validate(row)


def _is_unique_violation(exc: IntegrityError) -> bool:
    # asyncpg: UniqueViolationError (SQLSTATE 23505); SQLite: "UNIQUE constraint failed".
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate is not None:
        return str(sqlstate) == "23505"
    return "unique" in str(orig).lower()
