"""One Alembic history that upgrades, downgrades and upgrades again on both databases."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from cwsync import migrate
from cwsync.db import create_engine
from cwsync.models import Base
from tests.support.databases import _pg_execute, pg_admin_url, require_postgres


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


def _round_trip(url: str) -> None:
    expected = set(Base.metadata.tables)
    migrate.upgrade(url)
    assert asyncio.run(_table_names(url)) == expected
    migrate.downgrade(url, "base")
    assert asyncio.run(_table_names(url)) == set()
    migrate.upgrade(url)
    assert asyncio.run(_table_names(url)) == expected


def test_round_trip_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'rt.db'}")


def test_round_trip_postgres() -> None:
    require_postgres()
    name = f"cwsync_mig_{uuid.uuid4().hex[:10]}"
    admin = pg_admin_url()
    asyncio.run(_pg_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        _round_trip(make_url(admin).set(database=name).render_as_string(hide_password=False))
    finally:
        asyncio.run(_pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.parametrize(
    ("table", "constraint"),
    [
        ("clients", "uq_clients_partner_id_external_id"),
        ("mappings", "uq_mappings_client_id"),
        ("pro_rata_charges", "uq_pro_rata_charges_client_id_month"),
        ("sync_runs", "uq_sync_runs_run_key"),
        ("sync_items", "uq_sync_items_run_id_client_id"),
    ],
)
def test_design_unique_keys_are_named(table: str, constraint: str) -> None:
    names = {c.name for c in Base.metadata.tables[table].constraints}
    assert constraint in names
