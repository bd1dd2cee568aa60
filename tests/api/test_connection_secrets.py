"""The private key: in no response, never stored in plaintext, rotatable; tenants isolated."""

from __future__ import annotations

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from cwsync.app import create_app
from cwsync.config import Settings
from cwsync.connections.rotation import rotate_all
from cwsync.db import SessionMaker
from cwsync.security.encryption import Keyring, KeyringError
from cwsync.simulator.testing import SimulatorServer
from tests.support.servers import serve_in_thread
from tests.support.simulated import DEMO_KEYS, ConnectedPartner, connect_partner, connection_body

PRIVATE_KEY = DEMO_KEYS[1]


async def stored_keys(sessionmaker: SessionMaker) -> list[str]:
    """The raw column, read with plain SQL (no model, no type decorator)."""
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT private_key_encrypted FROM connections ORDER BY id")
        )
        return [row[0] for row in rows]


async def test_private_key_in_no_response_and_encrypted_at_rest(
    admin: httpx.AsyncClient,
    connected_partner: ConnectedPartner,
    simulator: SimulatorServer,
    settings: Settings,
    sessionmaker: SessionMaker,
) -> None:
    client, url = connected_partner.client, connected_partner.url
    responses = [
        await client.get(url("/connectwise")),
        await client.put(url("/connectwise"), json=connection_body(simulator)),
        await client.post(url("/connectwise/check")),
        await client.put(url("/connectwise/product"), json={"catalog_item_id": 812}),
        await client.get(url("/connectwise/product")),
        await client.get(url("/connectwise/catalog")),
        await client.get(url("/connectwise/companies")),
        await client.get(url("/connectwise/companies/250/agreements")),
        await client.get(url("/connectwise/agreements/1578/additions")),
        # Errors too: a refused key must not be echoed back either.
        await client.put(
            url("/connectwise"), json=connection_body(simulator, private_key="wrong-" + PRIVATE_KEY)
        ),
        await client.put(url("/connectwise"), json={**connection_body(simulator), "site": 5}),
    ]
    assert [r.status_code for r in responses] == [200] * 9 + [422, 422]
    for response in responses:
        assert PRIVATE_KEY not in response.text, response.request.url
        assert "private_key_encrypted" not in response.text
    assert connected_partner.connection.keys().isdisjoint({"private_key"})

    [raw] = await stored_keys(sessionmaker)
    assert PRIVATE_KEY not in raw
    assert Keyring(settings.fernet_keys).decrypt(raw) == PRIVATE_KEY


async def test_rotate_keys_moves_every_key_to_the_newest(
    admin: httpx.AsyncClient,
    api_url: str,
    simulator: SimulatorServer,
    settings: Settings,
    sessionmaker: SessionMaker,
) -> None:
    for name in ("Northwind MSP", "Fabrikam MSP"):
        partner = await connect_partner(admin, api_url, simulator, name=name)
        await partner.client.aclose()
    old_key = settings.fernet_keys[0]
    new_key = Fernet.generate_key().decode()
    before = await stored_keys(sessionmaker)
    assert len(before) == 2

    rotated_settings = settings.model_copy(
        update={"encryption_keys": SecretStr(f"{new_key},{old_key}")}
    )
    assert await rotate_all(rotated_settings) == 2

    after = await stored_keys(sessionmaker)
    assert set(after).isdisjoint(before)
    newest_only, retired_only = Keyring([new_key]), Keyring([old_key])
    assert [newest_only.decrypt(token) for token in after] == [PRIVATE_KEY, PRIVATE_KEY]
    for token in after:
        with pytest.raises(KeyringError):
            retired_only.decrypt(token)


async def test_rotation_without_the_old_key_changes_nothing(
    connected_partner: ConnectedPartner, settings: Settings, sessionmaker: SessionMaker
) -> None:
    before = await stored_keys(sessionmaker)
    unrelated = settings.model_copy(
        update={"encryption_keys": SecretStr(Fernet.generate_key().decode())}
    )
    with pytest.raises(KeyringError) as caught:
        await rotate_all(unrelated)
    assert "cannot be decrypted" in str(caught.value)
    assert await stored_keys(sessionmaker) == before


PARTNER_ROUTES = [
    ("GET", "/connectwise", None),
    ("PUT", "/connectwise", "connection"),
    ("DELETE", "/connectwise", None),
    ("POST", "/connectwise/check", None),
    ("GET", "/connectwise/product", None),
    ("PUT", "/connectwise/product", {"catalog_item_id": 812}),
    ("GET", "/connectwise/catalog", None),
    ("GET", "/connectwise/companies?search=Contoso", None),
    ("GET", "/connectwise/companies/250/agreements", None),
    ("GET", "/connectwise/agreements/1578/additions", None),
]


async def test_another_partners_token_gets_404_everywhere(
    admin: httpx.AsyncClient,
    api_url: str,
    connected_partner: ConnectedPartner,
    simulator: SimulatorServer,
) -> None:
    other = await connect_partner(admin, api_url, simulator, name="Other MSP")
    try:
        simulator.state.clear_logs()
        for method, path, body in PARTNER_ROUTES:
            json = connection_body(simulator) if body == "connection" else body
            response = await other.client.request(method, connected_partner.url(path), json=json)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "partner_not_found"
    finally:
        await other.client.aclose()
    assert list(simulator.state.requests) == []  # nothing reached ConnectWise
    still = await admin.get(connected_partner.url("/connectwise"))
    assert still.status_code == 200


async def test_revoked_token_gets_401_everywhere(
    admin: httpx.AsyncClient, connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    tokens = (await admin.get(connected_partner.url("/tokens"))).json()["items"]
    for token in tokens:
        await admin.delete(connected_partner.url(f"/tokens/{token['id']}"))
    for method, path, body in PARTNER_ROUTES:
        json = connection_body(simulator) if body == "connection" else body
        response = await connected_partner.client.request(
            method, connected_partner.url(path), json=json
        )
        assert response.status_code == 401, (method, path, response.text)


async def test_unreadable_stored_key_is_409_not_500(
    connected_partner: ConnectedPartner, settings: Settings
) -> None:
    other_keys = settings.model_copy(
        update={"encryption_keys": SecretStr(Fernet.generate_key().decode())}
    )
    with serve_in_thread(create_app(other_keys)) as url:
        headers = {"Authorization": f"Bearer {connected_partner.token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            for method, path in [
                ("GET", "/connectwise/catalog"),
                ("POST", "/connectwise/check"),
                ("PUT", "/connectwise/product"),
            ]:
                body = {"catalog_item_id": 812} if method == "PUT" else None
                response = await client.request(method, connected_partner.url(path), json=body)
                assert response.status_code == 409, (path, response.text)
                assert response.json()["error"]["code"] == "connection_key_unreadable"
