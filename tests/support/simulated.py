"""Fixtures for tests that need ConnectWise: the simulator in a thread, a connected partner.

Use them from a conftest (``from tests.support.simulated import *`` re-exports just the
fixtures below; see ``tests/api/conftest.py``):

- ``simulator_server`` (session): one ``SimulatorServer`` with the demo seed per pytest
  process; prefer ``simulator``.
- ``simulator`` (function): the same server, reset to the demo seed (tenants, faults,
  request and write logs) before the test. ``simulator.site`` is what a partner types
  (``127.0.0.1:PORT``); ``simulator.state`` is the live state (``.requests``, ``.writes``,
  ``.faults.add(Fault(...))``).
- ``connected_partner`` (function): a partner created through the API, a partner token,
  and the connection saved with ``PUT …/connectwise`` against the simulator (tenant
  ``northwind``, keys ``demo-public-key``/``demo-private-key``, every permission). Gives a
  ``ConnectedPartner`` with ``id``, ``token``, ``client`` (an httpx client carrying the
  partner token, base URL set) and ``url(path)`` → ``/v1/partners/{id}{path}``.

``sqlite_only`` marks a test whose subject never reaches the database beyond its setup
(input validation, ConnectWise answers proxied as they are): it then runs once, on SQLite,
instead of on both databases, to keep the suite quick.

``connect_partner(admin, api_url, simulator, ...)`` does the same on demand, e.g. for a
second partner or for the member whose role lacks Agreements Edit (``NOEDIT_KEYS``).
They need the root conftest's ``settings`` (http scheme, loopback allowed), ``api_url``
and ``admin`` fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cwsync.simulator.testing import SimulatorServer
from tests.support.conformance import assert_simulator_traffic_conforms

TENANT = "northwind"
DEMO_KEYS = ("demo-public-key", "demo-private-key")
NOEDIT_KEYS = ("noedit-public-key", "noedit-private-key")  # role without Agreements Edit
INACTIVE_KEYS = ("inactive-public-key", "inactive-private-key")  # a disabled API member
CLIENT_ID = "3f2a1c9e-0000-4000-8000-00000000c0de"

__all__ = ["connected_partner", "simulator", "simulator_server"]

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@dataclass
class ConnectedPartner:
    id: str
    token: str
    client: httpx.AsyncClient
    connection: dict[str, Any]

    def url(self, path: str = "") -> str:
        return f"/v1/partners/{self.id}{path}"


def connection_body(
    simulator: SimulatorServer, keys: tuple[str, str] = DEMO_KEYS, **overrides: Any
) -> dict[str, Any]:
    """A ``PUT …/connectwise`` body for the simulator's northwind tenant."""
    body = {
        "site": simulator.site,
        "company_id": TENANT,
        "public_key": keys[0],
        "private_key": keys[1],
        "client_id": CLIENT_ID,
    }
    body.update(overrides)
    return body


async def connect_partner(
    admin: httpx.AsyncClient,
    api_url: str,
    simulator: SimulatorServer,
    *,
    name: str = "Northwind MSP",
    keys: tuple[str, str] = DEMO_KEYS,
) -> ConnectedPartner:
    """Partner + token + verified connection, all through the API. Close ``.client``."""
    created = await admin.post("/v1/partners", json={"name": name, "timezone": "UTC"})
    assert created.status_code == 201, created.text
    partner_id = created.json()["id"]
    issued = await admin.post(f"/v1/partners/{partner_id}/tokens", json={})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    saved = await admin.put(
        f"/v1/partners/{partner_id}/connectwise", json=connection_body(simulator, keys)
    )
    assert saved.status_code == 200, saved.text
    client = httpx.AsyncClient(
        base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    return ConnectedPartner(id=partner_id, token=token, client=client, connection=saved.json())


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[SimulatorServer]:
    with SimulatorServer() as server:
        yield server


@pytest.fixture
def simulator(simulator_server: SimulatorServer) -> Iterator[SimulatorServer]:
    """The session's simulator, reset to the demo seed; every request cwsync sent to it
    during the test, and every answer, is checked against ConnectWise's OpenAPI document."""
    simulator_server.reset()
    yield simulator_server
    assert_simulator_traffic_conforms(simulator_server.state)


@pytest.fixture
async def connected_partner(
    admin: httpx.AsyncClient, api_url: str, simulator: SimulatorServer
) -> AsyncIterator[ConnectedPartner]:
    partner = await connect_partner(admin, api_url, simulator)
    try:
        yield partner
    finally:
        await partner.client.aclose()
