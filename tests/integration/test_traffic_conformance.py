"""`assert_simulator_traffic_conforms` itself: it must catch what ConnectWise would refuse or
never answer, on both sides of the exchange (every other test here relies on it)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cwsync.simulator.jsonio import dumps_bytes
from cwsync.simulator.requestlog import RequestRecord
from cwsync.simulator.testing import SimulatorServer
from tests.integration.support import CLIENT_ID, ClientFactory
from tests.support.conformance import assert_simulator_traffic_conforms, traffic_problems

API = "/v2025_1/apis/3.0"
HEADERS = {"clientid": CLIENT_ID, "content-type": "application/json"}
COMPANYINFO = {
    "CompanyName": "Northwind MSP",
    "VersionCode": "v2025.1",
    "VersionNumber": "v4.6.10495",
    "CompanyID": "northwind",
    "IsCloud": "False",
}
ADDITION = {"id": 9001, "product": {"id": 812}, "quantity": 40, "billCustomer": "Billable"}


def record(
    method: str,
    path: str,
    *,
    query: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
    status: int | None = 200,
    answer: Any = None,
) -> RequestRecord:
    return RequestRecord(
        request_id="r1",
        at=datetime(2026, 1, 15, tzinfo=UTC),
        method=method,
        path=path,
        query=query or [],
        headers=HEADERS if headers is None else headers,
        has_auth=True,
        auth_user="northwind+demo-public-key",
        tenant="northwind",
        body=body,
        status=status,
        response_bytes=None if answer is None else dumps_bytes(answer),
        response_is_json=answer is not None,
    )


PATCH_PATH = f"{API}/finance/agreements/1578/additions/9001"
BAD = [
    (record("PATCH", PATCH_PATH, body={"op": "replace", "path": "quantity", "value": 18},
            answer=ADDITION), "is not of type 'array'"),
    (record("POST", f"{API}/finance/agreements/1578/additions", status=201, answer=ADDITION,
            body={"product": {"id": 812}, "billCustomer": "Billable", "quantity": "5.5"}),
     "is not of type 'number'"),
    (record("GET", f"{API}/system/info", headers={}, answer={"version": "v2025.1"}),
     "required header clientId missing"),
    (record("GET", f"{API}/company/companies", query=[("pagesize", "25")], answer=[]),
     "unknown query parameter 'pagesize'"),
    (record("GET", f"{API}/finance/invoices", answer=[]), "matches no path"),
    # A permission probe's empty body is exempt on the probe's own path only.
    (record("POST", f"{API}/finance/agreements/1578/additions", body={}, status=201,
            answer=ADDITION), "'product' is a required property"),
    (record("GET", f"{API}/company/companies/250",
            answer={"id": "250", "identifier": "Contoso", "name": "Contoso"}),
     "'250' is not of type 'integer'"),
    (record("GET", f"{API}/company/companies/250", status=404,
            answer={"code": 404, "message": "gone"}), "error body needs string code and message"),
    (record("GET", "/login/companyinfo/northwind", answer={**COMPANYINFO, "Codebase": "v2025_1"}),
     "Codebase must end with '/'"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "says"), BAD)
def test_nonconforming_exchanges_are_caught(bad: RequestRecord, says: str) -> None:
    problems = traffic_problems([bad])
    assert problems and any(says in problem for problem in problems), problems
    with pytest.raises(AssertionError, match="do not conform"):
        assert_simulator_traffic_conforms([bad])


def test_conforming_exchanges_pass() -> None:
    good = [
        record(
            "GET",
            "/login/companyinfo/northwind",
            headers={"clientid": CLIENT_ID},
            answer={**COMPANYINFO, "Codebase": "v2025_1/"},
        ),
        record(
            "PATCH",
            PATCH_PATH,
            body=[{"op": "replace", "path": "unitCost", "value": Decimal("3.10005")}],
            answer={**ADDITION, "unitCost": Decimal("3.10005")},
        ),
        record(
            "GET",
            f"{API}/company/companies",
            query=[("page", "2"), ("pageSize", "25")],
            answer=[{"id": 250, "identifier": "Contoso", "name": "Contoso Ltd"}],
        ),
        record("GET", f"{API}/system/info", status=None),  # dropped: no answer to check
        record(  # the connection check's probe for Agreements: Add (nothing can be written)
            "POST",
            f"{API}/finance/agreements/0/additions",
            body={},
            status=403,
            answer={"code": "Security", "message": "You do not have security permission."},
        ),
    ]
    assert traffic_problems(good) == []


async def test_reads_the_live_state_of_a_run(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    await make_client().system_info()
    assert len(sim.state.requests) == 2
    assert traffic_problems(sim.state) == [] == traffic_problems(sim.state.requests)
