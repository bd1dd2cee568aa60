"""Every reference endpoint answers in the shape of ConnectWise's OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from cwsync.simulator.testing import SimulatorServer
from tests.simulator import conformance

TOUR = [
    ("GET", "/system/info", None),
    ("GET", "/company/companies?pageSize=1000", None),
    ("GET", "/company/companies/count", None),
    ("GET", "/company/companies/259", None),
    ("GET", "/finance/agreements?pageSize=1000", None),
    ("GET", "/finance/agreements/count", None),
    ("GET", "/finance/agreements/1581", None),
    ("GET", "/finance/agreements/1578/additions", None),
    ("GET", "/finance/agreements/1578/additions/count", None),
    ("GET", "/finance/agreements/1578/additions/9002", None),
    (
        "POST",
        "/finance/agreements/1578/additions",
        b'{"product": {"id": 812}, "billCustomer": "Billable",'
        b' "effectiveDate": "2026-01-15T00:00:00Z"}',
    ),
    (
        "PATCH",
        "/finance/agreements/1578/additions/9001",
        b'[{"op": "replace", "path": "quantity", "value": 18}]',
    ),
    ("DELETE", "/finance/agreements/1578/additions/9004", None),
    ("GET", "/procurement/catalog?pageSize=1000", None),
    ("GET", "/procurement/catalog/count", None),
    ("GET", "/procurement/catalog/816", None),
]


def test_every_reference_endpoint_conforms(sim: SimulatorServer, cw: httpx.Client) -> None:
    conformance.require_spec()
    for method, path, body in TOUR:
        response = cw.request(method, path, content=body)
        assert response.status_code < 300, (method, path, response.text)
    info = httpx.get(f"{sim.base_url}/login/companyinfo/northwind", headers={"clientId": "x"})
    assert info.status_code == 200
    conformance.check_logged(sim.state.requests)  # answers as logged, Decimals and all
    assert len(sim.state.requests) == len(TOUR) + 1


def test_error_answers_have_the_connectwise_error_shape(
    sim: SimulatorServer, cw: httpx.Client
) -> None:
    conformance.require_spec()
    cw.get("/company/companies", params={"conditions": "name ="})
    cw.patch("/finance/agreements/1578/additions/9001", content=b'{"op": "replace"}')
    cw.get("/finance/agreements/1/additions/2")
    conformance.check_logged(sim.state.requests)
    assert [r.status for r in sim.state.requests] == [400, 400, 404]


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        (
            "GET",
            "/v2025_1/apis/3.0/company/companies/250",
            200,
            {"id": "250", "identifier": "x", "name": "y"},
        ),
        (
            "GET",
            "/v2025_1/apis/3.0/company/companies/250",
            200,
            {"id": 250, "name": "no identifier"},
        ),
        ("GET", "/v2025_1/apis/3.0/company/companies", 200, {"not": "a list"}),
        (
            "GET",
            "/v2025_1/apis/3.0/finance/agreements/1/additions/2",
            200,
            {"product": {"id": 1}, "billCustomer": "Billable", "quantity": "18"},
        ),
        (
            "GET",
            "/v2025_1/apis/3.0/finance/agreements/1/additions/2",
            200,
            {"product": {"id": 1}, "billCustomer": "Billable", "cancelledDate": None},
        ),
        (
            "GET",
            "/v2025_1/apis/3.0/finance/agreements/1/additions/2",
            200,
            {"product": {"id": 1}, "billCustomer": "Billable", "effectiveDate": "2024-01-15"},
        ),
        ("GET", "/v2025_1/apis/3.0/company/companies/count", 200, {"count": "3"}),
        (
            "POST",
            "/v2025_1/apis/3.0/finance/agreements/1/additions",
            200,
            {"product": {"id": 1}, "billCustomer": "Billable"},
        ),
        ("GET", "/v2025_1/apis/3.0/system/info", 200, {"isCloud": "False"}),
        (
            "GET",
            "/login/companyinfo/northwind",
            200,
            {
                "CompanyName": "x",
                "Codebase": "v2025_1",
                "VersionCode": "v",
                "VersionNumber": "v",
                "CompanyID": "x",
                "IsCloud": False,
            },
        ),
        ("GET", "/v2025_1/apis/3.0/system/info", 401, {"code": 401, "message": "no"}),
    ],
)
def test_check_response_catches_bad_answers(
    method: str, path: str, status: int, body: object
) -> None:
    with pytest.raises(AssertionError):
        conformance.check_response(method, path, status, body)


def test_check_response_is_lenient_on_projections_only() -> None:
    path = "/v2025_1/apis/3.0/company/companies"
    conformance.check_response("GET", path, 200, [{"id": 250, "name": "x"}], partial=True)
    with pytest.raises(AssertionError):
        conformance.check_response("GET", path, 200, [{"id": 250, "name": "x"}])
