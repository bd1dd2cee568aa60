"""Test databases: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``CWSYNC_TEST_DATABASE_URL`` (default: the local server). Outside CI
a missing server skips those tests with a message; in CI (``CI=true``) it is an error.
Each pytest process migrates one private PostgreSQL database once and empties it between
tests; SQLite gets a copy of a migrated template file per test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from cwsync import migrate
from cwsync.models import Base

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pg_admin_url() -> str:
    return os.environ.get("CWSYNC_TEST_DATABASE_URL", DEFAULT_PG)


async def _pg_execute(url: str, *statements: str) -> None:
    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database=u.database,
        timeout=5,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def pg_available() -> str | None:
    """None when PostgreSQL answers; otherwise why not."""
    try:
        asyncio.run(_pg_execute(pg_admin_url(), "SELECT 1"))
    except Exception as exc:  # any failure means "not available here"
        return f"{type(exc).__name__}: {exc}"
    return None


class PostgresTestDatabase:
    """One migrated database per pytest process, emptied between tests."""

    def __init__(self) -> None:
        self.name = f"cwsync_test_{uuid.uuid4().hex[:12]}"
        self.url = (
            make_url(pg_admin_url()).set(database=self.name).render_as_string(hide_password=False)
        )

    def create(self) -> None:
        asyncio.run(_pg_execute(pg_admin_url(), f'CREATE DATABASE "{self.name}"'))
        migrate.upgrade(self.url)

    def truncate(self) -> None:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        asyncio.run(_pg_execute(self.url, f"TRUNCATE {tables} CASCADE"))

    def drop(self) -> None:
        asyncio.run(
            _pg_execute(pg_admin_url(), f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        )


class SqliteTemplate:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        migrate.upgrade(f"sqlite+aiosqlite:///{self.path}")

    def fresh_copy(self, target: Path) -> str:
        shutil.copyfile(self.path, target)
        return f"sqlite+aiosqlite:///{target}"


def require_postgres() -> str:
    reason = pg_available()
    if reason is not None:
        message = f"PostgreSQL not reachable at {pg_admin_url()} ({reason})"
        if IN_CI:
            pytest.fail(f"{message}: PostgreSQL is required in CI", pytrace=False)
        pytest.skip(f"{message}; set CWSYNC_TEST_DATABASE_URL to run these tests")
    return pg_admin_url()
