"""PUT/GET /v1/partners/{p}/connectwise/product: the pick is checked in ConnectWise."""

from __future__ import annotations

import httpx
import pytest

from cwsync.simulator.testing import SimulatorServer
from tests.support.simulated import ConnectedPartner, sqlite_only


async def test_pick_and_read_the_product(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    url = connected_partner.url("/connectwise/product")
    missing = await connected_partner.client.get(url)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "product_not_set"

    simulator.state.clear_logs()
    picked = await connected_partner.client.put(url, json={"catalog_item_id": 812})
    assert picked.status_code == 200, picked.text
    expected = {
        "catalog_item_id": 812,
        "identifier": "INFIMA-SAT",
        "description": "INFIMA Security Awareness Training",
    }
    assert picked.json() == expected
    assert [r.path.split("/apis/3.0")[-1] for r in simulator.state.requests] == [
        "/procurement/catalog/812"
    ]
    assert (await connected_partner.client.get(url)).json() == expected

    # Picking again replaces it.
    again = await connected_partner.client.put(url, json={"catalog_item_id": 813})
    assert again.json()["identifier"] == "INFIMA-PHISH"
    assert (await connected_partner.client.get(url)).json()["catalog_item_id"] == 813


@sqlite_only
@pytest.mark.parametrize(
    ("item", "code"),
    [(815, "product_inactive"), (816, "product_is_bundle"), (999_999, "product_not_found")],
)
async def test_unusable_items_are_refused(
    connected_partner: ConnectedPartner, item: int, code: str
) -> None:
    url = connected_partner.url("/connectwise/product")
    response = await connected_partner.client.put(url, json={"catalog_item_id": item})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert (await connected_partner.client.get(url)).status_code == 404


@sqlite_only
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"catalog_item_id": "812"},
        {"catalog_item_id": True},
        {"catalog_item_id": 0},
        {"catalog_item_id": 2**31},
        {"catalog_item_id": 812, "identifier": "x"},
    ],
)
async def test_invalid_bodies_are_422(
    connected_partner: ConnectedPartner, simulator: SimulatorServer, body: dict[str, object]
) -> None:
    simulator.state.clear_logs()
    response = await connected_partner.client.put(
        connected_partner.url("/connectwise/product"), json=body
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert list(simulator.state.requests) == []


async def test_pick_needs_a_connection(admin: httpx.AsyncClient) -> None:
    partner = (await admin.post("/v1/partners", json={"name": "Bare MSP"})).json()
    response = await admin.put(
        f"/v1/partners/{partner['id']}/connectwise/product", json={"catalog_item_id": 812}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "connection_missing"
