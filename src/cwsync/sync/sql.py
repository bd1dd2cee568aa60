"""The few statements that differ between PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


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
