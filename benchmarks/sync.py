"""`python -m benchmarks.sync` (`make bench`): the nightly sync against its bound, requests
per client, the scheduler's memory, the naive baseline, and the API under load.

Prints figures, asserts nothing: see `benchmarks/README.md` for a recorded run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.api import ApiResult, run_api_bench
from benchmarks.config import QUICK, BenchConfig
from benchmarks.figures import mb, verdict
from benchmarks.scenario import ScenarioResult, run_scenario

# Targets of issue 8.
TARGET_EFFICIENCY = 0.8
TARGET_RSS_BYTES = 250_000_000
TARGET_RSS_GROWTH = 0.20
TARGET_SPEEDUP = 50.0


def parse_args(argv: list[str] | None) -> BenchConfig:
    defaults = BenchConfig()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 × 50 at 50 ms: a smoke run")
    parser.add_argument("--partners", type=int, help=f"default {defaults.partners}")
    parser.add_argument("--clients", type=int, help=f"per partner, default {defaults.clients}")
    parser.add_argument("--latency-ms", type=int, help=f"default {defaults.latency_ms}")
    parser.add_argument("--global-cap", type=int, help=f"default {defaults.global_cap}")
    parser.add_argument("--partner-cap", type=int, help=f"default {defaults.partner_cap}")
    parser.add_argument(
        "--rate-per-minute", type=int, help=f"per-tenant pace, default {defaults.rate_per_minute}"
    )
    parser.add_argument("--max-runs", type=int, help=f"default {defaults.max_runs}")
    parser.add_argument("--naive-clients", type=int, help=f"default {defaults.naive_clients}")
    parser.add_argument("--no-double", action="store_true", help="skip the 2× memory run")
    parser.add_argument("--no-api", action="store_true", help="skip the API load")
    parser.add_argument("--no-sync", action="store_true", help="only the API load")
    parser.add_argument("--api-clients", type=int, help=f"default {defaults.api_clients}")
    parser.add_argument("--api-connections", type=int, help=f"default {defaults.api_connections}")
    parser.add_argument("--api-seconds", type=float, help=f"default {defaults.api_seconds}")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CWSYNC_BENCH_DATABASE_URL", defaults.admin_url),
        help="PostgreSQL server to create the benchmark databases on",
    )
    parser.add_argument(
        "--profile", action="store_true", help="record the scheduler and API with py-spy"
    )
    parser.add_argument("--workdir", type=Path, default=defaults.workdir, help="logs go here")
    args = parser.parse_args(argv)
    config = replace(defaults, **QUICK) if args.quick else defaults
    given = {
        "partners": args.partners,
        "clients": args.clients,
        "latency_ms": args.latency_ms,
        "global_cap": args.global_cap,
        "partner_cap": args.partner_cap,
        "rate_per_minute": args.rate_per_minute,
        "max_runs": args.max_runs,
        "naive_clients": args.naive_clients,
        "api_clients": args.api_clients,
        "api_connections": args.api_connections,
        "api_seconds": args.api_seconds,
    }
    config = replace(config, **{k: v for k, v in given.items() if v is not None})
    return replace(
        config,
        sync=not args.no_sync,
        double=not args.no_double,
        api=not args.no_api,
        profile=args.profile,
        admin_url=args.database_url,
        workdir=args.workdir,
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def say(line: str) -> None:
    print(line, flush=True)


def print_scenario(config: BenchConfig, result: ScenarioResult) -> None:
    t = result.tally
    b = result.bound
    methods = ", ".join(f"{m} {n}" for m, n in sorted(t.by_method.items()))
    say(f"-- {result.partners} partners × {result.clients} clients ({result.total_clients}) --")
    say(
        f"wall time T: {result.wall_seconds:.1f} s (first run claimed → last run finished; "
        f"scheduler start → all finished {result.process_seconds:.1f} s)"
    )
    say(f"requests by method: {methods} (total {t.total}; not 2xx {t.failed})")
    say(
        f"requests per unchanged client: {result.unchanged.mean:.2f} "
        f"(max {result.unchanged.max}, {result.unchanged.clients} clients; target ≤ 1: "
        f"{verdict(result.unchanged.max <= 1)})"
    )
    say(
        f"requests per changed client: {result.changed.mean:.2f} "
        f"(max {result.changed.max}, {result.changed.clients} clients; target ≤ 2 + pro-rata "
        f"charges ({t.posts}): {verdict(result.changed.max <= 2 + (1 if t.posts else 0))})"
    )
    outside = ", ".join(f"{k} {n}" for k, n in sorted(t.outside_clients.items())) or "none"
    say(f"requests outside clients: {outside} ({result.partners} runs)")
    say(
        f"bound T*: {b.seconds:.1f} s = max(global {t.total} × {config.latency_s:g} s ÷ "
        f"{config.global_cap} = {b.global_term:.1f} s, busiest partner "
        f"{b.busiest_partner_requests} × {config.latency_s:g} s ÷ {config.partner_cap} = "
        f"{b.partner_term:.1f} s)"
    )
    pace = b.busiest_partner_requests / (config.rate_per_minute / 60)
    say(
        f"per-tenant pace: {config.rate_per_minute}/min, busiest partner needs ≥ {pace:.1f} s "
        f"(not in T*; binding only if the runs could not overlap)"
    )
    in_flight = t.busy_seconds / result.wall_seconds if result.wall_seconds else 0.0
    say(
        f"ConnectWise side: {in_flight:.1f} requests in flight on average (global cap "
        f"{config.global_cap}), {t.busy_seconds * 1000 / max(1, t.total):.0f} ms per answer"
    )
    say(
        f"efficiency T*/T: {result.efficiency:.3f} "
        f"(target ≥ {TARGET_EFFICIENCY}: {verdict(result.efficiency >= TARGET_EFFICIENCY)})"
    )
    say(
        f"scheduler peak RSS: {mb(result.peak_rss)} "
        f"(target ≤ {mb(TARGET_RSS_BYTES)}: {verdict(result.peak_rss <= TARGET_RSS_BYTES)})"
    )
    say(
        f"scheduler CPU: {result.cpu_seconds:.1f} s over {result.process_seconds:.1f} s "
        f"({result.cpu_seconds / result.process_seconds:.0%} of one core; "
        f"{result.cpu_seconds * 1000 / max(1, t.total):.2f} ms per request)"
    )
    say(f"simulator CPU: {result.simulator_cpu_seconds:.1f} s while the scheduler ran")
    say(f"PostgreSQL sessions opened on the database: {result.db_sessions}")
    runs = ", ".join(f"{s} {n}" for s, n in sorted(result.run_statuses.items()))
    items = ", ".join(f"{o} {n}" for o, n in sorted(result.outcomes.items()))
    say(f"runs: {runs}; items: {items}")
    say(f"machine: load average {result.load_at_end} when the last run finished")


def print_api(result: ApiResult) -> None:
    say(
        f"-- API: GET /v1/partners/{{p}}/clients?limit=100, {result.clients} clients, "
        f"{result.connections} connections, {result.seconds:.0f} s --"
    )
    say(f"API requests/s: {result.rps:.0f} ({result.requests} requests, errors {result.errors})")
    say(f"API latency p50: {result.p50_ms:.1f} ms, p99: {result.p99_ms:.1f} ms")


async def main_async(config: BenchConfig) -> None:
    say(
        f"== cwsync sync benchmark: {config.partners} partners × {config.clients} clients, "
        f"latency {config.latency_ms} ms, global cap {config.global_cap}, per-partner cap "
        f"{config.partner_cap}, pace {config.rate_per_minute}/min, {config.max_runs} runs at "
        f"once =="
    )
    say(f"machine: {os.cpu_count()} cores, load average {load()} at start")
    if config.sync:
        await sync_scenarios(config)
    if config.api:
        print_api(await run_api_bench(config))
    say(f"machine: load average {load()} at end")


async def sync_scenarios(config: BenchConfig) -> None:
    base = await run_scenario(config, "base", config.clients, naive=config.naive_clients > 0)
    print_scenario(config, base)
    if config.double:
        double = await run_scenario(config, "double", 2 * config.clients)
        print_scenario(config, double)
        growth = (double.peak_rss - base.peak_rss) / base.peak_rss if base.peak_rss else 0.0
        say(
            f"memory growth at 2× clients: {growth * 100:+.1f} % ({mb(base.peak_rss)} → "
            f"{mb(double.peak_rss)}; target < {TARGET_RSS_GROWTH * 100:.0f} %: "
            f"{verdict(growth < TARGET_RSS_GROWTH)})"
        )
    if base.naive is not None:
        naive = base.naive
        ours = base.wall_seconds / base.total_clients
        speedup = naive.per_client / ours if ours else 0.0
        say(f"-- naive baseline: {naive.clients} clients one after another --")
        say(
            f"naive wall time: {naive.seconds:.1f} s ({naive.per_client * 1000:.0f} ms per "
            f"client, {naive.patched} patched)"
        )
        say(
            f"speed-up over naive: {speedup:.0f}× (scheduler {ours * 1000:.2f} ms per client; "
            f"target ≥ {TARGET_SPEEDUP:.0f}×: {verdict(speedup >= TARGET_SPEEDUP)})"
        )


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    started = time.monotonic()
    asyncio.run(main_async(config))
    say(f"benchmark finished in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
