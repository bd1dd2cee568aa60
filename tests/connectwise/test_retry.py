"""Retries, waits on the injected clock, and which errors are final (C5, C6, C8, C9)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from email.utils import format_datetime

import httpx
import pytest
import respx
from prometheus_client import REGISTRY

from cwsync.connectwise import (
    AuthenticationError,
    NewAddition,
    PatchOp,
    PermissionDeniedError,
    RetryPolicy,
    ThrottledError,
    UnavailableError,
    retry_after_seconds,
)
from tests.connectwise.conftest import ClientFactory
from tests.connectwise.support import BASE, NOW, FakeSleep, error

INFO = f"{BASE}/system/info"
OK = httpx.Response(200, json={"version": "v2025.1.10", "isCloud": True})
TIMEOUT_500 = error(500, "Error", "A timeout has occured. Please try again.")
HTML_504 = httpx.Response(
    504, text="<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"
)


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_c5_timeout_500_is_retried(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    route = cw_mock.get(INFO).mock(side_effect=[TIMEOUT_500, TIMEOUT_500, OK])
    before = counter("cwsync_cw_retries_total", reason="status_500")

    info = await make_client().system_info()

    assert info.version == "v2025.1.10"
    assert route.call_count == 3
    assert len(sleep.waits) == 2
    assert 0.25 <= sleep.waits[0] <= 0.5 and 0.5 <= sleep.waits[1] <= 1.0  # jittered, growing
    assert counter("cwsync_cw_retries_total", reason="status_500") == before + 2


async def test_c5_data_error_500_is_final(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    route = cw_mock.get(INFO).mock(
        return_value=error(500, "Error", "Error converting value 'abc' to type 'Int32'.")
    )

    with pytest.raises(UnavailableError) as caught:
        await make_client().system_info()

    assert route.call_count == 1 and sleep.waits == []
    assert caught.value.transient is False
    assert "Error converting value" in str(caught.value)


async def test_c5_html_504_retried_then_ok(cw_mock: respx.MockRouter, make_client: ClientFactory):
    route = cw_mock.get(INFO).mock(side_effect=[HTML_504, HTML_504, OK])

    await make_client().system_info()

    assert route.call_count == 3


async def test_c5_html_504_exhausted_is_bounded_and_readable(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    route = cw_mock.get(INFO).mock(return_value=HTML_504)

    with pytest.raises(UnavailableError) as caught:
        await make_client().system_info()

    assert route.call_count == 5
    assert len(sleep.waits) == 4
    assert caught.value.transient is True and caught.value.status == 504
    assert "504 Gateway Time-out nginx" in str(caught.value)
    assert "<" not in str(caught.value)


async def test_total_wait_is_bounded(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    route = cw_mock.get(INFO).mock(return_value=HTML_504)
    policy = RetryPolicy(max_attempts=50, base_delay=1.0, max_delay=8.0, max_total_wait=20.0)

    with pytest.raises(UnavailableError):
        await make_client(retry_policy=policy).system_info()

    assert sleep.total <= 20.0
    assert 3 <= route.call_count < 50


async def test_c6_waits_at_least_retry_after(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    throttled = error(429, "Throttled", "Too many requests", **{"Retry-After": "7"})
    route = cw_mock.get(INFO).mock(side_effect=[throttled, OK])
    before = counter("cwsync_cw_throttles_total")

    await make_client().system_info()

    assert route.call_count == 2
    assert len(sleep.waits) == 1 and 7.0 <= sleep.waits[0] <= 8.0
    assert counter("cwsync_cw_throttles_total") == before + 1


async def test_c6_retry_after_as_http_date(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    when = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    throttled = httpx.Response(429, headers={"Retry-After": when}, json={"error": "throttled"})
    cw_mock.get(INFO).mock(side_effect=[throttled, OK])

    await make_client().system_info()

    assert 30.0 <= sleep.waits[0] <= 31.0


@pytest.mark.parametrize(
    "throttled",
    [
        httpx.Response(429, json={"error": "rate_limited", "message": "slow down"}),
        httpx.Response(429, text="<html><body><h1>429 Too Many Requests</h1></body></html>"),
    ],
)
async def test_c6_429_without_retry_after_backs_off(
    cw_mock: respx.MockRouter,
    make_client: ClientFactory,
    sleep: FakeSleep,
    throttled: httpx.Response,
):
    route = cw_mock.get(INFO).mock(return_value=throttled)

    with pytest.raises(ThrottledError) as caught:
        await make_client().system_info()

    assert route.call_count == 5
    assert sleep.waits[0] >= 1.0  # the throttle backoff starts at 2 s, jittered down to half
    assert sleep.waits == sorted(sleep.waits)
    assert caught.value.status == 429 and caught.value.retry_after is None


async def test_c6_retry_after_too_long_is_reported_not_waited(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    route = cw_mock.get(INFO).respond(429, headers={"Retry-After": "3600"}, text="later")

    with pytest.raises(ThrottledError) as caught:
        await make_client().system_info()

    assert route.call_count == 1 and sleep.waits == []
    assert caught.value.retry_after == 3600.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), (" 2.5 ", 2.5), ("-3", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_seconds(value: str | None, expected: float | None):
    assert retry_after_seconds(value, NOW) == expected


async def test_c8_401_is_final_and_says_what_to_check(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    route = cw_mock.get(INFO).mock(
        return_value=error(401, "UserNotAuthenticated", "Incorrect public/private key")
    )

    with pytest.raises(AuthenticationError) as caught:
        await make_client().system_info()

    assert route.call_count == 1 and sleep.waits == []
    assert caught.value.code == "UserNotAuthenticated"
    assert "key pair" in str(caught.value) and "Incorrect public/private key" in str(caught.value)


@pytest.mark.parametrize(
    ("call", "method", "permission"),
    [
        ("patch", "PATCH", "Agreements: Edit"),
        ("create", "POST", "Agreements: Add"),
        ("additions", "GET", "Agreements: Inquire"),
        ("companies", "GET", "Company Maintenance: Inquire"),
        ("catalog", "GET", "Product Catalog: Inquire"),
    ],
)
async def test_c9_403_names_the_call_and_the_permission(
    cw_mock: respx.MockRouter,
    make_client: ClientFactory,
    sleep: FakeSleep,
    call: str,
    method: str,
    permission: str,
):
    denied = error(403, "Security", "You do not have security permission to perform this action.")
    route = cw_mock.route(method=method, url__startswith=BASE).mock(return_value=denied)
    client = make_client()

    with pytest.raises(PermissionDeniedError) as caught:
        if call == "patch":
            await client.patch_addition(7, 9, [PatchOp(path="quantity", value=Decimal(18))])
        elif call == "create":
            await client.create_addition(7, NewAddition(product_id=3, quantity=Decimal(1)))
        elif call == "additions":
            _ = [a async for a in client.agreement_additions(7)]
        elif call == "companies":
            _ = [c async for c in client.search_companies("x")]
        else:
            _ = [i async for i in client.search_catalog("x")]

    assert route.call_count == 1 and sleep.waits == []
    assert caught.value.permission == permission
    assert f"{method} /" in str(caught.value) and permission in str(caught.value)


async def test_get_retried_after_read_timeout(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    route = cw_mock.get(INFO).mock(side_effect=[httpx.ReadTimeout("slow"), OK])

    await make_client().system_info()

    assert route.call_count == 2


ADDITIONS = f"{BASE}/finance/agreements/7/additions"
NEW = NewAddition(product_id=3, quantity=Decimal("2.5"), unit_price=Decimal("5.2456"))


async def test_post_not_retried_after_read_timeout(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    route = cw_mock.post(ADDITIONS).mock(side_effect=httpx.ReadTimeout("no answer"))

    with pytest.raises(UnavailableError) as caught:
        await make_client().create_addition(7, NEW)

    assert route.call_count == 1 and sleep.waits == []
    assert caught.value.outcome_unknown is True
    assert "may or may not have been applied" in str(caught.value)


async def test_post_not_retried_after_gateway_timeout(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    route = cw_mock.post(ADDITIONS).mock(return_value=HTML_504)

    with pytest.raises(UnavailableError) as caught:
        await make_client().create_addition(7, NEW)

    assert route.call_count == 1
    assert caught.value.outcome_unknown is True


async def test_post_retried_when_it_never_left(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    created = httpx.Response(201, json={"id": 55, "quantity": 2.5})
    route = cw_mock.post(ADDITIONS).mock(side_effect=[httpx.ConnectError("refused"), created])

    addition = await make_client().create_addition(7, NEW)

    assert addition.id == 55
    assert route.call_count == 2


async def test_patch_retried_after_read_timeout(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    # Replacing a field with an absolute value twice changes nothing more than once.
    route = cw_mock.patch(f"{ADDITIONS}/9").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": 9})]
    )

    await make_client().patch_addition(7, 9, [PatchOp(path="quantity", value=Decimal(18))])

    assert route.call_count == 2


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("follow", [False, True])
async def test_redirects_are_never_followed(
    cw_mock: respx.MockRouter, make_client: ClientFactory, method: str, follow: bool
):
    from cwsync.connectwise import RedirectRefusedError

    target = cw_mock.route(url__startswith="http://elsewhere.example.test").respond(200, json={})
    cw_mock.route(method=method, url=ADDITIONS).respond(
        307, headers={"Location": "http://elsewhere.example.test/x"}
    )
    async with httpx.AsyncClient(follow_redirects=follow) as http:
        client = make_client(http=http)
        with pytest.raises(RedirectRefusedError) as caught:
            if method == "POST":
                await client.create_addition(7, NEW)
            else:
                _ = [a async for a in client.agreement_additions(7)]

    assert target.call_count == 0
    assert caught.value.location == "http://elsewhere.example.test/x"
    assert cw_mock.routes["companyinfo"].call_count == 1


async def test_c6_paced_throttles_do_not_use_up_attempts(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    """A burst of 429s that say when to come back, then a failing server: the attempts are
    kept for the failures (issue 9: throttling bursts must not cost a client its sync)."""
    throttled = error(429, "Throttled", "Too many requests", **{"Retry-After": "1"})
    answers = [throttled, throttled, throttled, TIMEOUT_500, TIMEOUT_500, OK]
    paced = RetryPolicy(max_attempts=3, max_paced_throttles=3)
    route = cw_mock.get(INFO).mock(side_effect=answers)

    await make_client(retry_policy=paced).system_info()
    assert route.call_count == 6

    route.reset()
    route.mock(side_effect=answers)
    with pytest.raises(ThrottledError):  # without the paced budget: three attempts, all 429
        await make_client(retry_policy=RetryPolicy(max_attempts=3)).system_info()
    assert route.call_count == 3


async def test_c6_paced_throttles_are_bounded_too(
    cw_mock: respx.MockRouter, make_client: ClientFactory, sleep: FakeSleep
):
    throttled = error(429, "Throttled", "Too many requests", **{"Retry-After": "1"})
    route = cw_mock.get(INFO).mock(return_value=throttled)

    with pytest.raises(ThrottledError):
        await make_client(
            retry_policy=RetryPolicy(max_attempts=2, max_paced_throttles=2)
        ).system_info()

    assert route.call_count == 4  # two paced 429s, then the two attempts
