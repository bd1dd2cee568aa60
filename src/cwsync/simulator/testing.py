"""Helpers for tests: a simulator on a free loopback port, and a client for its admin API.

::

    with SimulatorServer() as sim:               # demo seed, background thread
        sim.state.faults.add(Fault(kind="throttle", retry_after=7, count=1))
        httpx.get(sim.base_url + "/login/companyinfo/northwind", headers={"clientId": "x"})
        assert sim.state.requests[-1].status == 429

``sim.state`` is the live in-process state; change it between requests, not during one.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import uvicorn

from cwsync.simulator.app import create_app
from cwsync.simulator.jsonio import dumps_bytes, loads
from cwsync.simulator.seed import apply_seed, load_state
from cwsync.simulator.server import build_config
from cwsync.simulator.state import SimulatorState


class SimulatorServer:
    def __init__(
        self,
        state: SimulatorState | None = None,
        *,
        seed_path: str | Path | None = None,
        latency_ms: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state = state if state is not None else load_state(seed_path, latency_ms=latency_ms)
        self.host = host
        self._requested_port = port
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def site(self) -> str:
        """What a partner would type as the ConnectWise site: ``127.0.0.1:PORT``."""
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.site}"

    def api_url(self, tenant: str = "northwind") -> str:
        """``http://127.0.0.1:PORT/v2025_1/apis/3.0`` for the tenant's current codebase."""
        found = self.state.tenant(tenant)
        if found is None:
            raise KeyError(tenant)
        return f"{self.base_url}/{found.codebase}apis/3.0"

    def admin(self) -> SimulatorAdmin:
        return SimulatorAdmin(self.base_url)

    def reset(self, document: dict[str, Any] | None = None) -> None:
        """Reload the seed (or ``document``) in process: tenants, faults and logs."""
        apply_seed(self.state, document or self.state.seed_document or {"tenants": []})

    def start(self) -> Self:
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says
        # TCP, and without it every answer waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(build_config(create_app(self.state), self.host, self.port))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="cw-simulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the ConnectWise simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
        self._server, self._thread = None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


class _AdminCalls:
    """The admin routes once; subclasses make ``_call`` sync or async."""

    def _call(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        raise NotImplementedError

    def state(self, tenant: str | None = None) -> Any:
        return self._call("GET", "/__sim/state", params={"tenant": tenant} if tenant else None)

    def reset(self, seed: dict[str, Any] | None = None) -> Any:
        return self._call("POST", "/__sim/reset", seed)

    def faults(self) -> Any:
        return self._call("GET", "/__sim/faults")

    def set_faults(self, faults: list[dict[str, Any]]) -> Any:
        """Replace every fault (``PUT``)."""
        return self._call("PUT", "/__sim/faults", faults)

    def add_fault(self, **fault: Any) -> Any:
        return self._call("POST", "/__sim/faults", fault)

    def clear_faults(self) -> Any:
        return self._call("DELETE", "/__sim/faults")

    def requests(self, **filters: str) -> Any:
        """Logged ConnectWise requests; filter by ``tenant``, ``method``, ``path`` (substring)."""
        return self._call("GET", "/__sim/requests", params=filters or None)

    def clear_requests(self) -> Any:
        return self._call("DELETE", "/__sim/requests")

    def writes(self) -> Any:
        return self._call("GET", "/__sim/writes")

    def clear_writes(self) -> Any:
        return self._call("DELETE", "/__sim/writes")

    def create_tenant(self, tenant: dict[str, Any]) -> Any:
        return self._call("POST", "/__sim/tenants", tenant)

    def patch_tenant(self, tenant: str, **fields: Any) -> Any:
        return self._call("PATCH", f"/__sim/tenants/{tenant}", fields)

    def delete_tenant(self, tenant: str) -> Any:
        return self._call("DELETE", f"/__sim/tenants/{tenant}")

    def bulk(self, tenant: str, **lists: list[dict[str, Any]]) -> Any:
        return self._call("POST", f"/__sim/tenants/{tenant}/bulk", lists)

    def create(self, tenant: str, kind: str, record: dict[str, Any]) -> Any:
        return self._call("POST", f"/__sim/tenants/{tenant}/{kind}", record)

    def get(self, tenant: str, kind: str, record_id: int | str) -> Any:
        return self._call("GET", f"/__sim/tenants/{tenant}/{kind}/{record_id}")

    def patch(self, tenant: str, kind: str, record_id: int | str, **fields: Any) -> Any:
        return self._call("PATCH", f"/__sim/tenants/{tenant}/{kind}/{record_id}", fields)

    def delete(self, tenant: str, kind: str, record_id: int | str) -> Any:
        return self._call("DELETE", f"/__sim/tenants/{tenant}/{kind}/{record_id}")


def _decode(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise AdminError(response.status_code, response.text)
    return loads(response.content) if response.content else None


class AdminError(RuntimeError):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"simulator admin answered {status}: {text}")
        self.status = status


class SimulatorAdmin(_AdminCalls):
    """Synchronous admin client; answers are parsed with Decimals kept exact."""

    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(base_url=base_url, timeout=30)

    def _call(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        content = dumps_bytes(body) if body is not None else None
        return _decode(self._client.request(method, path, content=content, params=params))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncSimulatorAdmin(_AdminCalls):
    """The same calls, awaited: ``await admin.add_fault(kind="throttle", count=2)``."""

    def __init__(self, base_url: str, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(base_url=base_url, timeout=30)

    def _call(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Awaitable[Any]:
        content = dumps_bytes(body) if body is not None else None

        async def call() -> Any:
            return _decode(await self._client.request(method, path, content=content, params=params))

        return call()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
