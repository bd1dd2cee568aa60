"""The request-conformance helper itself: it must catch what ConnectWise would refuse."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.connectwise.conformance import httpx_request_problems, load_spec
from tests.connectwise.support import BASE, CLIENT_ID

HEADERS = {"clientId": CLIENT_ID, "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def problems(spec: dict[str, Any], method: str, url: str, **kwargs: Any) -> list[str]:
    kwargs.setdefault("headers", HEADERS)
    return httpx_request_problems(spec, httpx.Request(method, url, **kwargs))


def test_good_requests_conform(spec: dict[str, Any]):
    additions = f"{BASE}/finance/agreements/1578/additions"
    assert problems(spec, "GET", f"{BASE}/company/companies/count") == []
    assert problems(spec, "GET", f"{additions}?page=2&pageSize=1000&orderBy=id+asc") == []
    assert (
        problems(
            spec,
            "PATCH",
            f"{additions}/9",
            content=b'[{"op":"replace","path":"quantity","value":18}]',
        )
        == []
    )
    assert (
        problems(
            spec,
            "POST",
            additions,
            content=b'{"product":{"id":1},"billCustomer":"Billable","quantity":2.5}',
        )
        == []
    )
    assert problems(spec, "GET", "https://na.myconnectwise.net/login/companyinfo/acme") == []


@pytest.mark.parametrize(
    ("method", "path", "content", "expected"),
    [
        (
            "PATCH",
            "/finance/agreements/1/additions/2",
            b'{"op":"replace","path":"quantity","value":18}',
            "is not of type 'array'",
        ),
        (
            "POST",
            "/finance/agreements/1/additions",
            b'{"product":{"id":1},"billCustomer":"Billable","quantity":"2.5"}',
            "is not of type 'number'",
        ),
        (
            "POST",
            "/finance/agreements/1/additions",
            b'{"quantity":2}',
            "'product' is a required property",
        ),
        ("GET", "/company/companies?pagesize=10", None, "unknown query parameter 'pagesize'"),
        ("GET", "/company/companies?page=first", None, "not an integer"),
        ("GET", "/company/companies/abc", None, "not an integer"),
        ("PUT", "/finance/agreements/1/additions/2", b"{}", "'product' is a required property"),
        ("GET", "/finance/invoices", None, "matches no path"),
        ("DELETE", "/system/info", None, "not an operation"),
    ],
)
def test_bad_requests_are_caught(
    spec: dict[str, Any], method: str, path: str, content: bytes | None, expected: str
):
    found = problems(spec, method, BASE + path, content=content)
    assert any(expected in p for p in found), found


def test_missing_client_id_is_caught(spec: dict[str, Any]):
    found = problems(spec, "GET", f"{BASE}/system/info", headers={})
    assert any("clientId" in p for p in found)
    found = problems(spec, "GET", "https://na.myconnectwise.net/login/companyinfo/acme", headers={})
    assert any("clientId" in p for p in found)
