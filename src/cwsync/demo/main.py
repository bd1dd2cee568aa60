"""``cwsync demo``: the whole job end to end on the embedded SQLite default.

Starts the ConnectWise simulator, the API and (later) the scheduler as separate processes on
free loopback ports, drives the partner's setup through the REST API, lets the scheduler run
the nightly sync, prints what changed in ConnectWise, and stops everything it started.
"""

from __future__ import annotations

import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from cwsync import migrate
from cwsync.clock import utcnow
from cwsync.demo.flow import DemoFlow, DemoPartner
from cwsync.demo.processes import ChildProcess, free_port
from cwsync.demo.report import print_report
from cwsync.security.encryption import generate_key

RUN_TIMEOUT_SECONDS = 120


@dataclass
class DemoResult:
    """What the demo saw: for the closing table, and for the test that checks it."""

    ok: bool
    db_path: Path
    partner: DemoPartner | None = None
    run: dict[str, Any] = field(default_factory=dict)
    simulator_after: dict[str, Any] = field(default_factory=dict)
    simulator_writes: list[dict[str, Any]] = field(default_factory=list)


def run(workdir: Path | None = None) -> int:
    return 0 if run_demo(workdir).ok else 1


def run_demo(workdir: Path | None = None, console: Console | None = None) -> DemoResult:
    # A wide console even when piped: the closing table is the point of the demo.
    console = console or Console(width=max(Console().width, 130))
    workdir = (workdir or Path.cwd() / ".demo").resolve()
    if workdir.exists():
        shutil.rmtree(workdir)  # fresh demo state every time
    (workdir / "logs").mkdir(parents=True)
    db_path = workdir / "cwsync-demo.db"
    env = {
        "CWSYNC_ENV": "development",
        "CWSYNC_DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
        "CWSYNC_ADMIN_TOKEN": secrets.token_urlsafe(24),
        "CWSYNC_ENCRYPTION_KEYS": generate_key(),
        "CWSYNC_CW_SCHEME": "http",
        "CWSYNC_CW_ALLOW_PRIVATE": "true",
        "CWSYNC_CW_ALLOWED_HOSTS": "127.0.0.1",
        "CWSYNC_SCHEDULER_TICK_SECONDS": "1",
        "CWSYNC_WORKER_POLL_SECONDS": "0.5",
        "CWSYNC_LOG_JSON": "true",
    }
    env_file = workdir / "demo.env"
    env_file.write_text("".join(f"export {k}='{v}'\n" for k, v in env.items()))

    def say(text: str) -> None:
        console.print(f"[green]✓[/green] {text}")

    console.rule("cwsync demo")
    migrate.upgrade(env["CWSYNC_DATABASE_URL"])
    say(f"database migrated: {db_path}")
    children: list[ChildProcess] = []
    result = DemoResult(ok=False, db_path=db_path)
    try:
        sim_port, api_port = free_port(), free_port()
        simulator = ChildProcess(
            "simulator",
            ["simulator", "--port", str(sim_port)],
            env=env,
            log_path=workdir / "logs" / "simulator.log",
        )
        children.append(simulator)
        api = ChildProcess(
            "api",
            ["serve", "--port", str(api_port)],
            env=env,
            log_path=workdir / "logs" / "api.log",
        )
        children.append(api)
        sim_url, api_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{api_port}"
        simulator.wait_http(f"{sim_url}/__sim/state")
        api.wait_http(f"{api_url}/readyz")
        say(f"ConnectWise simulator on {sim_url}, API on {api_url}")

        flow = DemoFlow(api_url, env["CWSYNC_ADMIN_TOKEN"], f"127.0.0.1:{sim_port}", say)
        partner, partner_api = flow.setup(utcnow())
        result.partner = partner

        scheduler = ChildProcess(
            "scheduler", ["scheduler"], env=env, log_path=workdir / "logs" / "scheduler.log"
        )
        children.append(scheduler)
        say("scheduler started: waiting for the nightly run")
        result.run = _wait_for_run(partner_api, scheduler)
        scheduler.stop()
        result.simulator_after = httpx.get(f"{sim_url}/__sim/state", timeout=30).json()
        result.simulator_writes = httpx.get(f"{sim_url}/__sim/writes", timeout=30).json()
        print_report(console, partner, result.run, result.simulator_writes)
        flow.close()
        partner_api.close()
        result.ok = True
    except Exception as exc:
        console.print(f"[red]demo failed:[/red] {type(exc).__name__}: {exc}")
        for child in children:
            console.print(f"--- {child.name} log ({child.log_path}) ---\n{child.tail(15)}")
        return result
    finally:
        for child in reversed(children):
            child.stop()
    console.rule("done")
    console.print(
        f"All processes are stopped. The database is {db_path}.\n"
        f"To run the API against it:  source {env_file} && .venv/bin/cwsync serve\n"
        f"(then open http://127.0.0.1:8000/docs; the admin token is in {env_file.name})"
    )
    return result


def _wait_for_run(api: httpx.Client, scheduler: ChildProcess) -> dict[str, object]:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not scheduler.running():
            raise RuntimeError(f"scheduler exited:\n{scheduler.tail()}")
        runs = api.get("/sync-runs").json().get("items", [])
        done = [r for r in runs if r["status"] in {"succeeded", "partial", "failed"}]
        if done:
            detail = api.get(f"/sync-runs/{done[0]['id']}", params={"limit": 1000})
            result: dict[str, object] = detail.json()
            return result
        time.sleep(0.5)
    raise RuntimeError(f"no run finished within {RUN_TIMEOUT_SECONDS}s:\n{scheduler.tail()}")
