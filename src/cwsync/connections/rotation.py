"""``cwsync rotate-keys``: re-encrypt every stored private key under the newest key.

Rotation: put a new key first in ``CWSYNC_ENCRYPTION_KEYS`` (keep the old ones after it),
restart, run ``cwsync rotate-keys``, then drop the old keys. Every key is re-encrypted in
one transaction: if any cannot be decrypted with the configured keys, nothing changes and
the command names the connection, so no key is left readable only by a retired key.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update

from cwsync.config import Settings, get_settings
from cwsync.db import create_engine, create_sessionmaker, unit_of_work
from cwsync.models import Connection
from cwsync.security.encryption import Keyring, KeyringError


async def rotate_all(settings: Settings | None = None) -> int:
    """Re-encrypt every connection's private key; returns how many were re-encrypted."""
    settings = settings or get_settings()
    keyring = Keyring(settings.fernet_keys)
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            rows = (
                await session.execute(
                    select(Connection.id, Connection.partner_id, Connection.private_key_encrypted)
                )
            ).all()
            rotated = 0
            for connection_id, partner_id, token in rows:
                try:
                    fresh = keyring.rotate(token)
                except InvalidToken as exc:
                    raise KeyringError(
                        f"the private key of partner {partner_id}'s connection cannot be "
                        "decrypted with any configured key; nothing was re-encrypted"
                    ) from exc
                # Only if unchanged since read: a connection saved meanwhile is already
                # encrypted under the newest key and must not be overwritten.
                result = await session.execute(
                    update(Connection)
                    .where(
                        Connection.id == connection_id,
                        Connection.private_key_encrypted == token,
                    )
                    .values(private_key_encrypted=fresh)
                )
                rotated += int(getattr(result, "rowcount", 0) or 0)
            return rotated
    finally:
        await engine.dispose()
