"""The real `ConnectWiseClient` against the simulator over real HTTP (CASES.md C1–C17).

- `sim` (autouse): one `SimulatorServer` per session, reset to the demo seed before each
  test; after each test every request the client sent and every answer is checked against
  ConnectWise's OpenAPI document (`tests/support/conformance.py`).
- `clock`: virtual time. The client sleeps on it (retry waits are recorded, never slept) and
  the simulator's fault windows count on it, so "the 3rd–4th request of every 10 s" is exact.
- `wire`: what went over the socket, seen from httpx (exact request bytes, `Link` headers);
  the simulator's own log keeps bodies parsed, so byte-exact assertions read this.
- `make_client(**overrides)`: a client for the demo tenant (or `credentials=`), http scheme,
  paced loosely so pacing never slows a test.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from cwsync.connectwise import ConnectWiseClient, TenantLimits
from cwsync.simulator.state import utcnow
from cwsync.simulator.testing import SimulatorServer
from tests.integration.support import ClientFactory, VirtualClock, Wire, credentials
from tests.support.conformance import assert_simulator_traffic_conforms


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimulatorServer]:
    with SimulatorServer() as server:
        yield server


@pytest.fixture(autouse=True)
def sim(sim_server: SimulatorServer) -> Iterator[SimulatorServer]:
    sim_server.reset()
    state = sim_server.state
    state.latency_ms, state.clock, state.monotonic = 0, utcnow, time.monotonic
    yield sim_server
    assert_simulator_traffic_conforms(state)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def http(wire: Wire) -> AsyncIterator[httpx.AsyncClient]:
    hooks: dict[str, list[Any]] = {"request": [wire.on_request], "response": [wire.on_response]}
    async with httpx.AsyncClient(follow_redirects=False, event_hooks=hooks) as client:
        yield client


@pytest.fixture
def make_client(
    sim: SimulatorServer, http: httpx.AsyncClient, clock: VirtualClock
) -> ClientFactory:
    def make(**overrides: Any) -> ConnectWiseClient:
        options: dict[str, Any] = {
            "scheme": "http",
            "sleep": clock.sleep,
            "limits": TenantLimits(concurrency=4, rate_per_minute=1_000_000),
            "timeout": 10.0,
        }
        options.update(overrides)
        creds = options.pop("credentials", None) or credentials(sim)
        return ConnectWiseClient(http, creds, **options)

    return make
