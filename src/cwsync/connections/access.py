"""A partner's stored connection, opened for one interactive request.

``open_connectwise`` is the one way API routes reach a partner's ConnectWise:

    async with open_connectwise(session, partner.id, factory, settings) as cw:
        item = await cw.get_catalog_item(812)

- no stored connection → 409 ``connection_missing``; a private key the configured keys
  cannot decrypt → 409 ``connection_key_unreadable``;
- the request's transaction is committed before the first ConnectWise call, so no database
  transaction (or pooled connection) is held while ConnectWise thinks (AGENTS.md); later
  statements on the session start a new, short one;
- the whole block answers within ``cw_lookup_timeout_seconds`` or 504 ``connectwise_timeout``;
- ConnectWise's errors become partner-facing ones (``cwsync.connections.upstream``); a 401
  also marks the connection ``failing`` with ``last_error``, committed at once because the
  error that follows rolls the request's session back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.config import Settings
from cwsync.connections import repository
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.connections.upstream import CREDENTIALS_REJECTED, timed_out, translate
from cwsync.connectwise import AuthenticationError, ConnectWiseClient, ConnectWiseError
from cwsync.errors import Conflict
from cwsync.models import Connection
from cwsync.security.encryption import KeyringError


class ConnectionMissing(Conflict):
    code = "connection_missing"

    def __init__(self) -> None:
        super().__init__(
            "this partner has no ConnectWise connection yet; save one first "
            "(PUT /v1/partners/{partner_id}/connectwise)"
        )


class ConnectionUnreadable(Conflict):
    code = "connection_key_unreadable"

    def __init__(self) -> None:
        super().__init__(
            "the stored private key cannot be decrypted with the configured encryption keys "
            "(was a key retired before `cwsync rotate-keys` ran?); save the connection again"
        )


def client_for(factory: ConnectWiseFactory, connection: Connection) -> ConnectWiseClient:
    """An interactive client for the stored connection; 409 if its key is unreadable."""
    try:
        return factory.for_connection(connection, interactive=True)
    except KeyringError as exc:
        raise ConnectionUnreadable() from exc


async def require_connection(session: AsyncSession, partner_id: uuid.UUID) -> Connection:
    connection = await repository.get_connection(session, partner_id)
    if connection is None:
        raise ConnectionMissing()
    return connection


@asynccontextmanager
async def connectwise_deadline(settings: Settings) -> AsyncIterator[None]:
    """ConnectWise errors translated, and the block bounded by the look-up timeout."""
    seconds = settings.cw_lookup_timeout_seconds
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        raise timed_out(seconds) from exc
    except ConnectWiseError as exc:
        raise translate(exc, timeout=seconds) from exc


@asynccontextmanager
async def open_connectwise(
    session: AsyncSession,
    partner_id: uuid.UUID,
    factory: ConnectWiseFactory,
    settings: Settings,
) -> AsyncIterator[ConnectWiseClient]:
    connection = await require_connection(session, partner_id)
    client = client_for(factory, connection)
    connection_id = connection.id
    await session.commit()  # never hold a transaction open while awaiting ConnectWise
    try:
        async with connectwise_deadline(settings):
            yield client
    except Exception as exc:
        if isinstance(exc.__cause__, AuthenticationError):
            await repository.update_connection(
                session, connection_id, {"status": "failing", "last_error": CREDENTIALS_REJECTED}
            )
            await session.commit()
        raise
