"""A fresh, migrated PostgreSQL database per benchmark scenario, dropped afterwards."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync import migrate

DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
# Rows per INSERT statement when seeding: big enough to be set-based, small enough that one
# statement stays well under PostgreSQL's 32,767 bind parameters.
SEED_CHUNK = 2000


T = TypeVar("T")


async def patiently(action: Callable[[], Awaitable[T]], seconds: float = 60) -> T:
    """`action()`, tried again while PostgreSQL is unreachable (the machine's PostgreSQL is
    shared: another team's test may restart it in the middle of a benchmark)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await action()
        except (OSError, asyncpg.PostgresError, DBAPIError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


async def _execute(url: str, statement: str) -> None:
    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database=u.database,
        timeout=10,
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(admin_url: str, label: str) -> AsyncIterator[str]:
    """Create `cwsync_bench_<label>_<random>`, migrate it, yield its URL, drop it."""
    name = f"cwsync_bench_{label}_{uuid.uuid4().hex[:8]}"
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    await patiently(lambda: _execute(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        # Alembic's async env runs its own event loop: give it a thread of its own.
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
    finally:
        await patiently(
            lambda: _execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


async def insert_rows(session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Set-based insert: one multi-row statement per chunk."""
    for start in range(0, len(rows), SEED_CHUNK):
        chunk = rows[start : start + SEED_CHUNK]
        await session.execute(insert(table), list(chunk))
