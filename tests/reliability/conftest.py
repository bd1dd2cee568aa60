"""Fixtures of the reliability scenarios (`make test-reliability`, marker `reliability`).

- every scenario runs on PostgreSQL (`db_url` overridden): replicas share the queue there;
- `simulator`: one simulator per session with three copies of the demo tenant (`northwind`,
  `southwind`, `eastwind`), reset before each test;
- `fleet`: real `cwsync scheduler` / `cwsync serve` processes, killed at the end;
- the whole session's logs are captured (`capture`) for the secrets check that ends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cwsync.config import DEV_ADMIN_TOKEN, Settings
from cwsync.simulator.seed import apply_seed
from cwsync.simulator.state import SimulatorState
from cwsync.simulator.testing import SimulatorServer
from tests.conftest import ADMIN_TOKEN
from tests.reliability import capture
from tests.reliability.fleet import Fleet
from tests.reliability.world import PRIVATE_KEY, PUBLIC_KEY, seed
from tests.support.databases import PostgresTestDatabase

TENANTS = ("northwind", "southwind", "eastwind")
# The demo seed's other members: their private keys are secrets too.
OTHER_KEY_PAIRS = (
    ("noedit-public-key", "noedit-private-key"),
    ("inactive-public-key", "inactive-private-key"),
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run only when asked for (`-m reliability`, or a path inside this directory): a plain
    `pytest` must not restart the shared PostgreSQL or spend minutes killing processes."""
    here = Path(__file__).parent
    markexpr = str(config.getoption("markexpr") or "")
    asked = ("reliability" in markexpr and "not reliability" not in markexpr) or any(
        here in Path(arg.split("::")[0]).resolve().parents or Path(arg).resolve() == here
        for arg in config.args
    )
    if asked:
        return
    skip = pytest.mark.skip(reason="reliability scenario: run `make test-reliability`")
    for item in items:
        if item.get_closest_marker("reliability") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def captured_logs() -> Iterator[None]:
    capture.start_in_process_capture()
    capture.SECRETS.update({ADMIN_TOKEN, f"Bearer {ADMIN_TOKEN}", DEV_ADMIN_TOKEN})
    capture.SECRETS.update(Settings().fernet_keys)
    for tenant in TENANTS:
        capture.remember_key_pair(tenant, PUBLIC_KEY, PRIVATE_KEY)
        for public, private in OTHER_KEY_PAIRS:
            capture.remember_key_pair(tenant, public, private)
    yield


@pytest.fixture
def db_url(postgres_database: PostgresTestDatabase) -> str:
    """PostgreSQL only: the scenarios run several processes on one database."""
    postgres_database.truncate()
    return postgres_database.url


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[SimulatorServer]:
    state = SimulatorState(rng_seed=9)
    apply_seed(state, seed(TENANTS))
    with SimulatorServer(state) as server:
        yield server


@pytest.fixture
def simulator(simulator_server: SimulatorServer) -> SimulatorServer:
    simulator_server.reset()
    return simulator_server


@pytest.fixture
def fleet(settings: Settings, tmp_path: Path) -> Iterator[Fleet]:
    started = Fleet(settings, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
