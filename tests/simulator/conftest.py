"""One simulator per session on a free port; each test starts from the demo seed.

At teardown every answer the test received is checked against ConnectWise's OpenAPI
document (tests/simulator/conformance.py), when ../shared is present.
"""

from __future__ import annotations

import base64
import json
import os
import time
import warnings
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cwsync.simulator.state import utcnow
from cwsync.simulator.testing import SimulatorAdmin, SimulatorServer
from tests.simulator import conformance

CLIENT_ID = "0c7a1f5e-5b1e-4a8e-9d0e-3f2b6a1c9d11"


def basic(company: str, public: str, private: str) -> str:
    token = base64.b64encode(f"{company}+{public}:{private}".encode()).decode()
    return f"Basic {token}"


DEMO_AUTH = basic("northwind", "demo-public-key", "demo-private-key")
NOEDIT_AUTH = basic("northwind", "noedit-public-key", "noedit-private-key")


def exact_json(response: httpx.Response) -> Any:
    """The body with every decimal number as an exact ``Decimal`` (money asserted exactly)."""
    return json.loads(response.content, parse_float=Decimal)


def cw_headers(auth: str = DEMO_AUTH) -> dict[str, str]:
    return {
        "clientId": CLIENT_ID,
        "Authorization": auth,
        "Accept": "application/vnd.connectwise.com+json; version=2025.1",
    }


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimulatorServer]:
    with SimulatorServer() as server:
        yield server


@pytest.fixture
def sim(sim_server: SimulatorServer) -> Iterator[SimulatorServer]:
    sim_server.reset()
    # Tests may swap the clocks or the base latency; every test starts from real ones.
    sim_server.state.latency_ms = 0
    sim_server.state.clock = utcnow
    sim_server.state.monotonic = time.monotonic
    yield sim_server
    if conformance._read_spec() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{conformance.SPEC_PATH} is required in CI", pytrace=False)
        warnings.warn("../shared absent: answers not checked against the spec", stacklevel=1)
        return
    conformance.check_logged(sim_server.state.requests)


@pytest.fixture
def cw(sim: SimulatorServer) -> Iterator[httpx.Client]:
    """A plain httpx client on the demo tenant's API root, demo member credentials."""
    with httpx.Client(base_url=sim.api_url(), headers=cw_headers(), timeout=10) as client:
        yield client


@pytest.fixture
def admin(sim: SimulatorServer) -> Iterator[SimulatorAdmin]:
    with sim.admin() as client:
        yield client
