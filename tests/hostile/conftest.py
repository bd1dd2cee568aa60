"""Fixtures for the hostile-input tests: the API on a small body cap, a partner with a client
(rows a hostile request could change), and a snapshot of every table to prove nothing was
stored. ConnectWise-backed fixtures come from tests/support/simulated.py."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from cwsync.app import create_app
from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.models import Base
from tests.conftest import ADMIN_TOKEN
from tests.support.servers import serve_in_thread
from tests.support.simulated import (  # noqa: F401 - re-exported as fixtures
    connected_partner,
    simulator,
    simulator_server,
)

BODY_CAP = 16 * 1024


@dataclass
class Owner:
    """A partner, its token and one client: what a hostile request must leave alone."""

    ids: dict[str, str]
    token: str


@pytest.fixture
def capped_url(settings: Settings) -> Iterator[str]:
    """The API with a 16 KiB body cap, so oversized bodies stay small for the test."""
    with serve_in_thread(
        create_app(settings.model_copy(update={"max_body_bytes": BODY_CAP}))
    ) as url:
        yield url


@pytest.fixture
async def capped_admin(capped_url: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=capped_url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
async def owner(capped_admin: httpx.AsyncClient) -> Owner:
    partner = (await capped_admin.post("/v1/partners", json={"name": "Owner MSP"})).json()
    p = f"/v1/partners/{partner['id']}"
    token = (await capped_admin.post(p + "/tokens", json={})).json()["token"]
    client = await capped_admin.post(p + "/clients", json={"external_id": "c-1", "name": "Mine"})
    assert client.status_code == 201, client.text
    return Owner({"partner_id": partner["id"], "client_id": client.json()["id"]}, token)


async def table_counts(sessionmaker: SessionMaker) -> dict[str, int]:
    """Rows per table: equal before and after means a request stored nothing."""
    async with sessionmaker() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


@functools.cache
def app_schema() -> dict[str, Any]:
    return create_app(Settings(env="test")).openapi()


def body_operations() -> list[tuple[str, str]]:
    """(method, path template) of every operation that takes a body, from the app itself."""
    schema = app_schema()
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    )


def fill(path: str, ids: dict[str, str]) -> str:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return path.format(**{name: ids[name] for name in names})
