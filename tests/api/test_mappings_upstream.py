"""Mappings when ConnectWise is slow or unkind, and no database held while it answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from cwsync.app import create_app
from cwsync.config import Settings
from cwsync.simulator import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.api.test_mappings import CONTOSO, mapped_client
from tests.conftest import ADMIN_TOKEN
from tests.support.servers import serve_in_thread
from tests.support.simulated import ConnectedPartner, connect_partner

LOOKUP_TIMEOUT = 1.0


@dataclass
class QuickApi:
    app: FastAPI
    partner: ConnectedPartner


@pytest.fixture
def quick_app(settings: Settings) -> Iterator[tuple[FastAPI, str]]:
    """The API with a short ConnectWise look-up timeout, and its app object to look into."""
    app = create_app(settings.model_copy(update={"cw_lookup_timeout_seconds": LOOKUP_TIMEOUT}))
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
async def quick(
    quick_app: tuple[FastAPI, str], simulator: SimulatorServer
) -> AsyncIterator[QuickApi]:
    app, url = quick_app
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as admin:
        partner = await connect_partner(admin, url, simulator)
        try:
            yield QuickApi(app=app, partner=partner)
        finally:
            await partner.client.aclose()


async def test_slow_connectwise_is_504_and_nothing_saved(
    quick: QuickApi, simulator: SimulatorServer
) -> None:
    client_url = await mapped_client(quick.partner)
    simulator.state.faults.add(Fault(kind="latency", ms=3000, path="/finance/agreements"))
    response = await quick.partner.client.put(client_url + "/mapping", json=CONTOSO)
    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "connectwise_timeout"
    assert (await quick.partner.client.get(client_url + "/mapping")).status_code == 404


async def test_no_database_connection_is_held_while_connectwise_answers(
    quick: QuickApi, simulator: SimulatorServer
) -> None:
    client_url = await mapped_client(quick.partner)
    simulator.state.faults.add(Fault(kind="latency", ms=600, path="/company/companies"))
    pool = quick.app.state.engine.pool
    put = asyncio.create_task(quick.partner.client.put(client_url + "/mapping", json=CONTOSO))
    # Wait until the company read is in flight at the simulator, then look at the pool.
    for _ in range(200):
        if any("/company/companies/250" in r.path for r in simulator.state.requests):
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the mapping never reached ConnectWise")
    held_during_call = pool.checkedout()
    response = await put
    assert response.status_code == 200, response.text
    assert held_during_call == 0


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault(kind="deny", path="/finance/agreements"), 422, "connectwise_permission_denied"),
        (Fault(kind="down", tenant="northwind"), 424, "connectwise_unreachable"),
        # A Retry-After beyond what an interactive call waits for is reported at once.
        (Fault(kind="throttle", retry_after=600), 424, "connectwise_throttled"),
        (Fault(kind="error", status=500, body="permanent"), 424, "connectwise_unreachable"),
    ],
)
async def test_connectwise_failures_become_clear_errors(
    connected_partner: ConnectedPartner,
    simulator: SimulatorServer,
    fault: Fault,
    status: int,
    code: str,
) -> None:
    client_url = await mapped_client(connected_partner)
    simulator.state.faults.add(fault)
    response = await connected_partner.client.put(client_url + "/mapping", json=CONTOSO)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    simulator.state.faults.faults.clear()
    assert (await connected_partner.client.get(client_url + "/mapping")).status_code == 404


async def test_rejected_keys_mark_the_connection_failing(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    client_url = await mapped_client(connected_partner)
    tenant = simulator.state.tenant("northwind")
    assert tenant is not None
    for member in tenant.members.values():
        member.active = False
    response = await connected_partner.client.put(client_url + "/mapping", json=CONTOSO)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "connectwise_credentials_rejected"
    connection = (await connected_partner.client.get(connected_partner.url("/connectwise"))).json()
    assert connection["status"] == "failing"
