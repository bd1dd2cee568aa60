"""Each fault kind is observable over HTTP (CASES.md C5, C6, C9, C10)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from cwsync.simulator import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.simulator.conftest import CLIENT_ID, cw_headers

NEW_ADDITION = b'{"product": {"id": 812}, "billCustomer": "Billable", "quantity": 3}'


def statuses(cw: httpx.Client, n: int, path: str = "/system/info") -> list[int]:
    return [cw.get(path).status_code for _ in range(n)]


def test_throttle_with_retry_after_then_recovers(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="throttle", retry_after=7, count=2))
    first = cw.get("/system/info")
    assert first.status_code == 429
    assert first.headers["retry-after"] == "7"
    assert first.json() == {"error": "TooManyRequests", "message": first.json()["message"]}
    assert statuses(cw, 2) == [429, 200]
    assert sim.state.requests[0].fault == "throttle"


@pytest.mark.parametrize(("body", "content_type"), [("html", "text/html"), ("text", "text/plain")])
def test_throttle_without_header_and_not_json(
    sim: SimulatorServer, cw: httpx.Client, body: str, content_type: str
) -> None:
    sim.state.faults.add(Fault(kind="throttle", body=body))
    response = cw.get("/system/info")
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert response.headers["content-type"].startswith(content_type)


def test_throttle_positions_within_a_clock_window(sim: SimulatorServer, cw: httpx.Client) -> None:
    now = [1000.0]
    sim.state.monotonic = lambda: now[0]
    sim.state.faults.add(Fault(kind="throttle", window_seconds=10, positions=[3, 4], retry_after=1))
    assert statuses(cw, 6) == [200, 200, 429, 429, 200, 200]
    now[0] += 10  # the next window counts afresh
    assert statuses(cw, 5) == [200, 200, 429, 429, 200]


def test_probability_is_deterministic_for_a_seed(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="error", status=503, probability=0.5))
    first = statuses(cw, 20)
    sim.reset()
    sim.state.faults.add(Fault(kind="error", status=503, probability=0.5))
    assert statuses(cw, 20) == first
    assert 0 < first.count(503) < 20


def test_after_count_and_every(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="deny", after=2, count=1))
    assert statuses(cw, 4) == [200, 200, 403, 200]
    sim.state.faults.clear()
    sim.state.faults.add(Fault(kind="error", status=502, every=3))
    assert statuses(cw, 7) == [200, 200, 502, 200, 200, 502, 200]


def test_targeting_by_method_and_path(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(
        Fault(kind="error", status=503, methods=["PATCH"], path=r"/additions/\d+$")
    )
    assert cw.get("/finance/agreements/1578/additions/9001").status_code == 200
    patch = cw.patch(
        "/finance/agreements/1578/additions/9001",
        content=b'[{"op": "replace", "path": "quantity", "value": 1}]',
    )
    assert patch.status_code == 503
    assert sim.state.tenant("northwind").additions[9001].quantity == 40


@pytest.mark.parametrize(
    ("status", "body", "content_type", "text"),
    [
        (500, None, "application/json", "A timeout has occured. Please try again."),
        (500, "permanent", "application/json", "Error converting value"),
        (502, None, "text/html", "502 - Bad Gateway"),
        (503, None, "text/html", "503 - Service Unavailable"),
        (504, None, "text/html", "504 - Gateway Time-out"),
    ],
)
def test_server_error_kinds(
    sim: SimulatorServer,
    cw: httpx.Client,
    status: int,
    body: str | None,
    content_type: str,
    text: str,
) -> None:
    sim.state.faults.add(Fault(kind="error", status=status, body=body, count=1))
    response = cw.get("/company/companies")
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    assert text in response.text
    assert cw.get("/company/companies").status_code == 200


def test_a_write_can_succeed_before_the_error(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="error", status=500, methods=["POST"], process_first=True))
    response = cw.post("/finance/agreements/1578/additions", content=NEW_ADDITION)
    assert response.status_code == 500
    assert [w.method for w in sim.state.writes] == ["POST"]


def test_down_tenant_answers_503_everywhere(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="down", tenant="NorthWind"))
    info = httpx.get(f"{sim.base_url}/login/companyinfo/northwind", headers={"clientId": CLIENT_ID})
    assert info.status_code == 503
    assert cw.get("/system/info").status_code == 503
    other = httpx.get(f"{sim.base_url}/login/companyinfo/nobody", headers={"clientId": CLIENT_ID})
    assert other.status_code == 404  # other tenants are not down


def test_redirect_for_posts_points_at_plain_http(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="redirect", methods=["POST"], process_first=True, count=1))
    response = cw.post("/finance/agreements/1578/additions", content=NEW_ADDITION)
    assert response.status_code == 302
    assert response.headers["location"].startswith("http://")
    assert response.headers["location"].endswith("/finance/agreements/1578/additions")
    assert len(sim.state.writes) == 1  # the record may exist: never post again blindly


def test_timeout_hangs_past_the_client_timeout(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="timeout", count=1))
    with pytest.raises(httpx.ReadTimeout):
        cw.get("/system/info", timeout=0.3)
    assert cw.get("/system/info").status_code == 200


def test_timeout_for_seconds_then_answers(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="timeout", seconds=0.2, count=1))
    started = time.monotonic()
    assert cw.get("/system/info").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_timed_out_post_may_have_created_its_record(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="timeout", seconds=0.5, methods=["POST"], process_first=True))
    with pytest.raises(httpx.ReadTimeout):
        cw.post("/finance/agreements/1578/additions", content=NEW_ADDITION, timeout=0.2)
    assert [w.method for w in sim.state.writes] == ["POST"]


@pytest.mark.parametrize("mode", ["reset", "close", "truncate"])
def test_connection_drops(sim: SimulatorServer, cw: httpx.Client, mode: str) -> None:
    sim.state.faults.add(Fault(kind="reset", mode=mode, count=1))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        cw.get("/company/companies")
    dropped = sim.state.requests[-1]
    assert (dropped.status, dropped.fault) == (None, "reset")
    assert cw.get("/company/companies").status_code == 200


def test_codebase_change_moves_companyinfo_and_retires_the_old_one(
    sim: SimulatorServer, cw: httpx.Client
) -> None:
    sim.state.faults.add(Fault(kind="codebase", codebase="v2025_2/", after=1))
    assert cw.get("/company/companies").status_code == 200
    assert cw.get("/company/companies").status_code == 404  # moved under this request
    info = httpx.get(f"{sim.base_url}/login/companyinfo/northwind", headers={"clientId": CLIENT_ID})
    assert info.json()["Codebase"] == "v2025_2/"
    moved = httpx.get(f"{sim.base_url}/v2025_2/apis/3.0/company/companies", headers=cw_headers())
    assert moved.status_code == 200


def test_noop_patch_answers_200_and_changes_nothing(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="noop", methods=["PATCH"]))
    response = cw.patch(
        "/finance/agreements/1578/additions/9001",
        content=b'[{"op": "replace", "path": "quantity", "value": 18}]',
    )
    assert response.status_code == 200
    assert response.json()["quantity"] == 40
    assert sim.state.writes == []


async def test_latency_is_awaited_not_blocking(sim: SimulatorServer) -> None:
    sim.state.latency_ms = 200
    async with httpx.AsyncClient(base_url=sim.api_url(), headers=cw_headers()) as client:
        started = time.monotonic()
        answers = await asyncio.gather(*(client.get("/system/info") for _ in range(20)))
        elapsed = time.monotonic() - started
    assert {a.status_code for a in answers} == {200}
    assert 0.2 <= elapsed < 1.5  # 20 requests overlap instead of taking 4 s
    assert min(r.duration_ms for r in sim.state.requests) >= 200


def test_latency_fault_targets_one_tenant(sim: SimulatorServer, cw: httpx.Client) -> None:
    sim.state.faults.add(Fault(kind="latency", ms=150, tenant="northwind", path="/system/info"))
    started = time.monotonic()
    assert cw.get("/system/info").status_code == 200
    assert time.monotonic() - started >= 0.15
    assert sim.state.requests[-1].fault is None  # latency shapes no answer


def test_faults_through_the_admin_api(sim: SimulatorServer, cw: httpx.Client) -> None:
    with sim.admin() as admin:
        admin.set_faults([{"kind": "throttle", "retry_after": 3, "count": 1}])
        assert cw.get("/system/info").status_code == 429
        [fault] = admin.faults()
        assert (fault["seen"], fault["fired"]) == (1, 1)
        added = admin.add_fault(kind="deny", count=1)
        assert [f["kind"] for f in added] == ["throttle", "deny"]
        assert cw.get("/system/info").status_code == 403
        admin.clear_faults()
        assert admin.faults() == []
        with pytest.raises(Exception, match="400"):
            admin.add_fault(kind="gremlins")
