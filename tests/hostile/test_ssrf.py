"""SSRF through the API: `PUT …/connectwise` with sites that lead to this machine, the cloud
metadata service, private networks or another port/path are refused while private networks
are not allowed (`CWSYNC_CW_ALLOW_PRIVATE=false`, production's default) — even when the host
is on the allowed list — before a single request leaves, and nothing is stored. Allowing
private networks explicitly is what lets the same loopback site through.

The shape and address rules themselves are unit-tested with an injected resolver in
tests/security/test_site.py (a public name with one private address, NAT64, 6to4 …).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from cwsync.app import create_app
from cwsync.config import Settings
from cwsync.connections.site import blocked_reason, parse_site
from cwsync.db import SessionMaker
from cwsync.simulator.testing import SimulatorServer
from tests.conftest import ADMIN_TOKEN
from tests.hostile.conftest import table_counts
from tests.support.servers import serve_in_thread
from tests.support.simulated import connection_body, sqlite_only

HOSTNAME = socket.gethostname().lower()
SITES = [
    ("127.0.0.1", "site_not_allowed", "loopback"),
    ("169.254.169.254", "site_not_allowed", "link-local"),
    ("[::1]", "site_not_allowed", "loopback"),
    ("[::ffff:127.0.0.1]", "site_not_allowed", "loopback"),
    ("0.0.0.0", "site_not_allowed", "private or reserved"),
    ("10.0.0.1", "site_not_allowed", "private"),
    ("100.64.0.1", "site_not_allowed", "not a public address"),
    ("localhost", "site_not_allowed", "loopback"),
    ("LOCALHOST.", "site_not_allowed", "loopback"),
    (HOSTNAME, "site_not_allowed", "private or reserved"),  # this machine's own name
    ("127.1", "site_invalid", "IP address"),
    ("0x7f.0.0.1", "site_invalid", "IP address"),
    ("2130706433", "site_invalid", "IP address"),
    ("na.myconnectwise.net/v4_6_release/apis", "site_invalid", ""),
    ("user@na.myconnectwise.net", "site_invalid", ""),
    ("na.myconnectwise.net@169.254.169.254", "site_invalid", ""),
    ("https://na.myconnectwise.net", "site_invalid", "https://"),
    ("na.myconnectwise.net?x=1", "site_invalid", ""),
    ("na.myconnectwise.net#x", "site_invalid", ""),
    ("na.myconnectwise.net:22", "site_not_allowed", "port 22"),
    ("na.myconnectwise.net:8443", "site_not_allowed", "port 8443"),
    ("evil.example", "site_not_allowed", "not an allowed ConnectWise host"),
]


@pytest.fixture
async def strict_admin(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Private networks refused; every host above allowed by name, so the address and shape
    checks are what refuse them."""
    mapped = str(parse_site("[::ffff:127.0.0.1]"))  # as the site check normalises it
    hosts = f"127.0.0.1,169.254.169.254,[::1],{mapped},0.0.0.0,10.0.0.1,100.64.0.1,"
    hosts += f"localhost,{HOSTNAME},*.myconnectwise.net"
    strict = settings.model_copy(update={"cw_allow_private": False, "cw_allowed_hosts": hosts})
    with serve_in_thread(create_app(strict)) as url:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            yield client


@sqlite_only
async def test_ssrf_sites_are_refused_before_any_request_and_store_nothing(
    strict_admin: httpx.AsyncClient, simulator: SimulatorServer, sessionmaker: SessionMaker
) -> None:
    partner = (await strict_admin.post("/v1/partners", json={"name": "Target MSP"})).json()
    url = f"/v1/partners/{partner['id']}/connectwise"
    before = await table_counts(sessionmaker)
    for site, code, says in SITES:
        if site == HOSTNAME and not _resolves_privately(HOSTNAME):
            continue  # this machine's name is public here: nothing to prove with it
        response = await strict_admin.put(url, json=connection_body(simulator, site=site))
        assert response.status_code == 422, (site, response.text)
        error = response.json()["error"]
        assert (error["code"], says in error["message"]) == (code, True), (site, error)
        assert "demo-private-key" not in response.text
    assert list(simulator.state.requests) == []  # not one request left for any of them
    assert await table_counts(sessionmaker) == before
    assert (await strict_admin.get(url)).status_code == 404


@sqlite_only
async def test_the_same_loopback_site_passes_only_when_private_networks_are_allowed(
    strict_admin: httpx.AsyncClient, admin: httpx.AsyncClient, simulator: SimulatorServer
) -> None:
    body = connection_body(simulator)  # the simulator: 127.0.0.1:PORT
    for client, status in ((strict_admin, 422), (admin, 200)):  # admin: cw_allow_private=True
        partner = (await client.post("/v1/partners", json={"name": "Lab MSP"})).json()
        response = await client.put(f"/v1/partners/{partner['id']}/connectwise", json=body)
        assert response.status_code == status, response.text


def _resolves_privately(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443)}
    except OSError:
        return False
    return bool(addresses) and all(blocked_reason(str(a)) for a in addresses)
