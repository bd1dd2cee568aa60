"""The naive baseline: one client after another, with the same ConnectWise client library.

For each client: read the addition, and PATCH the quantity when it differs from the count.
No database work at all, which only flatters the baseline (the real sync also writes items
and mappings), so the speed-up it gives is a floor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

import httpx
from pydantic import SecretStr

from benchmarks.config import BenchConfig
from benchmarks.world import CLIENT_ID, CODEBASE, PUBLIC_KEY, target_count
from cwsync.config import Settings
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.connectwise import PatchOp, SplitPoolTransport
from cwsync.models import Connection

NAIVE_TENANT = "bench-naive"


@dataclass(frozen=True)
class NaiveResult:
    clients: int
    seconds: float
    patched: int

    @property
    def per_client(self) -> float:
        return self.seconds / self.clients


async def run_naive(
    config: BenchConfig, sim_host: str, encrypted_key: str, key: str
) -> NaiveResult:
    settings = Settings(
        cw_scheme="http",
        cw_concurrency=config.partner_cap,
        cw_global_concurrency=config.global_cap,
        cw_rate_per_minute=config.rate_per_minute,
        encryption_keys=SecretStr(key),
    )
    connection = Connection(
        site=sim_host,
        company_id=NAIVE_TENANT,
        public_key=PUBLIC_KEY,
        private_key_encrypted=encrypted_key,
        client_id=CLIENT_ID,
        codebase=CODEBASE,
        api_base_url=f"http://{sim_host}/{CODEBASE}apis/3.0",
    )
    patched = 0
    # The same shared client the scheduler builds (scheduler/main.py).
    async with httpx.AsyncClient(
        follow_redirects=False,
        timeout=settings.cw_timeout_seconds,
        transport=SplitPoolTransport(settings.cw_global_concurrency),
    ) as http:
        cw = ConnectWiseFactory(http, settings).for_connection(connection)
        started = time.monotonic()
        for index in range(config.naive_clients):
            cw_id = index + 1
            addition = await cw.get_addition(cw_id, cw_id)
            wanted = Decimal(target_count(index))
            if addition.quantity != wanted:
                await cw.patch_addition(cw_id, cw_id, [PatchOp(path="quantity", value=wanted)])
                patched += 1
        seconds = time.monotonic() - started
    return NaiveResult(config.naive_clients, seconds, patched)
