"""Per-tenant and global pacing (C6: pace so that 429s stay rare)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
import respx

from cwsync.connectwise import GlobalLimits, LimitsRegistry, TenantLimits
from tests.connectwise.conftest import ClientFactory
from tests.connectwise.support import BASE, credentials


def test_registry_shares_limits_per_tenant():
    registry = LimitsRegistry(concurrency=3, rate_per_minute=120)
    a = credentials()
    b = credentials(public_key="another-member")  # same tenant, another API member
    c = credentials(company_id="other")

    assert registry.for_tenant(a.tenant_key) is registry.for_tenant(b.tenant_key)
    assert registry.for_tenant(a.tenant_key) is not registry.for_tenant(c.tenant_key)
    assert registry.for_tenant(c.tenant_key).concurrency == 3


class Gate:
    """A respx side effect that holds requests until released and counts them in flight."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.release = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await self.release.wait()
        self.in_flight -= 1
        return httpx.Response(200, json={"version": "v2025.1"})


async def _run_held(gate: Gate, calls: list[Coroutine[Any, Any, Any]]) -> None:
    tasks = [asyncio.ensure_future(c) for c in calls]
    for _ in range(20):
        await asyncio.sleep(0)
    gate.release.set()
    await asyncio.gather(*tasks)


async def test_tenant_concurrency_cap(cw_mock: respx.MockRouter, make_client: ClientFactory):
    gate = Gate()
    cw_mock.get(f"{BASE}/system/info").mock(side_effect=gate)
    client = make_client(limits=TenantLimits(concurrency=2, rate_per_minute=1_000_000))
    await client.resolve()

    await _run_held(gate, [client.system_info() for _ in range(6)])

    assert gate.peak == 2


async def test_global_cap_spans_tenants(cw_mock: respx.MockRouter, make_client: ClientFactory):
    gate = Gate()
    cw_mock.get(f"{BASE}/system/info").mock(side_effect=gate)
    shared = GlobalLimits(concurrency=3)
    clients = [make_client(global_limits=shared) for _ in range(3)]
    for client in clients:
        await client.resolve()

    await _run_held(gate, [c.system_info() for c in clients for _ in range(4)])

    assert gate.peak == 3


async def test_tenant_pace():
    limits = TenantLimits(concurrency=50, rate_per_minute=600)  # bursts of 10, then 10/s
    started = time.monotonic()

    for _ in range(12):
        async with limits.slot():
            pass

    assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize("bad", [{"concurrency": 0}, {"rate_per_minute": 0}])
def test_limits_must_be_positive(bad: dict[str, int]):
    with pytest.raises(ValueError):
        TenantLimits(**bad)
