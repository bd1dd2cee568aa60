"""A ConnectWise PSA stand-in for demos, tests and benchmarks (DESIGN.md §8).

Public entry points::

    from cwsync.simulator import create_app, run, SimulatorState, load_state
    from cwsync.simulator.testing import SimulatorServer, SimulatorAdmin, AsyncSimulatorAdmin

See README.md beside this file for the seed, the admin API and the fault settings.
"""

from cwsync.simulator.app import create_app
from cwsync.simulator.faults import Fault
from cwsync.simulator.seed import (
    DEMO_SEED_PATH,
    apply_seed,
    dump_state,
    load_demo_state,
    load_state,
)
from cwsync.simulator.server import run
from cwsync.simulator.state import SimulatorState, Tenant, TenantSettings

__all__ = [
    "DEMO_SEED_PATH",
    "Fault",
    "SimulatorState",
    "Tenant",
    "TenantSettings",
    "apply_seed",
    "create_app",
    "dump_state",
    "load_demo_state",
    "load_state",
    "run",
]
