"""What a benchmark run is asked to do, and the environment its scheduler process gets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BenchConfig:
    partners: int = 200
    clients: int = 100  # per partner
    latency_ms: int = 250
    global_cap: int = 100  # CWSYNC_CW_GLOBAL_CONCURRENCY
    partner_cap: int = 4  # CWSYNC_CW_CONCURRENCY
    rate_per_minute: int = 600  # CWSYNC_CW_RATE_PER_MINUTE (the production default)
    max_runs: int = 50  # CWSYNC_MAX_CONCURRENT_RUNS (the production default)
    naive_clients: int = 200
    sync: bool = True  # the sync scenarios (base, 2×, naive)
    double: bool = True  # also run 2× the clients, for memory growth
    api_clients: int = 10_000
    api_connections: int = 50
    api_seconds: float = 20.0
    api: bool = True
    profile: bool = False  # record the scheduler with py-spy
    admin_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    workdir: Path = Path(".bench")

    @property
    def latency_s(self) -> float:
        return self.latency_ms / 1000

    def scheduler_env(self, database_url: str, encryption_key: str) -> dict[str, str]:
        """The scheduler as production runs it, pointed at the simulator over plain HTTP.

        Other `CWSYNC_*` variables of the caller's environment reach the child too (e.g.
        `CWSYNC_BATCH_SIZE` to experiment); these ones are always set.
        """
        return {
            "CWSYNC_ENV": "development",
            "CWSYNC_DATABASE_URL": database_url,
            "CWSYNC_ENCRYPTION_KEYS": encryption_key,
            "CWSYNC_CW_SCHEME": "http",
            "CWSYNC_CW_ALLOW_PRIVATE": "true",
            "CWSYNC_CW_ALLOWED_HOSTS": "127.0.0.1",
            "CWSYNC_CW_CONCURRENCY": str(self.partner_cap),
            "CWSYNC_CW_GLOBAL_CONCURRENCY": str(self.global_cap),
            "CWSYNC_CW_RATE_PER_MINUTE": str(self.rate_per_minute),
            "CWSYNC_MAX_CONCURRENT_RUNS": str(self.max_runs),
            "CWSYNC_SCHEDULER_SHUTDOWN_GRACE_SECONDS": "2",
            "CWSYNC_LOG_LEVEL": "INFO",
        }


QUICK: dict[str, Any] = {
    "partners": 20,
    "clients": 50,
    "latency_ms": 50,
    # At 50 ms a tenant could do 80 requests/s; the production pace (10/s) would then be
    # the only thing measured. Quick mode is a smoke run: lift the pace out of the way.
    "rate_per_minute": 60_000,
    "naive_clients": 50,
    "api_clients": 1000,
    "api_seconds": 3.0,
}
