"""The request log keeps what was sent, never the private key."""

from __future__ import annotations

from decimal import Decimal

import httpx

from cwsync.simulator.testing import SimulatorAdmin, SimulatorServer
from tests.simulator.conftest import CLIENT_ID


def test_a_logged_request_has_what_was_sent(sim: SimulatorServer, cw: httpx.Client) -> None:
    response = cw.patch(
        "/finance/agreements/1578/additions/9001",
        params={"fields": "id,quantity", "note": "a+b&c"},
        content=b'[{"op": "replace", "path": "unitCost", "value": 3.10005}]',
    )
    [record] = sim.state.requests
    assert record.request_id == response.headers["x-cw-request-id"]
    assert (record.method, record.path) == (
        "PATCH",
        "/v2025_1/apis/3.0/finance/agreements/1578/additions/9001",
    )
    assert record.query == [("fields", "id,quantity"), ("note", "a+b&c")]
    assert record.headers["clientid"] == CLIENT_ID
    assert "authorization" not in record.headers
    assert (record.has_auth, record.auth_user, record.tenant) == (
        True,
        "northwind+demo-public-key",
        "northwind",
    )
    assert record.body == [{"op": "replace", "path": "unitCost", "value": Decimal("3.10005")}]
    assert record.status == 200
    assert record.response_body["unitCost"] == Decimal("3.10005")
    assert record.duration_ms > 0


def test_no_secret_reaches_the_log(
    sim: SimulatorServer, cw: httpx.Client, admin: SimulatorAdmin
) -> None:
    cw.get("/system/info")
    httpx.get(sim.api_url() + "/system/info", headers={"Authorization": "Basic junk"})
    dumped = str(admin.requests()) + repr(list(sim.state.requests))
    assert "demo-private-key" not in dumped
    assert "ZGVtby1wcml2YXRlLWtleQ" not in dumped  # nor any base64 of it
    records = list(sim.state.requests)
    assert records[1].status == 401 and records[1].has_auth and records[1].auth_user is None


def test_the_admin_api_filters_and_clears_the_log(
    sim: SimulatorServer, cw: httpx.Client, admin: SimulatorAdmin
) -> None:
    cw.get("/company/companies")
    cw.get("/system/info")
    cw.post("/finance/agreements/1578/additions", content=b"not json")
    every = admin.requests()
    assert [r["method"] for r in every] == ["GET", "GET", "POST"]
    assert every[2]["body"] == "not json"
    assert every[2]["status"] == 400
    assert [r["path"] for r in admin.requests(path="/system/info")] == [
        "/v2025_1/apis/3.0/system/info"
    ]
    assert len(admin.requests(method="post")) == 1
    assert admin.requests(tenant="southwind") == []
    admin.clear_requests()
    assert admin.requests() == []


def test_admin_calls_are_not_logged(sim: SimulatorServer, admin: SimulatorAdmin) -> None:
    admin.state()
    admin.faults()
    assert list(sim.state.requests) == []
