"""Shared fixtures: databases (SQLite and PostgreSQL), settings, the API over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from cwsync.app import create_app
from cwsync.config import Settings
from cwsync.db import SessionMaker, create_engine, create_sessionmaker
from tests.support.databases import (
    PostgresTestDatabase,
    SqliteTemplate,
    require_postgres,
)
from tests.support.servers import serve_in_thread

ADMIN_TOKEN = "test-admin-token-0123456789"
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresTestDatabase]:
    require_postgres()
    database = PostgresTestDatabase()
    database.create()
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: the test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        yield template.fresh_copy(tmp_path / "cwsync.db")
        return
    database: PostgresTestDatabase = request.getfixturevalue("postgres_database")
    database.truncate()
    yield database.url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        env="test",
        database_url=db_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        cw_scheme="http",
        cw_allow_private=True,
        cw_allowed_hosts="127.0.0.1,localhost",
        log_json=True,
    )


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[SessionMaker]:
    engine = create_engine(settings.database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def api_url(settings: Settings) -> Iterator[str]:
    """The real API (uvicorn, lifespan and all) on a free loopback port."""
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture
async def admin(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
async def anonymous(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        yield client


def shared_dir_or_skip() -> Path:
    """../shared holds the reference documents; absent in a user's clone, required in CI."""
    import os

    if SHARED_DIR.is_dir():
        return SHARED_DIR
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{SHARED_DIR} is required in CI", pytrace=False)
    pytest.skip(f"{SHARED_DIR} not present (reference documents live beside the repository)")
