"""C5–C10 over real HTTP: what is retried and what is final, throttling and pacing, the
client id, bad keys, a missing permission, and a codebase that moves.

The partner-level halves of C8/C9 (connection marked failing, no writes that night, other
partners unaffected) are the sync's and the API's: tests/sync/test_executor_cases.py
(`test_bad_credentials_fail_the_run_once_and_mark_the_connection`) and
tests/api/test_connection_check.py. Here: the client's own behaviour, seen in the log.
"""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr, ValidationError

from cwsync.connectwise import (
    AuthenticationError,
    Credentials,
    NotFoundError,
    PatchOp,
    PermissionDeniedError,
    RetryPolicy,
    TenantLimits,
    ThrottledError,
    UnavailableError,
)
from cwsync.simulator import Fault
from cwsync.simulator.testing import SimulatorServer
from tests.integration.support import (
    CLIENT_ID,
    INACTIVE_KEYS,
    NOEDIT_KEYS,
    ClientFactory,
    VirtualClock,
    credentials,
    header,
    logged,
)

POLICY = RetryPolicy()


def throttles() -> float:
    return REGISTRY.get_sample_value("cwsync_cw_throttles_total") or 0.0


async def test_c5_transient_500_and_html_504_are_retried(
    sim: SimulatorServer, make_client: ClientFactory, clock: VirtualClock
) -> None:
    sim.state.faults.add(Fault(kind="error", body="transient", path="/system/info", count=1))
    sim.state.faults.add(Fault(kind="error", status=504, body="html", path="/system/info", count=1))

    info = await make_client().system_info()

    assert info.version is not None
    calls = logged(sim, "/system/info")
    assert [r.status for r in calls] == [500, 504, 200]
    assert "timeout has occured" in calls[0].response_body["message"].lower()
    assert not calls[1].response_is_json and "<html" in calls[1].response_body.lower()
    assert len(clock.waits) == 2 and all(0 < wait <= POLICY.max_delay for wait in clock.waits)


async def test_c5_data_error_500_is_final_with_its_message(
    sim: SimulatorServer, make_client: ClientFactory, clock: VirtualClock
) -> None:
    sim.state.faults.add(Fault(kind="error", body="permanent", path="/additions/9001$", count=1))

    with pytest.raises(UnavailableError) as caught:
        await make_client().get_addition(1578, 9001)

    assert caught.value.status == 500 and caught.value.transient is False
    assert "Error converting value" in caught.value.message
    assert len(logged(sim, "/additions/9001")) == 1 and clock.waits == []


async def test_c5_html_504_that_persists_is_bounded_and_readable(
    sim: SimulatorServer, make_client: ClientFactory, clock: VirtualClock
) -> None:
    sim.state.faults.add(Fault(kind="error", status=504, body="html", path="/system/info"))
    policy = RetryPolicy(max_attempts=4)

    with pytest.raises(UnavailableError) as caught:
        await make_client(retry_policy=policy).system_info()

    assert caught.value.status == 504 and caught.value.transient is True
    assert "<" not in caught.value.message  # the gateway page's words, not its markup
    assert len(logged(sim, "/system/info")) == 4 and len(clock.waits) == 3
    assert sum(clock.waits) <= policy.max_total_wait


@pytest.mark.parametrize(
    ("retry_after", "body"), [(7, "error_json"), (None, "json"), (None, "html")]
)
async def test_c6_throttled_once_then_answered(
    sim: SimulatorServer,
    make_client: ClientFactory,
    clock: VirtualClock,
    retry_after: int | None,
    body: str,
) -> None:
    sim.state.faults.add(
        Fault(kind="throttle", retry_after=retry_after, body=body, path="/system/info", count=1)
    )
    before = throttles()

    await make_client().system_info()

    assert [r.status for r in logged(sim, "/system/info")] == [429, 200]
    assert throttles() == before + 1
    assert len(clock.waits) == 1
    if retry_after is not None:
        assert retry_after <= clock.waits[0] <= retry_after + 1
    else:  # no advice: the throttle backoff, jittered between half and all of its base
        assert POLICY.throttle_base_delay / 2 <= clock.waits[0] <= POLICY.throttle_base_delay


async def test_c6_third_and_fourth_of_every_window_waits_and_counts(
    sim: SimulatorServer, make_client: ClientFactory, clock: VirtualClock
) -> None:
    # The simulator's windows run on the client's virtual clock: waiting really moves on.
    sim.state.monotonic = clock.monotonic
    fault = sim.state.faults.add(
        Fault(kind="throttle", retry_after=7, window_seconds=10, positions=[3, 4])
    )
    before = throttles()
    client = make_client()

    read = [(await client.get_addition(1578, addition_id)).id for addition_id in range(9001, 9005)]
    read += [(await client.get_company(company_id)).id for company_id in range(250, 256)]

    assert read == [*range(9001, 9005), *range(250, 256)]
    throttled = [r for r in sim.state.requests if r.status == 429]
    assert len(throttled) == fault.fired >= 2
    assert throttles() - before == fault.fired
    assert len(clock.waits) == fault.fired and min(clock.waits) >= 7


async def test_c6_paced_client_stays_under_the_servers_window(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    # Real time on both sides here (the pace is aiolimiter's, on the event loop's clock):
    # the server throttles the 11th request onwards of every second; 240/min never gets there.
    sim.state.faults.add(
        Fault(
            kind="throttle", path="/system/info", window_seconds=1, positions=list(range(11, 999))
        )
    )
    paced = make_client(limits=TenantLimits(concurrency=4, rate_per_minute=240))
    for _ in range(12):
        await paced.system_info()

    assert [r.status for r in logged(sim, "/system/info")] == [200] * 12
    # The same window bites a client that does not pace itself (30 at once, no retries).
    greedy = make_client(
        limits=TenantLimits(concurrency=30, rate_per_minute=1_000_000),
        retry_policy=RetryPolicy(max_attempts=1),
    )
    await greedy.resolve()
    outcomes = await asyncio.gather(
        *(greedy.system_info() for _ in range(30)), return_exceptions=True
    )
    assert any(isinstance(outcome, ThrottledError) for outcome in outcomes)


@pytest.mark.parametrize("client_id", ["", "   "])
def test_c7_no_client_id_refuses_to_start(sim: SimulatorServer, client_id: str) -> None:
    with pytest.raises(ValidationError, match="client_id"):
        Credentials(
            site=sim.site,
            company_id="northwind",
            public_key="demo-public-key",
            private_key=SecretStr("demo-private-key"),
            client_id=client_id,
        )
    assert not sim.state.requests


async def test_c7_client_id_on_every_request(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    client = make_client(page_size=5)
    assert len([c async for c in client.search_companies()]) == 12  # 13 less the deleted one
    await client.count_companies("Acme")
    await client.patch_addition(1578, 9001, [PatchOp(path="quantity", value=41)])

    requests = list(sim.state.requests)
    assert {r.path.split("/")[1] for r in requests} == {"login", "v2025_1"}
    assert max(int(r.query_value("page") or 0) for r in requests) == 3  # next links too
    assert [header(r, "clientId") for r in requests] == [CLIENT_ID] * len(requests)
    api = [r for r in requests if "/apis/3.0/" in r.path]
    assert {header(r, "accept") for r in api} == {
        "application/vnd.connectwise.com+json; version=2025.1"
    }


@pytest.mark.parametrize(
    ("keys", "code"),
    [
        (("demo-public-key", "not-the-private-key"), "Unauthorized"),
        (("nobody-public-key", "demo-private-key"), "Unauthorized"),
        (INACTIVE_KEYS, "UserNotAuthenticated"),
    ],
)
async def test_c8_bad_keys_are_final(
    sim: SimulatorServer,
    make_client: ClientFactory,
    clock: VirtualClock,
    keys: tuple[str, str],
    code: str,
) -> None:
    client = make_client(credentials=credentials(sim, keys))

    with pytest.raises(AuthenticationError) as caught:
        await client.system_info()

    assert caught.value.status == 401 and caught.value.code == code
    assert "public/private key" in caught.value.message and "API member" in caught.value.message
    assert keys[1] not in str(caught.value) and keys[1] not in repr(caught.value)
    assert len(logged(sim, "/apis/3.0/")) == 1 and clock.waits == []


async def test_c9_missing_permission_is_final_and_named(
    sim: SimulatorServer, make_client: ClientFactory, clock: VirtualClock
) -> None:
    restricted = make_client(credentials=credentials(sim, NOEDIT_KEYS))
    before = await restricted.get_addition(1578, 9001)  # the role may read

    with pytest.raises(PermissionDeniedError) as caught:
        await restricted.patch_addition(1578, 9001, [PatchOp(path="quantity", value=41)])

    assert caught.value.status == 403 and caught.value.code == "Security"
    assert caught.value.permission == "Agreements: Edit"
    assert "PATCH /finance/agreements/1578/additions/9001" in caught.value.message
    assert "Agreements: Edit" in caught.value.message
    assert len(logged(sim, "/additions/9001", "PATCH")) == 1 and clock.waits == []
    assert sim.state.writes == []
    # Another API member (as another partner's would be) is not held back by it.
    after = await make_client().patch_addition(1578, 9001, [PatchOp(path="quantity", value=41)])
    assert (before.quantity, after.quantity) == (40, 41)


async def test_c10_codebase_moves_between_calls(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    client = make_client()
    await client.system_info()
    sim.state.faults.add(Fault(kind="codebase", codebase="v2025_2/"))

    company = await client.get_company(250)
    await client.get_company(251)

    assert company.name == "Contoso Ltd"
    assert [(r.path, r.status) for r in sim.state.requests] == [
        ("/login/companyinfo/northwind", 200),
        ("/v2025_1/apis/3.0/system/info", 200),
        ("/v2025_1/apis/3.0/company/companies/250", 404),
        ("/login/companyinfo/northwind", 200),
        ("/v2025_2/apis/3.0/company/companies/250", 200),
        ("/v2025_2/apis/3.0/company/companies/251", 200),
    ]


async def test_c10_codebase_moves_mid_listing(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    sim.state.faults.add(
        Fault(kind="codebase", codebase="v2025_2/", path="/company/companies", after=1)
    )

    found = [c.id async for c in make_client(page_size=5).search_companies()]

    assert sorted(found) == [i for i in range(250, 263) if i != 259]
    assert len(logged(sim, "/login/companyinfo")) == 2


async def test_c10_a_record_really_gone_resolves_once(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    with pytest.raises(NotFoundError):
        await make_client().get_company(99_999)
    assert [r.path.split("/")[-1] for r in sim.state.requests] == [
        "northwind",
        "99999",
        "northwind",
    ]
    # The cloud `api-` host (C10's other half) needs DNS for *.myconnectwise.net, which a
    # loopback simulator cannot give: tests/connectwise/test_discovery.py
    # (test_c10_cloud_site_uses_api_host, test_c10_api_host) covers it with respx.
