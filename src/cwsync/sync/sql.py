"""The few statements that differ between PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.db import SessionMaker, unit_of_work

T = TypeVar("T")


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def is_postgres(session: AsyncSession) -> bool:
    return dialect_name(session) == "postgresql"


def insert_or_ignore(session: AsyncSession, table: Any) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` in the session's dialect: a unique key decides."""
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    return insert(table).on_conflict_do_nothing()


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE/DELETE matched (DML results are cursor results)."""
    return cast(CursorResult[Any], result).rowcount


async def uncancellable(write: Coroutine[Any, Any, T]) -> T:
    """Run a short database write to its end even if the caller is cancelled meanwhile.

    A transaction cut in half by cancellation can leave its connection holding SQLite's
    write lock (every other writer then waits out busy_timeout) or a PostgreSQL transaction
    open. Shutdown and lease loss cancel runs, so their writes go through here: the caller
    still sees the cancellation, the write still commits or rolls back whole.
    """
    return await asyncio.shield(asyncio.ensure_future(write))


async def in_session(
    sessionmaker: SessionMaker,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    commit: bool = False,
) -> T:
    """`work` in one short session (committed when `commit`), never cut off by cancellation.

    SQLAlchemy invalidates a connection whose statement is interrupted by a cancellation;
    with aiosqlite the underlying connection can then linger inside its transaction and,
    since every SQLite transaction here is BEGIN IMMEDIATE, keep the write lock for good.
    """

    async def run() -> T:
        if commit:
            async with unit_of_work(sessionmaker) as session:
                return await work(session)
        async with sessionmaker() as session:
            return await work(session)

    return await uncancellable(run())
