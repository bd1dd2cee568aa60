"""PUT/GET/DELETE /v1/partners/{p}/connectwise against the simulator over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cwsync.app import create_app
from cwsync.config import Settings
from cwsync.simulator import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.conftest import ADMIN_TOKEN
from tests.support.servers import free_port, serve_in_thread
from tests.support.simulated import (
    CLIENT_ID,
    INACTIVE_KEYS,
    ConnectedPartner,
    connection_body,
    sqlite_only,
)
from tests.support.simulated import TENANT as NORTHWIND

CONNECTION_FIELDS = {
    "site",
    "company_id",
    "public_key",
    "client_id",
    "api_base_url",
    "codebase",
    "status",
    "verified_at",
    "last_error",
}
REJECTED = (
    "ConnectWise rejected the key pair — check the company id and that the API member is active"
)


async def new_partner(admin: httpx.AsyncClient) -> str:
    response = await admin.post("/v1/partners", json={"name": "Fabrikam MSP"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_save_read_delete(admin: httpx.AsyncClient, simulator: SimulatorServer) -> None:
    partner_id = await new_partner(admin)
    url = f"/v1/partners/{partner_id}/connectwise"

    saved = await admin.put(url, json=connection_body(simulator))
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert set(body) == CONNECTION_FIELDS
    assert body["site"] == simulator.site
    assert body["company_id"] == NORTHWIND
    assert body["public_key"] == "demo-public-key"
    assert body["client_id"] == CLIENT_ID
    assert body["codebase"] == "v2025_1/"
    assert body["api_base_url"] == simulator.api_url()
    assert body["status"] == "ok"
    assert body["verified_at"] is not None
    assert body["last_error"] is None

    # It was checked before it was stored: companyinfo, then /system/info with the keys.
    paths = [(r.method, r.path) for r in simulator.state.requests]
    assert paths == [
        ("GET", f"/login/companyinfo/{NORTHWIND}"),
        ("GET", "/v2025_1/apis/3.0/system/info"),
    ]
    assert simulator.state.requests[1].auth_user == f"{NORTHWIND}+demo-public-key"

    read = await admin.get(url)
    assert read.status_code == 200
    assert read.json() == body

    deleted = await admin.delete(url)
    assert deleted.status_code == 204
    gone = await admin.get(url)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "connection_not_found"
    again = await admin.delete(url)
    assert again.status_code == 404


async def test_saving_again_replaces_the_connection(
    admin: httpx.AsyncClient, connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    url = connected_partner.url("/connectwise")
    body = connection_body(simulator, ("noedit-public-key", "noedit-private-key"))
    replaced = await admin.put(url, json=body)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["public_key"] == "noedit-public-key"
    read = await connected_partner.client.get(url)
    assert read.json()["public_key"] == "noedit-public-key"


async def test_partner_token_may_save_its_own_connection(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    url = connected_partner.url("/connectwise")
    response = await connected_partner.client.put(url, json=connection_body(simulator))
    assert response.status_code == 200, response.text


@sqlite_only
@pytest.mark.parametrize(
    ("site", "code"),
    [
        ("http://127.0.0.1", "site_invalid"),
        ("user@127.0.0.1", "site_invalid"),
        ("127.0.0.1/v4_6_release", "site_invalid"),
        ("na.myconnectwise.net", "site_not_allowed"),  # not in the test's allowed hosts
        ("10.0.0.1", "site_not_allowed"),
    ],
)
async def test_bad_sites_are_refused_before_anything_is_sent(
    admin: httpx.AsyncClient, simulator: SimulatorServer, site: str, code: str
) -> None:
    partner_id = await new_partner(admin)
    response = await admin.put(
        f"/v1/partners/{partner_id}/connectwise", json=connection_body(simulator, site=site)
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert list(simulator.state.requests) == []
    assert (await admin.get(f"/v1/partners/{partner_id}/connectwise")).status_code == 404


@sqlite_only
@pytest.mark.parametrize(
    ("keys", "company"),
    [
        (("demo-public-key", "wrong-private-key"), NORTHWIND),
        (INACTIVE_KEYS, NORTHWIND),
    ],
)
async def test_rejected_credentials_are_422_and_not_stored(
    admin: httpx.AsyncClient,
    simulator: SimulatorServer,
    keys: tuple[str, str],
    company: str,
) -> None:
    partner_id = await new_partner(admin)
    url = f"/v1/partners/{partner_id}/connectwise"
    response = await admin.put(url, json=connection_body(simulator, keys))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "connectwise_credentials_rejected"
    assert error["message"] == REJECTED
    assert error["details"]["connectwise_status"] == 401
    assert (await admin.get(url)).status_code == 404


@sqlite_only
async def test_unknown_company_is_422(admin: httpx.AsyncClient, simulator: SimulatorServer) -> None:
    partner_id = await new_partner(admin)
    response = await admin.put(
        f"/v1/partners/{partner_id}/connectwise",
        json=connection_body(simulator, company_id="southwind"),
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "connectwise_company_not_found"
    assert "southwind" in error["message"]


@sqlite_only
async def test_missing_permission_on_system_info_names_it(
    admin: httpx.AsyncClient, simulator: SimulatorServer
) -> None:
    simulator.state.faults.add(Fault(kind="deny", path="/system/info"))
    partner_id = await new_partner(admin)
    response = await admin.put(
        f"/v1/partners/{partner_id}/connectwise", json=connection_body(simulator)
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "connectwise_permission_denied"
    assert "GET /system/info" in error["message"]


@sqlite_only
async def test_unreachable_site_is_424(
    admin: httpx.AsyncClient, simulator: SimulatorServer
) -> None:
    partner_id = await new_partner(admin)
    nobody = f"127.0.0.1:{free_port()}"  # nothing listens there
    response = await admin.put(
        f"/v1/partners/{partner_id}/connectwise", json=connection_body(simulator, site=nobody)
    )
    assert response.status_code == 424, response.text
    assert response.json()["error"]["code"] == "connectwise_unreachable"


@sqlite_only
async def test_server_errors_are_424(admin: httpx.AsyncClient, simulator: SimulatorServer) -> None:
    simulator.state.faults.add(Fault(kind="down", tenant=NORTHWIND))
    partner_id = await new_partner(admin)
    response = await admin.put(
        f"/v1/partners/{partner_id}/connectwise", json=connection_body(simulator)
    )
    assert response.status_code == 424, response.text
    assert response.json()["error"]["code"] == "connectwise_unreachable"


@pytest.fixture
def quick_api(settings: Settings) -> Iterator[str]:
    """The API with a half-second ConnectWise look-up timeout."""
    fast = settings.model_copy(update={"cw_lookup_timeout_seconds": 0.5})
    with serve_in_thread(create_app(fast)) as url:
        yield url


@sqlite_only
async def test_slow_connectwise_is_504(quick_api: str, simulator: SimulatorServer) -> None:
    simulator.state.faults.add(Fault(kind="latency", ms=3000, path="/system/info"))
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=quick_api, headers=headers, timeout=30) as admin:
        partner_id = await new_partner(admin)
        response = await admin.put(
            f"/v1/partners/{partner_id}/connectwise", json=connection_body(simulator)
        )
    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "connectwise_timeout"


@sqlite_only
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client_id": ""}, "client_id"),
        ({"client_id": "   "}, "client_id"),
        ({"client_id": None}, "client_id"),
        ({"company_id": "north wind"}, "company_id"),
        ({"private_key": ""}, "private_key"),
        ({"private_key": "a\x00b"}, "private_key"),
        ({"site": ""}, "site"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_invalid_bodies_are_422(
    admin: httpx.AsyncClient, simulator: SimulatorServer, change: dict[str, object], field: str
) -> None:
    partner_id = await new_partner(admin)
    body = connection_body(simulator, **change)
    if change.get("client_id", "") is None:
        body.pop("client_id")  # missing altogether
    response = await admin.put(f"/v1/partners/{partner_id}/connectwise", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert ["body", field] in [d["loc"] for d in error["details"]]
    assert "a\x00b" not in response.text
    assert list(simulator.state.requests) == []


async def test_unknown_partner_is_404(admin: httpx.AsyncClient, simulator: SimulatorServer) -> None:
    url = "/v1/partners/00000000-0000-4000-8000-000000000000/connectwise"
    response = await admin.put(url, json=connection_body(simulator))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "partner_not_found"


@pytest.fixture
def strict_api(settings: Settings) -> Iterator[str]:
    """The API as in production: private networks refused (the allowed hosts stay loopback)."""
    strict = settings.model_copy(update={"cw_allow_private": False})
    with serve_in_thread(create_app(strict)) as url:
        yield url


@sqlite_only
@pytest.mark.parametrize(
    ("site", "says"),
    [
        ("localhost", "is a loopback address"),  # resolved (127.0.0.1 or ::1), then refused
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("127.0.0.1:8900", "port 8900 is not allowed"),
    ],
)
async def test_private_networks_are_refused_unless_allowed(
    strict_api: str, simulator: SimulatorServer, site: str, says: str
) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=strict_api, headers=headers, timeout=30) as admin:
        partner_id = await new_partner(admin)
        response = await admin.put(
            f"/v1/partners/{partner_id}/connectwise", json=connection_body(simulator, site=site)
        )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "site_not_allowed"
    assert says in error["message"]
    assert list(simulator.state.requests) == []
