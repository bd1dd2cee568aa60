"""Credentials, headers and keeping the private key out of sight (C7)."""

from __future__ import annotations

import base64

import httpx
import pytest
import respx
from pydantic import SecretStr, ValidationError

from cwsync.connectwise import ACCEPT, ConnectWiseAuth, ConnectWiseError
from tests.connectwise.conftest import ClientFactory
from tests.connectwise.support import BASE, CLIENT_ID, PRIVATE, credentials


async def test_auth_header_exact_bytes(cw_mock: respx.MockRouter, make_client: ClientFactory):
    route = cw_mock.get(f"{BASE}/system/info").respond(json={"version": "v2025.1.10"})

    await make_client().system_info()

    sent = route.calls.last.request.headers
    expected = base64.b64encode(b"acme+pubkey1234:s3cr3t-Private-Key-9876").decode()
    assert sent["Authorization"] == f"Basic {expected}"
    assert sent["clientId"] == CLIENT_ID
    assert sent["Accept"] == "application/vnd.connectwise.com+json; version=2025.1"
    assert ACCEPT == sent["Accept"]


@pytest.mark.parametrize("client_id", ["", "   "])
def test_c7_refuses_credentials_without_client_id(client_id: str):
    with pytest.raises(ValidationError) as caught:
        credentials(client_id=client_id)
    assert "client_id" in str(caught.value)


def test_refuses_empty_private_key():
    with pytest.raises(ValidationError):
        credentials(private_key=SecretStr(""))


def test_validation_errors_do_not_echo_the_private_key():
    with pytest.raises(ValidationError) as caught:
        credentials(private_key=12345678, client_id="")
    assert "12345678" not in str(caught.value)


async def test_c7_client_id_on_companyinfo(cw_mock: respx.MockRouter, make_client: ClientFactory):
    await make_client().resolve()

    request = cw_mock.routes["companyinfo"].calls.last.request
    assert request.headers["clientId"] == CLIENT_ID
    assert "Authorization" not in request.headers  # companyinfo takes no auth


def test_private_key_absent_from_reprs(make_client: ClientFactory):
    creds = credentials()
    token = base64.b64encode(f"acme+pubkey1234:{PRIVATE}".encode()).decode()
    for thing in (creds, ConnectWiseAuth(creds), make_client(credentials=creds)):
        for text in (repr(thing), str(thing)):
            assert PRIVATE not in text
            assert token not in text


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(401, text="Incorrect public/private key"),
        httpx.Response(403, json={"code": "Security", "message": "You do not have..."}),
        httpx.Response(500, json={"code": "Error", "message": "Error converting value"}),
        httpx.Response(400, json={"code": "InvalidObject", "message": "bad", "errors": []}),
        httpx.Response(302, headers={"Location": "http://elsewhere.test/x"}),
    ],
)
async def test_private_key_absent_from_every_error(
    cw_mock: respx.MockRouter, make_client: ClientFactory, response: httpx.Response
):
    cw_mock.get(f"{BASE}/system/info").mock(return_value=response)

    with pytest.raises(ConnectWiseError) as caught:
        await make_client().system_info()

    _assert_no_secret(caught.value)


async def test_echoed_authorization_is_scrubbed_from_errors(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    # A misbehaving proxy that echoes the request headers back in its error page.
    def echo(request: httpx.Request) -> httpx.Response:
        sent = request.headers["Authorization"]
        return httpx.Response(400, text=f"bad request; you sent Authorization: {sent}")

    cw_mock.get(f"{BASE}/system/info").mock(side_effect=echo)

    with pytest.raises(ConnectWiseError) as caught:
        await make_client().system_info()

    _assert_no_secret(caught.value)
    assert "**********" in str(caught.value)


async def test_private_key_absent_from_transport_errors(
    cw_mock: respx.MockRouter, make_client: ClientFactory
):
    cw_mock.get(f"{BASE}/system/info").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(ConnectWiseError) as caught:
        await make_client(max_attempts=2).system_info()

    _assert_no_secret(caught.value)


def _assert_no_secret(exc: BaseException) -> None:
    token = base64.b64encode(f"acme+pubkey1234:{PRIVATE}".encode()).decode()
    for text in (str(exc), repr(exc)):
        assert PRIVATE not in text
        assert token not in text
