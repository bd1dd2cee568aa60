"""`SplitPoolTransport`: requests spread over small pools, counted until their answer closes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from cwsync.connectwise import SplitPoolTransport


class HeldServer:
    """A keep-alive HTTP/1.1 server on loopback that answers only once released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.waiting = 0
        self.connections = 0
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                self.waiting += 1
                await self.release.wait()
                self.waiting -= 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        finally:
            writer.close()

    async def wait_for(self, waiting: int) -> None:
        async with asyncio.timeout(5):
            while self.waiting < waiting:
                await asyncio.sleep(0.001)


@pytest.fixture
async def server() -> AsyncIterator[HeldServer]:
    held = HeldServer()
    listener = await asyncio.start_server(held._serve, "127.0.0.1", 0)
    held.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield held
        listener.close()


def test_pools_cover_the_connection_cap():
    transport = SplitPoolTransport(10, pool_size=4)
    assert len(transport._pools) == 3  # 4 + 4 + 4 ≥ 10
    assert len(SplitPoolTransport(3, pool_size=8)._pools) == 1
    with pytest.raises(ValueError):
        SplitPoolTransport(0)


async def test_requests_go_to_the_least_busy_pool(server: HeldServer):
    transport = SplitPoolTransport(8, pool_size=2)
    async with httpx.AsyncClient(transport=transport) as http:
        url = f"http://127.0.0.1:{server.port}/"
        calls = [asyncio.ensure_future(http.get(url)) for _ in range(8)]
        await server.wait_for(8)  # all eight in flight at once: no pool made one wait

        assert transport._busy == [2, 2, 2, 2]
        server.release.set()
        answers = await asyncio.gather(*calls)

        assert [a.text for a in answers] == ["ok"] * 8
        assert transport.busy == 0


async def test_connections_are_kept_and_reused(server: HeldServer):
    server.release.set()
    transport = SplitPoolTransport(100)
    async with httpx.AsyncClient(transport=transport) as http:
        for _ in range(5):
            assert (await http.get(f"http://127.0.0.1:{server.port}/")).text == "ok"

    assert server.connections == 1  # one after another: the least busy pool is the same one


async def test_a_failed_request_frees_its_place():
    transport = SplitPoolTransport(4, pool_size=2)
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("http://127.0.0.1:1/")  # nothing listens on port 1

    assert transport.busy == 0
