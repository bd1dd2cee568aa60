"""One measured sync: a fresh database and simulator, P × C clients, one scheduler process
until every run has finished; then, on the same simulator, the naive baseline if asked.

The runs are queued by the scheduler itself: every partner's `sync_time` is 00:00 UTC, so
its first tick (at start) finds all of them due and inserts their nightly runs.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from benchmarks.config import BenchConfig
from benchmarks.database import fresh_database, patiently
from benchmarks.figures import Bound, PerClient, Tally, bound, per_client, tally
from benchmarks.naive import NAIVE_TENANT, NaiveResult, run_naive
from benchmarks.processes import RssSampler, cpu_seconds, start_scheduler, start_simulator
from benchmarks.profiling import PySpy
from benchmarks.world import PRIVATE_KEY, load_simulator, needs_change, seed_partners, tenant_name
from cwsync.db import SessionMaker, create_engine, create_sessionmaker
from cwsync.models import SyncItem, SyncRun
from cwsync.security.encryption import Keyring, generate_key
from cwsync.sync.run_repository import FINAL_STATUSES


@dataclass
class ScenarioResult:
    partners: int
    clients: int
    wall_seconds: float  # first run claimed → last run finished (database timestamps)
    process_seconds: float  # scheduler process started → every run finished
    tally: Tally
    bound: Bound
    unchanged: PerClient
    changed: PerClient
    peak_rss: int
    cpu_seconds: float  # the scheduler's CPU time (user + system) until every run finished
    run_statuses: Counter[str]
    outcomes: Counter[str]
    naive: NaiveResult | None = None
    simulator_cpu_seconds: float = 0.0
    db_sessions: int = 0  # PostgreSQL sessions opened on the scenario's database
    load_at_end: str = ""  # the machine's load averages (1, 5, 15 min) when the runs ended

    @property
    def total_clients(self) -> int:
        return self.partners * self.clients

    @property
    def efficiency(self) -> float:
        return self.bound.seconds / self.wall_seconds if self.wall_seconds else 0.0


async def run_scenario(
    config: BenchConfig, label: str, clients: int, *, naive: bool = False
) -> ScenarioResult:
    workdir = (config.workdir / label).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    keyring = Keyring([key])
    async with fresh_database(config.admin_url, label) as url:
        simulator, sim_host = start_simulator(workdir, config.latency_ms, label)
        try:
            tenants = [(tenant_name(p), clients) for p in range(config.partners)]
            if naive:
                tenants.append((NAIVE_TENANT, config.naive_clients))
            await asyncio.to_thread(load_simulator, f"http://{sim_host}", tenants)
            engine = create_engine(url)
            try:
                sessionmaker = create_sessionmaker(engine)
                await patiently(
                    lambda: seed_partners(
                        sessionmaker,
                        keyring,
                        sim_host=sim_host,
                        partners=config.partners,
                        clients=clients,
                    )
                )
                sim_cpu = cpu_seconds(simulator.pid)
                result = await _measure(config, workdir, label, url, key, sessionmaker, clients)
                result.simulator_cpu_seconds = cpu_seconds(simulator.pid) - sim_cpu
            finally:
                await engine.dispose()
            log = await _request_log(sim_host)
            _save_timeline(log, workdir / "requests.csv")
            result.tally = tally(log)
            del log
            tenant_names = [name for name, _ in tenants if name != NAIVE_TENANT]
            result.bound = bound(
                result.tally.total,
                result.tally.by_partner,
                config.latency_s,
                config.global_cap,
                config.partner_cap,
            )
            result.unchanged = per_client(
                result.tally.by_client, tenant_names, clients, lambda i: not needs_change(i)
            )
            result.changed = per_client(result.tally.by_client, tenant_names, clients, needs_change)
            if naive:
                # After the scheduler has stopped: the baseline has the simulator to itself.
                result.naive = await run_naive(config, sim_host, keyring.encrypt(PRIVATE_KEY), key)
        finally:
            simulator.stop()
    return result


async def _measure(
    config: BenchConfig,
    workdir: Path,
    label: str,
    url: str,
    key: str,
    sessionmaker: SessionMaker,
    clients: int,
) -> ScenarioResult:
    expected = config.partners
    # Generous: ten times the bound plus start-up, so a slow machine still finishes.
    per_request = 2 * clients + 1
    timeout = 10 * expected * per_request * config.latency_s / config.global_cap + 120
    started = time.monotonic()
    scheduler = start_scheduler(workdir, config.scheduler_env(url, key), label)
    spy = PySpy(scheduler.pid, workdir / "scheduler-profile.raw") if config.profile else None
    try:
        with RssSampler(scheduler.pid) as rss:
            while True:
                await asyncio.sleep(0.25)
                if not scheduler.running():
                    raise RuntimeError(f"the scheduler exited early:\n{scheduler.tail()}")
                done = await patiently(lambda: _finished_runs(sessionmaker))
                if done >= expected:
                    break
                if time.monotonic() - started > timeout:
                    raise RuntimeError(
                        f"runs not finished after {timeout:.0f} s ({done}/{expected}):\n"
                        + scheduler.tail()
                    )
            process_seconds = time.monotonic() - started
            one, five, fifteen = os.getloadavg()
            load_at_end = f"{one:.2f} {five:.2f} {fifteen:.2f}"
            peak = rss.peak
            rss.sample()  # one last reading of the CPU time, now that every run is done
            cpu = rss.cpu_seconds
    finally:
        scheduler.stop()
        if spy is not None:
            summary = workdir / "scheduler-profile.txt"
            summary.write_text(await asyncio.to_thread(spy.finish))
            print(f"profile of the scheduler: {summary}", flush=True)
    result = await patiently(
        lambda: _result(config, sessionmaker, clients, process_seconds, peak, cpu)
    )
    result.load_at_end = load_at_end
    return result


async def _finished_runs(sessionmaker: SessionMaker) -> int:
    async with sessionmaker() as session:
        done = await session.scalar(
            select(func.count()).select_from(SyncRun).where(SyncRun.status.in_(FINAL_STATUSES))
        )
    return done or 0


async def _result(
    config: BenchConfig,
    sessionmaker: SessionMaker,
    clients: int,
    process_seconds: float,
    peak: int,
    cpu: float,
) -> ScenarioResult:
    async with sessionmaker() as session:
        first: datetime | None
        last: datetime | None
        first, last = (
            await session.execute(
                select(func.min(SyncRun.started_at), func.max(SyncRun.finished_at))
            )
        ).one()
        statuses = Counter(
            {
                status: int(n)
                for status, n in await session.execute(
                    select(SyncRun.status, func.count()).group_by(SyncRun.status)
                )
            }
        )
        outcomes = Counter(
            {
                outcome: int(n)
                for outcome, n in await session.execute(
                    select(SyncItem.outcome, func.count()).group_by(SyncItem.outcome)
                )
            }
        )
        # Connections opened (PostgreSQL ≥ 14 counts them): churn shows up here.
        sessions = await session.scalar(
            text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        )
    wall = (last - first).total_seconds() if first and last else process_seconds
    return ScenarioResult(
        partners=config.partners,
        clients=clients,
        wall_seconds=wall,
        process_seconds=process_seconds,
        tally=Tally(),
        bound=Bound(0.0, 0.0, 0),
        unchanged=PerClient(0.0, 0, 0),
        changed=PerClient(0.0, 0, 0),
        peak_rss=peak,
        cpu_seconds=cpu,
        db_sessions=int(sessions or 0),
        run_statuses=statuses,
        outcomes=outcomes,
    )


def _save_timeline(log: list[dict[str, Any]], path: Path) -> None:
    """When each ConnectWise request started and how long it took, for a closer look."""
    with path.open("w") as out:
        out.write("at,duration_ms,method,tenant,status\n")
        for row in log:
            out.write(
                f"{row['at']},{row['duration_ms']},{row['method']},{row['tenant']},{row['status']}\n"
            )


async def _request_log(sim_host: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=300) as admin:
        response = await admin.get(f"http://{sim_host}/__sim/requests")
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()
    return rows
