"""Helpers of the integration tests: virtual time, what crossed the wire, extra tenants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from cwsync.connectwise import ConnectWiseClient, Credentials
from cwsync.simulator.requestlog import RequestRecord
from cwsync.simulator.seed import load_records, tenant_from_json
from cwsync.simulator.testing import SimulatorServer

TENANT = "northwind"
DEMO_KEYS = ("demo-public-key", "demo-private-key")
NOEDIT_KEYS = ("noedit-public-key", "noedit-private-key")
INACTIVE_KEYS = ("inactive-public-key", "inactive-private-key")
CLIENT_ID = "7d3c2b1a-1111-4c2d-8e9f-0123456789ab"
ClientFactory = Callable[..., ConnectWiseClient]


class VirtualClock:
    """Monotonic seconds that move only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@dataclass
class Exchange:
    method: str
    url: httpx.URL
    content: bytes
    status: int | None = None
    link: str | None = None  # None: no Link header at all


@dataclass
class Wire:
    exchanges: list[Exchange] = field(default_factory=list)

    async def on_request(self, request: httpx.Request) -> None:
        self.exchanges.append(Exchange(request.method, request.url, request.content))

    async def on_response(self, response: httpx.Response) -> None:
        for exchange in reversed(self.exchanges):
            if exchange.url == response.request.url and exchange.status is None:
                exchange.status = response.status_code
                exchange.link = response.headers.get("link")
                break


def credentials(
    sim: SimulatorServer, keys: tuple[str, str] = DEMO_KEYS, company_id: str = TENANT
) -> Credentials:
    return Credentials(
        site=sim.site,
        company_id=company_id,
        public_key=keys[0],
        private_key=SecretStr(keys[1]),
        client_id=CLIENT_ID,
    )


def add_tenant(
    sim: SimulatorServer, company_id: str, *, settings: dict[str, Any] | None = None, **records: Any
) -> Credentials:
    """A fresh tenant (gone at the next reset) holding just `records`, one all-powerful member."""
    document = {
        "company_id": company_id,
        "company_name": f"{company_id} MSP",
        "settings": settings or {},
        "members": [{"public_key": "pub", "private_key": "priv", "permissions": ["*"]}],
        **records,
    }
    sim.state.add_tenant(tenant_from_json(document, sim.state.clock()))
    return credentials(sim, ("pub", "priv"), company_id)


def logged(sim: SimulatorServer, path_part: str, method: str = "GET") -> list[RequestRecord]:
    """Logged requests whose path contains `path_part`."""
    return [r for r in sim.state.requests if r.method == method and path_part in r.path]


def header(record: RequestRecord, name: str) -> str | None:
    return next((v for k, v in record.headers.items() if k.lower() == name.lower()), None)


def add_records(sim: SimulatorServer, tenant: str = TENANT, **records: Any) -> dict[str, list[int]]:
    """Add records (ConnectWise JSON shapes) to a live tenant; answers the new ids by kind."""
    found = sim.state.tenant(tenant)
    assert found is not None, tenant
    return load_records(found, records, sim.state.clock())
