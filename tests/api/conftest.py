"""Fixtures for API tests. ConnectWise-backed ones live in tests/support/simulated.py."""

from tests.support.simulated import (  # noqa: F401 - re-exported as fixtures
    connected_partner,
    simulator,
    simulator_server,
)
