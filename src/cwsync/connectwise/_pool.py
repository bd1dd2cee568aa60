"""`SplitPoolTransport`: the shared client's connections in small pools, not one big one.

httpcore's connection pool re-examines every connection it holds on each request and on
each response close (`_assign_requests_to_connections`), and for an idle connection that
costs syscalls (peer name, a readability poll). With one pool of 100–200 connections, as a
scheduler syncing many tenants at once holds, that linear scan made each ConnectWise call
cost 7–9 ms of CPU and capped a scheduler near 100 requests/s whatever the latency
(benchmarks/README.md; the same pool cost is behind encode/httpx#3215). Pools of a few
connections keep the scan short: about 2 ms per call, and throughput that follows the caps.

Each request goes to the least busy pool, counting a request busy until its response is
closed. As long as no more than `max_connections` requests are in flight (the global cap
makes sure of it), some pool always has a free connection, so nobody waits in one pool while
another idles. Connections are not tied to a tenant: many tenants share one cloud host, and
any connection to it serves any of them (credentials travel with each request).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import httpx

POOL_SIZE = 8


class SplitPoolTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int, *, pool_size: int = POOL_SIZE) -> None:
        if max_connections < 1 or pool_size < 1:
            raise ValueError("max_connections and pool_size must be positive")
        pool_size = min(pool_size, max_connections)
        pools = -(-max_connections // pool_size)
        # One TLS context for every pool: each would otherwise load the CA bundle again.
        context = ssl.create_default_context()
        limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
        self._pools = [
            httpx.AsyncHTTPTransport(verify=context, limits=limits) for _ in range(pools)
        ]
        self._busy = [0] * pools

    def __repr__(self) -> str:
        return f"SplitPoolTransport(pools={len(self._pools)}, busy={sum(self._busy)})"

    @property
    def busy(self) -> int:
        """Requests sent and not yet closed, across every pool."""
        return sum(self._busy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._busy.index(min(self._busy))
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._busy[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CountedStream(response.stream, self._busy, index),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _CountedStream(httpx.AsyncByteStream):
    """The pool's answer stream; closing it frees the request's place in the count."""

    def __init__(self, inner: httpx.AsyncByteStream, busy: list[int], index: int) -> None:
        self._inner = inner
        self._busy = busy
        self._index = index
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._busy[self._index] -= 1
        await self._inner.aclose()
