"""`cwsync sync --partner P [--dry-run]`: queue, run (no scheduler needed), report, exit code."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid

import pytest
from rich.console import Console
from sqlalchemy import select

from cwsync.config import Settings
from cwsync.db import SessionMaker
from cwsync.models import SyncRun
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync.follow import follow
from tests.support.simulated import TENANT, simulator, simulator_server  # noqa: F401
from tests.support.sync_world import START_QUANTITY, build_world


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120), out


async def test_follow_runs_the_run_and_exits_zero_on_success(
    sessionmaker: SessionMaker,
    settings: Settings,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    fast = settings.model_copy(update={"cw_rate_per_minute": 60_000})
    world = await build_world(sessionmaker, fast, simulator, clients=4)
    terminal, out = console()

    assert await follow(fast, world.partner_id, True, terminal) == 0  # dry run
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    assert tenant.additions[world.addition_ids[0]].quantity == START_QUANTITY

    assert await follow(fast, world.partner_id, False, terminal) == 0
    assert tenant.additions[world.addition_ids[0]].quantity == world.counts[0]
    text = out.getvalue()
    assert "succeeded" in text and "would_update" in text and "updated" in text
    async with sessionmaker() as session:
        runs = (await session.scalars(select(SyncRun).order_by(SyncRun.created_at))).all()
    assert [(r.trigger, r.dry_run, r.status) for r in runs] == [
        ("manual", True, "succeeded"),
        ("manual", False, "succeeded"),
    ]


async def test_follow_exits_non_zero_when_the_run_fails(
    sessionmaker: SessionMaker,
    settings: Settings,
    simulator: SimulatorServer,  # noqa: F811
) -> None:
    world = await build_world(sessionmaker, settings, simulator, clients=1, with_product=False)
    terminal, out = console()
    assert await follow(settings, world.partner_id, False, terminal) == 1
    assert "no_product" in out.getvalue()
    terminal, out = console()
    assert await follow(settings, uuid.uuid4(), False, terminal) == 2


@pytest.mark.slow
def test_the_command_rejects_a_bad_partner_id() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cwsync.cli", "sync", "--partner", "nope"],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert b"not a partner id" in done.stderr
