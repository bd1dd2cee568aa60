"""Real cwsync processes for one scenario: schedulers and APIs, killed or stopped at the end.

Every process logs JSON to its own file; `capture.LOG_FILES` keeps the paths so the secrets
check at the end of the reliability suite reads what every process ever wrote.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from cwsync.config import Settings
from cwsync.demo.processes import ChildProcess, free_port
from tests.conftest import ADMIN_TOKEN
from tests.reliability import capture

LEASE_SECONDS = 5  # the smallest lease Settings allows: reclaims come quickly


def process_env(settings: Settings, **overrides: str) -> dict[str, str]:
    env = {
        "CWSYNC_ENV": "test",
        "CWSYNC_DATABASE_URL": settings.database_url,
        "CWSYNC_ADMIN_TOKEN": ADMIN_TOKEN,
        "CWSYNC_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "CWSYNC_CW_SCHEME": "http",
        "CWSYNC_CW_ALLOW_PRIVATE": "true",
        "CWSYNC_CW_ALLOWED_HOSTS": "127.0.0.1",
        "CWSYNC_CW_RATE_PER_MINUTE": "60000",
        "CWSYNC_CW_CONCURRENCY": "4",
        "CWSYNC_CW_TIMEOUT_SECONDS": "2",
        "CWSYNC_SCHEDULER_TICK_SECONDS": "1",
        "CWSYNC_WORKER_POLL_SECONDS": "0.2",
        "CWSYNC_LEASE_SECONDS": str(LEASE_SECONDS),
        "CWSYNC_BATCH_SIZE": "5",
        "CWSYNC_SCHEDULER_SHUTDOWN_GRACE_SECONDS": "0",
        # DEBUG: the secrets check reads the chattiest logs the processes can write.
        "CWSYNC_LOG_LEVEL": "DEBUG",
        "CWSYNC_LOG_JSON": "true",
    }
    env.update(overrides)
    return env


class Fleet:
    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.children: list[ChildProcess] = []

    def _start(self, kind: str, args: list[str], env: dict[str, str]) -> ChildProcess:
        log_path = self.log_dir / f"{kind}-{len(self.children)}.log"
        capture.LOG_FILES.append(log_path)
        child = ChildProcess(
            f"{kind}-{len(self.children)}",
            args,
            env=process_env(self.settings, **env),
            log_path=log_path,
        )
        self.children.append(child)
        return child

    def scheduler(self, **env: str) -> ChildProcess:
        return self._start("scheduler", ["scheduler"], env)

    def scheduler_with_metrics(self, **env: str) -> tuple[ChildProcess, str]:
        port = free_port()
        child = self.scheduler(CWSYNC_SCHEDULER_METRICS_PORT=str(port), **env)
        return child, f"http://127.0.0.1:{port}/metrics"

    def api(self, **env: str) -> tuple[ChildProcess, str]:
        port = free_port()
        child = self._start("api", ["serve", "--port", str(port)], env)
        url = f"http://127.0.0.1:{port}"
        child.wait_http(url + "/healthz", timeout=60)
        return child, url

    def stop_all(self) -> None:
        for child in self.children:
            child.stop(signal.SIGKILL if child.running() else signal.SIGTERM, timeout=10)

    def log_lines(self, kind: str = "") -> Iterator[dict[str, Any]]:
        """Every JSON log line of this fleet's processes (of one kind, when given)."""
        for child in self.children:
            if not child.name.startswith(kind):
                continue
            for line in child.log_path.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    yield {**json.loads(line), "process": child.name}

    def held_runs(self) -> dict[str, set[str]]:
        """Per scheduler, the runs it started and neither finished nor released (for a
        killed one: what it held when it died)."""
        held: dict[str, set[str]] = {}
        for line in self.log_lines("scheduler"):
            runs = held.setdefault(line["process"], set())
            if line["event"] == "run_started":
                runs.add(line["run_id"])
            elif line["event"] in ("run_finished", "run_released"):
                runs.discard(line["run_id"])
        return held

    def tails(self) -> str:
        return "\n".join(f"--- {c.name}\n{c.tail(15)}" for c in self.children)


async def wait_until(
    condition: Callable[[], Awaitable[bool]], timeout: float, what: str, interval: float = 0.1
) -> None:
    """Poll another process's progress (there is no clock to inject across processes)."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(interval)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(url: str) -> Samples:
    """A Prometheus endpoint as {(sample name, sorted labels): value}."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(url)).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metric(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(
        value for (sample, have), value in samples.items() if sample == name and wanted <= set(have)
    )
