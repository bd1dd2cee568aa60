"""Finding the API: companyinfo, the `api-` host, and a codebase that moves (C10)."""

from __future__ import annotations

import httpx
import pytest
import respx

from cwsync.connectwise import ConnectWiseError, NotFoundError, api_host
from tests.connectwise.conftest import ClientFactory
from tests.connectwise.support import BASE, CLIENT_ID, companyinfo, credentials


@pytest.mark.parametrize(
    ("site", "is_cloud", "expected"),
    [
        ("na.myconnectwise.net", True, "api-na.myconnectwise.net"),
        ("eu.myconnectwise.net", True, "api-eu.myconnectwise.net"),
        ("aus.myconnectwise.net", True, "api-aus.myconnectwise.net"),
        ("staging.connectwisedev.com", True, "api-staging.connectwisedev.com"),
        ("api-na.myconnectwise.net", True, "api-na.myconnectwise.net"),
        ("ca.myconnectwise.net", True, "api-ca.myconnectwise.net"),
        ("cw.example-msp.test", False, "cw.example-msp.test"),
        ("127.0.0.1:8123", False, "127.0.0.1:8123"),
    ],
)
def test_c10_api_host(site: str, is_cloud: bool, expected: str):
    assert api_host(site, is_cloud) == expected


async def test_c10_cloud_site_uses_api_host(cw_mock: respx.MockRouter, make_client: ClientFactory):
    info = await make_client().resolve()

    assert info.api_base_url == "https://api-na.myconnectwise.net/v2025_1/apis/3.0"
    assert info.codebase == "v2025_1/"
    assert info.is_cloud is True
    assert info.company_name == "Acme MSP"
    assert info.version == "v2025.1"


async def test_on_premise_over_http_for_the_simulator(make_client: ClientFactory):
    creds = credentials(site="127.0.0.1:8123", client_id=CLIENT_ID)
    with respx.mock(assert_all_called=True) as router:
        route = router.get("http://127.0.0.1:8123/login/companyinfo/acme").mock(
            return_value=companyinfo("v4_6_release", is_cloud="False")
        )
        info = await make_client(credentials=creds, scheme="http").resolve()

    assert info.api_base_url == "http://127.0.0.1:8123/v4_6_release/apis/3.0"
    assert info.is_cloud is False
    assert route.call_count == 1


def test_scheme_must_be_http_or_https(make_client: ClientFactory):
    with pytest.raises(ValueError, match="scheme"):
        make_client(scheme="ftp")


async def test_companyinfo_is_cached(cw_mock: respx.MockRouter, make_client: ClientFactory):
    cw_mock.get(f"{BASE}/system/info").respond(json={"version": "v2025.1.10"})
    client = make_client()

    await client.system_info()
    await client.system_info()

    assert cw_mock.routes["companyinfo"].call_count == 1


async def test_c10_codebase_moves_mid_run(cw_mock: respx.MockRouter, make_client: ClientFactory):
    cw_mock.routes["companyinfo"].side_effect = [companyinfo("v2024_3/"), companyinfo("v2025_1/")]
    old = cw_mock.get("https://api-na.myconnectwise.net/v2024_3/apis/3.0/company/companies").mock(
        side_effect=[httpx.Response(200, json=[{"id": 1}]), httpx.Response(404, text="")]
    )
    new = cw_mock.get(f"{BASE}/company/companies").respond(json=[{"id": 2}])
    client = make_client()

    first = [c.id async for c in client.search_companies()]
    second = [c.id async for c in client.search_companies()]

    assert (first, second) == ([1], [2])
    assert old.call_count == 2
    assert new.call_count == 1
    assert cw_mock.routes["companyinfo"].call_count == 2


async def test_c10_real_404_resolves_once_and_raises(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    route = cw_mock.get(f"{BASE}/finance/agreements/9/additions/5").respond(
        404, json={"code": "NotFound", "message": "Addition not found", "errors": None}
    )

    with pytest.raises(NotFoundError) as caught:
        await make_client().get_addition(9, 5)

    assert route.call_count == 1  # same codebase again: no point asking twice
    assert cw_mock.routes["companyinfo"].call_count == 2
    assert caught.value.status == 404


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html><body>Welcome</body></html>"),
        httpx.Response(200, json={"CompanyName": "x"}),
        httpx.Response(200, json=["not", "an", "object"]),
    ],
)
async def test_unreadable_companyinfo_is_an_error(
    cw_mock: respx.MockRouter, make_client: ClientFactory, response: httpx.Response
):
    cw_mock.routes["companyinfo"].mock(return_value=response)

    with pytest.raises(ConnectWiseError, match="codebase"):
        await make_client().resolve()
