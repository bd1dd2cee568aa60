"""How hard we may press ConnectWise: per tenant and across the process.

Per tenant (one ConnectWise site + company): at most `concurrency` requests in flight and a
pace of `rate_per_minute`, kept below ConnectWise's ~1000/min throttle so 429s stay rare.
Across every tenant: one `GlobalLimits` semaphore. Clients for the same tenant must share
one `TenantLimits`; `LimitsRegistry` hands out the same one per tenant key.

These hold asyncio primitives, which bind to the first event loop that waits on them: make
them where the loop lives (e.g. the app's lifespan), not at import.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from aiolimiter import AsyncLimiter

DEFAULT_CONCURRENCY = 4
DEFAULT_RATE_PER_MINUTE = 600
DEFAULT_GLOBAL_CONCURRENCY = 200


class TenantLimits:
    def __init__(
        self,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate_per_minute: float = DEFAULT_RATE_PER_MINUTE,
    ) -> None:
        if concurrency < 1 or rate_per_minute <= 0:
            raise ValueError("concurrency and rate_per_minute must be positive")
        self.concurrency = concurrency
        self.rate_per_minute = rate_per_minute
        self._semaphore = asyncio.Semaphore(concurrency)
        # Small bursts (a second's worth) rather than a minute's worth at once: the server
        # throttles per short window, so an even pace is what keeps 429s away.
        burst = max(1.0, float(int(rate_per_minute // 60)))
        self._limiter = AsyncLimiter(burst, 60.0 * burst / rate_per_minute)

    def __repr__(self) -> str:
        return (
            f"TenantLimits(concurrency={self.concurrency}, rate_per_minute={self.rate_per_minute})"
        )

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            await self._limiter.acquire()
            yield


class GlobalLimits:
    def __init__(self, concurrency: int = DEFAULT_GLOBAL_CONCURRENCY) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be positive")
        self.concurrency = concurrency
        self._semaphore = asyncio.Semaphore(concurrency)

    def __repr__(self) -> str:
        return f"GlobalLimits(concurrency={self.concurrency})"

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            yield


class LimitsRegistry:
    """One `TenantLimits` per tenant key (see `Credentials.tenant_key`)."""

    def __init__(
        self,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate_per_minute: float = DEFAULT_RATE_PER_MINUTE,
    ) -> None:
        self.concurrency = concurrency
        self.rate_per_minute = rate_per_minute
        self._tenants: dict[str, TenantLimits] = {}

    def for_tenant(self, tenant_key: str) -> TenantLimits:
        limits = self._tenants.get(tenant_key)
        if limits is None:
            limits = TenantLimits(self.concurrency, self.rate_per_minute)
            self._tenants[tenant_key] = limits
        return limits


@asynccontextmanager
async def request_slot(
    tenant: TenantLimits | None, global_limits: GlobalLimits | None
) -> AsyncIterator[None]:
    """Hold a tenant slot, then a global one, for one HTTP exchange.

    Tenant first: a tenant waiting on its own pace must not sit on a global slot.
    """
    async with AsyncExitStack() as stack:
        if tenant is not None:
            await stack.enter_async_context(tenant.slot())
        if global_limits is not None:
            await stack.enter_async_context(global_limits.slot())
        yield
