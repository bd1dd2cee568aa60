"""The benchmark's child processes (simulator, scheduler, API) and the scheduler's RSS sampler.

Children are `cwsync.demo.processes.ChildProcess`: own process group, stopped at exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path

import psutil

from cwsync.demo.processes import ChildProcess, free_port

EMPTY_SEED = '{"tenants": []}\n'


def start_simulator(workdir: Path, latency_ms: int, label: str) -> tuple[ChildProcess, str]:
    """An empty simulator with a fixed per-request latency; (process, `127.0.0.1:PORT`).

    Bodies stay out of the request log: it only has to count requests by method and path.
    """
    seed = workdir / "empty-seed.json"
    seed.write_text(EMPTY_SEED)
    port = free_port()
    child = ChildProcess(
        f"simulator-{label}",
        [
            "simulator",
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--latency-ms",
            str(latency_ms),
            "--no-log-bodies",
            "--log-limit",
            "1000000",
        ],
        env={},
        log_path=workdir / f"simulator-{label}.log",
    )
    host = f"127.0.0.1:{port}"
    child.wait_http(f"http://{host}/__sim/faults")
    return child, host


def start_scheduler(workdir: Path, env: Mapping[str, str], label: str) -> ChildProcess:
    return ChildProcess(
        f"scheduler-{label}", ["scheduler"], env=env, log_path=workdir / f"scheduler-{label}.log"
    )


def start_api(workdir: Path, env: Mapping[str, str]) -> tuple[ChildProcess, int]:
    port = free_port()
    child = ChildProcess(
        "api", ["serve", "--port", str(port)], env=env, log_path=workdir / "api.log"
    )
    child.wait_http(f"http://127.0.0.1:{port}/healthz")
    return child, port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


class RssSampler:
    """Peak resident set size of a process and its children, sampled every `interval` s."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self.peak = 0
        self.samples = 0
        self.cpu_seconds = 0.0  # user + system of the process and its children, last sample
        self._children: list[psutil.Process] = []
        self._children_due = 0.0

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> int:
        now = time.monotonic()
        if now >= self._children_due:
            # Listing children reads all of /proc: once a second is plenty (the scheduler
            # starts none; this is only so that one it did start would not be missed).
            self._children_due = now + 1.0
            try:
                self._children = self._process.children(recursive=True)
            except psutil.NoSuchProcess:
                return 0
        processes = [self._process, *self._children]
        total = 0
        cpu = 0.0
        for process in processes:
            try:
                total += process.memory_info().rss
                times = process.cpu_times()
                cpu += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        self.cpu_seconds = max(self.cpu_seconds, cpu)
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            rss = self.sample()
            self.peak = max(self.peak, rss)
            self.samples += 1
            self._stop.wait(max(0.0, self._interval - (time.monotonic() - started)))
