"""Fixtures for the ConnectWise client's respx tests.

`cw_mock` answers companyinfo for a cloud tenant and, at teardown, checks every request the
client sent against ConnectWise's OpenAPI document (tests/connectwise/conformance.py).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from cwsync.connectwise import ConnectWiseClient, TenantLimits
from tests.connectwise import conformance
from tests.connectwise.support import (
    COMPANYINFO_URL,
    FakeSleep,
    companyinfo,
    credentials,
    fixed_clock,
)

ClientFactory = Callable[..., ConnectWiseClient]


@pytest.fixture
def cw_mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        router.get(COMPANYINFO_URL, name="companyinfo").mock(return_value=companyinfo())
        yield router
    spec = conformance._read_spec()
    if spec is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{conformance.SPEC_PATH} is required in CI", pytrace=False)
        warnings.warn("../shared absent: requests not checked against the spec", stacklevel=1)
        return
    problems = [
        f"{call.request.method} {call.request.url}: {problem}"
        for call in router.calls
        for problem in conformance.httpx_request_problems(spec, call.request)
    ]
    assert not problems, "requests that do not conform:\n" + "\n".join(problems)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False) as client:
        yield client


@pytest.fixture
def make_client(http: httpx.AsyncClient, sleep: FakeSleep) -> ClientFactory:
    """A client on the injected sleep and clock, paced loosely enough not to slow tests."""

    def make(**overrides: Any) -> ConnectWiseClient:
        options: dict[str, Any] = {
            "sleep": sleep,
            "clock": fixed_clock,
            "limits": TenantLimits(concurrency=4, rate_per_minute=1_000_000),
        }
        options.update(overrides)
        creds = options.pop("credentials", None) or credentials()
        client_http = options.pop("http", None) or http
        return ConnectWiseClient(client_http, creds, **options)

    return make
