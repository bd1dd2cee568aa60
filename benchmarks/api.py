"""The API under load: `GET /v1/partners/{p}/clients?limit=100` for a partner with 10,000
mapped clients (each with a count), from `benchmarks.loadgen` in another process.

The API runs as `cwsync serve` (one uvicorn worker, production log settings) on a fresh
PostgreSQL database; the caller is the partner, with a partner token (so every request also
looks its token up, as real traffic does).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from benchmarks.config import BenchConfig
from benchmarks.database import fresh_database
from benchmarks.processes import start_api
from benchmarks.profiling import PySpy
from benchmarks.world import seed_partners
from cwsync.clock import utcnow
from cwsync.db import create_engine, create_sessionmaker, unit_of_work
from cwsync.models import PartnerToken
from cwsync.security.encryption import Keyring, generate_key
from cwsync.security.tokens import new_token, token_hash, token_prefix

REPO_ROOT = Path(__file__).resolve().parents[1]
WARMUP_SECONDS = 2.0


@dataclass(frozen=True)
class ApiResult:
    clients: int
    connections: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


async def run_api_bench(config: BenchConfig) -> ApiResult:
    workdir = (config.workdir / "api").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    async with fresh_database(config.admin_url, "api") as url:
        engine = create_engine(url)
        try:
            sessionmaker = create_sessionmaker(engine)
            seeded = await seed_partners(
                sessionmaker,
                Keyring([key]),
                sim_host="127.0.0.1:9",  # never called: listing clients reads the database only
                partners=1,
                clients=config.api_clients,
                sync_enabled=False,
            )
            partner_id = seeded.partner_ids[0]
            token = new_token()
            async with unit_of_work(sessionmaker) as session:
                session.add(
                    PartnerToken(
                        id=uuid.uuid4(),
                        partner_id=partner_id,
                        prefix=token_prefix(token),
                        token_hash=token_hash(token),
                        created_at=utcnow(),
                    )
                )
        finally:
            await engine.dispose()
        env = {
            "CWSYNC_ENV": "development",
            "CWSYNC_DATABASE_URL": url,
            "CWSYNC_ENCRYPTION_KEYS": key,
        }
        api, port = start_api(workdir, env)
        spy = PySpy(api.pid, workdir / "api-profile.raw") if config.profile else None
        try:
            output = await asyncio.to_thread(
                _load, port, f"/v1/partners/{partner_id}/clients?limit=100", token, config
            )
        finally:
            api.stop()
            if spy is not None:
                summary = workdir / "api-profile.txt"
                summary.write_text(await asyncio.to_thread(spy.finish))
                print(f"profile of the API: {summary}", flush=True)
    data = json.loads(output)
    return ApiResult(
        clients=config.api_clients,
        connections=config.api_connections,
        seconds=float(data["seconds"]),
        requests=int(data["requests"]),
        errors=int(data["errors"]),
        rps=float(data["rps"]),
        p50_ms=float(data["p50_ms"]),
        p99_ms=float(data["p99_ms"]),
    )


def _load(port: int, path: str, token: str, config: BenchConfig) -> str:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.loadgen",
            "--port",
            str(port),
            "--path",
            path,
            "--token",
            token,
            "--connections",
            str(config.api_connections),
            "--seconds",
            str(config.api_seconds),
            "--warmup",
            str(WARMUP_SECONDS),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=config.api_seconds + WARMUP_SECONDS + 120,
    )
    return completed.stdout.strip().splitlines()[-1]
