"""ConnectWiseFactory: stored rows and typed credentials become working clients."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx
import pytest

from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.connectwise import UnavailableError
from cwsync.models import Connection
from cwsync.simulator.faults import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.support.simulated import CLIENT_ID, DEMO_KEYS, TENANT


def stored_row(factory: ConnectWiseFactory, simulator: SimulatorServer) -> Connection:
    return Connection(
        id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        site=simulator.site,
        company_id=TENANT,
        public_key=DEMO_KEYS[0],
        private_key_encrypted=factory.keyring.encrypt(DEMO_KEYS[1]),
        client_id=CLIENT_ID,
        codebase="v2025_1/",
        api_base_url=simulator.api_url(),
    )


async def test_clients_from_rows_and_from_credentials_work(simulator: SimulatorServer) -> None:
    settings = Settings(env="test", cw_scheme="http")
    async with httpx.AsyncClient(follow_redirects=False) as http:
        factory = ConnectWiseFactory(http, settings)
        row = stored_row(factory, simulator)

        simulator.state.clear_logs()
        info = await factory.for_connection(row).system_info()
        assert info.version is not None
        # The stored codebase is used as is: no companyinfo round trip.
        assert [r.path for r in simulator.state.requests] == ["/v2025_1/apis/3.0/system/info"]

        fresh = factory.for_credentials(simulator.site, TENANT, *DEMO_KEYS, CLIENT_ID)
        assert (await fresh.resolve()).api_base_url == simulator.api_url()

        credentials = factory.credentials_for(row)
        assert credentials.private_key.get_secret_value() == DEMO_KEYS[1]
        for shown in (repr(factory), repr(credentials), repr(row), repr(fresh)):
            assert DEMO_KEYS[1] not in shown
            assert row.private_key_encrypted not in shown


def test_importable_without_fastapi() -> None:
    """The sync engine and the scheduler use the factory without the web stack."""
    code = (
        "import sys, cwsync.connections.factory, cwsync.connections.rotation; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


async def test_the_sync_retries_by_the_settings_and_look_ups_once(
    simulator: SimulatorServer,
) -> None:
    """The nightly sync rides out a bad night (issue 9): `cw_max_attempts` attempts, paced by
    `cw_retry_base_seconds`; an interactive look-up gives up after one retry."""
    settings = Settings(env="test", cw_scheme="http", cw_retry_base_seconds=0.001)
    simulator.state.faults.add(Fault(kind="error", status=503, path="/system/info", count=7))
    async with httpx.AsyncClient(follow_redirects=False) as http:
        factory = ConnectWiseFactory(http, settings)
        interactive = factory.for_connection(stored_row(factory, simulator), interactive=True)
        with pytest.raises(UnavailableError):
            await interactive.system_info()
        assert (await factory.for_connection(stored_row(factory, simulator)).system_info()).version
    statuses = [r.status for r in simulator.state.requests]
    assert statuses == [503] * 7 + [200]  # 2 look-up attempts, then 6 of the sync
