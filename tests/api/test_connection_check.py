"""POST /v1/partners/{p}/connectwise/check: live diagnostics that write nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cwsync.connections.diagnostics import PROBES, read_answer
from cwsync.simulator import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.support.simulated import (
    NOEDIT_KEYS,
    TENANT,
    ConnectedPartner,
    connect_partner,
)

PERMISSIONS = [
    "Company Maintenance: Inquire",
    "Agreements: Inquire",
    "Agreements: Add",
    "Agreements: Edit",
    "Product Catalog: Inquire",
    "Product Catalog: Add",
]


def by_permission(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["permission"]: p for p in report["permissions"]}


async def test_full_role_checks_ok_and_writes_nothing(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    simulator.state.clear_logs()
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    additions_before = {i: a.to_json() for i, a in tenant.additions.items()}

    response = await connected_partner.client.post(connected_partner.url("/connectwise/check"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] is True
    assert report["reachability"]["status"] == "ok"
    assert report["credentials"]["status"] == "ok"
    assert [p["permission"] for p in report["permissions"]] == PERMISSIONS
    statuses = {name: p["status"] for name, p in by_permission(report).items()}
    assert statuses == {name: "ok" for name in PERMISSIONS}

    assert simulator.state.writes == []
    assert {i: a.to_json() for i, a in tenant.additions.items()} == additions_before
    writes = [r for r in simulator.state.requests if r.method in {"POST", "PATCH"}]
    assert {(r.method, r.path.split("/apis/3.0")[-1], r.status) for r in writes} == {
        ("POST", "/finance/agreements/0/additions", 404),
        ("PATCH", "/finance/agreements/0/additions/0", 404),
        ("POST", "/procurement/catalog", 400),
    }


async def test_role_without_agreements_edit_is_reported_missing(
    admin: httpx.AsyncClient, api_url: str, simulator: SimulatorServer
) -> None:
    partner = await connect_partner(admin, api_url, simulator, keys=NOEDIT_KEYS)
    try:
        response = await partner.client.post(partner.url("/connectwise/check"))
    finally:
        await partner.client.aclose()
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] is False
    checks = by_permission(report)
    edit = checks["Agreements: Edit"]
    assert edit["status"] == "missing"
    assert edit["fix"] == (
        "In ConnectWise open System > Security Roles, pick the API member's role, and under "
        "Finance set Agreements Edit Level to All"
    )
    others = {name: c["status"] for name, c in checks.items() if name != "Agreements: Edit"}
    assert others == {name: "ok" for name in PERMISSIONS if name != "Agreements: Edit"}
    assert simulator.state.writes == []


async def test_deactivated_member_fails_credentials_and_marks_failing(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    tenant = simulator.state.tenant(TENANT)
    assert tenant is not None
    tenant.members["demo-public-key"].active = False

    response = await connected_partner.client.post(connected_partner.url("/connectwise/check"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] is False
    assert report["reachability"]["status"] == "ok"
    assert report["credentials"]["status"] == "failed"
    assert "rejected the key pair" in report["credentials"]["message"]
    assert {p["status"] for p in report["permissions"]} == {"unknown"}

    stored = (await connected_partner.client.get(connected_partner.url("/connectwise"))).json()
    assert stored["status"] == "failing"
    assert "rejected the key pair" in stored["last_error"]

    # Fixed in ConnectWise: the next check clears it.
    tenant.members["demo-public-key"].active = True
    again = await connected_partner.client.post(connected_partner.url("/connectwise/check"))
    assert again.json()["ok"] is True
    stored = (await connected_partner.client.get(connected_partner.url("/connectwise"))).json()
    assert (stored["status"], stored["last_error"]) == ("ok", None)


async def test_unreachable_connectwise_skips_the_rest(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    simulator.state.faults.add(Fault(kind="error", status=503, path="companyinfo"))
    response = await connected_partner.client.post(connected_partner.url("/connectwise/check"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["reachability"]["status"] == "failed"
    assert report["credentials"]["status"] == "skipped"
    assert {p["status"] for p in report["permissions"]} == {"unknown"}
    stored = (await connected_partner.client.get(connected_partner.url("/connectwise"))).json()
    assert stored["status"] == "ok"  # a passing outage does not mark the keys failing


async def test_check_without_connection_is_409(admin: httpx.AsyncClient) -> None:
    partner = (await admin.post("/v1/partners", json={"name": "Bare MSP"})).json()
    response = await admin.post(f"/v1/partners/{partner['id']}/connectwise/check")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "connection_missing"


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [
        ("GET", 200, "ok"),
        ("GET", 403, "missing"),
        ("POST", 400, "ok"),
        ("POST", 404, "ok"),
        ("PATCH", 409, "ok"),
        ("POST", 403, "missing"),
        ("POST", 405, "unknown"),
        ("POST", 201, "unknown"),  # a probe that wrote would be a bug: never read as ok
        ("GET", 500, "unknown"),
        ("GET", 401, "unknown"),
    ],
)
def test_reading_probe_answers(method: str, status: int, expected: str) -> None:
    probe = next(p for p in PROBES if p.method == method)
    result = read_answer(probe, status)
    assert result.status == expected
    assert (result.fix is not None) is (expected == "missing")
