"""Run the simulator under uvicorn (``cwsync simulator`` and ``python -m cwsync.simulator``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import uvicorn

from cwsync.simulator.app import create_app
from cwsync.simulator.seed import load_state


def build_config(app: Any, host: str, port: int, *, log_level: str = "warning") -> uvicorn.Config:
    # No access log: at benchmark rates it would cost more than the requests themselves.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        ws="none",
        backlog=4096,
        timeout_graceful_shutdown=2,
    )


def run(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed_path: str | Path | None = None,
    latency_ms: int = 0,
    *,
    log_bodies: bool = True,
    request_log_limit: int = 200_000,
    rng_seed: int = 0,
) -> None:
    """Serve the simulator until interrupted; ``seed_path`` None loads the demo seed.

    A long benchmark may turn ``log_bodies`` off or lower ``request_log_limit`` (each
    logged request costs about 1.5 kB with its bodies).
    """
    state = load_state(
        seed_path,
        latency_ms=latency_ms,
        log_bodies=log_bodies,
        request_log_limit=request_log_limit,
        rng_seed=rng_seed,
    )
    uvicorn.Server(build_config(create_app(state), host, port, log_level="info")).run()
