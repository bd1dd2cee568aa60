"""Mappings against the simulator over real HTTP, on SQLite and PostgreSQL.

The demo seed (tenant northwind) holds every case: Contoso (250) with agreement 1578 and its
current addition 9001 for product 812, a cancelled one (9002), a future one (9003) and one
for another product (9004); Fabrikam (251) whose agreement 1579 does not prorate; a deleted
company (259); a cancelled agreement (1581) and an expired one (1584).
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import update

from cwsync.db import SessionMaker
from cwsync.models import Mapping
from cwsync.simulator.testing import SimulatorServer
from tests.support.simulated import ConnectedPartner

CONTOSO = {"company_id": 250, "agreement_id": 1578, "addition_id": 9001}
FABRIKAM = {"company_id": 251, "agreement_id": 1579, "addition_id": 9005}


async def mapped_client(partner: ConnectedPartner, *, pro_rata: bool = True) -> str:
    """A client of the partner, with the product picked; gives the client's URL."""
    picked = await partner.client.put(
        partner.url("/connectwise/product"), json={"catalog_item_id": 812}
    )
    assert picked.status_code == 200, picked.text
    created = await partner.client.post(
        partner.url("/clients"),
        json={"external_id": "c-17", "name": "Contoso", "include_pro_rata": pro_rata},
    )
    assert created.status_code == 201, created.text
    return partner.url(f"/clients/{created.json()['id']}")


async def test_put_checks_and_saves_with_names_for_display(
    connected_partner: ConnectedPartner,
) -> None:
    client_url = await mapped_client(connected_partner)
    api = connected_partner.client

    response = await api.put(client_url + "/mapping", json=CONTOSO)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("company_id", "agreement_id", "addition_id")} == CONTOSO
    assert body["company_name"] == "Contoso Ltd"
    assert body["agreement_name"] == "Contoso Managed Services"
    assert body["status"] == "ok"
    assert body["broken_reason"] is None
    assert body["warnings"] == []

    assert (await api.get(client_url + "/mapping")).json() == body
    client = (await api.get(client_url)).json()
    assert client["mapping"] == body
    listed = (await api.get(connected_partner.url("/clients"))).json()
    assert listed["items"][0]["mapping"] == body


async def test_pro_rata_on_a_non_prorating_agreement_warns(
    connected_partner: ConnectedPartner,
) -> None:
    client_url = await mapped_client(connected_partner, pro_rata=True)
    api = connected_partner.client
    response = await api.put(client_url + "/mapping", json=FABRIKAM)
    assert response.status_code == 200, response.text
    warnings = response.json()["warnings"]
    assert [w["code"] for w in warnings] == ["agreement_not_prorated"]
    assert "Fabrikam Managed Services" in warnings[0]["message"]

    await api.patch(client_url, json={"include_pro_rata": False})
    again = await api.put(client_url + "/mapping", json=FABRIKAM)
    assert again.json()["warnings"] == []


REFUSED_PICKS = [
    ({**CONTOSO, "company_id": 999_999}, "company_not_found"),
    ({**CONTOSO, "company_id": 259}, "company_not_found"),  # deleted
    ({**CONTOSO, "agreement_id": 999_999}, "agreement_not_found"),
    ({**CONTOSO, "company_id": 251}, "agreement_not_for_company"),
    ({"company_id": 253, "agreement_id": 1581, "addition_id": 9007}, "agreement_not_active"),
    ({**CONTOSO, "agreement_id": 1584}, "agreement_not_active"),  # expired
    ({**CONTOSO, "addition_id": 9005}, "addition_not_for_agreement"),
    ({**CONTOSO, "addition_id": 999_999}, "addition_not_for_agreement"),
    ({**CONTOSO, "addition_id": 9002}, "addition_cancelled"),
    ({**CONTOSO, "addition_id": 9003}, "addition_not_started"),
    ({**CONTOSO, "addition_id": 9004}, "addition_wrong_product"),
]


async def test_each_failed_check_is_a_422_with_its_code_and_nothing_saved(
    connected_partner: ConnectedPartner,
) -> None:
    client_url = await mapped_client(connected_partner)
    api = connected_partner.client
    for pick, code in REFUSED_PICKS:
        response = await api.put(client_url + "/mapping", json=pick)
        assert response.status_code == 422, (pick, response.text)
        error = response.json()["error"]
        assert error["code"] == code, (pick, error)
        assert error["message"]
    missing = await api.get(client_url + "/mapping")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "mapping_not_found"


async def test_a_failed_check_keeps_the_previous_mapping(
    connected_partner: ConnectedPartner,
) -> None:
    client_url = await mapped_client(connected_partner)
    api = connected_partner.client
    saved = (await api.put(client_url + "/mapping", json=CONTOSO)).json()
    refused = await api.put(client_url + "/mapping", json={**CONTOSO, "addition_id": 9002})
    assert refused.status_code == 422
    assert (await api.get(client_url + "/mapping")).json() == saved


async def test_product_and_connection_must_come_first(
    connected_partner: ConnectedPartner, admin: httpx.AsyncClient
) -> None:
    api = connected_partner.client
    created = await api.post(
        connected_partner.url("/clients"), json={"external_id": "x", "name": "X"}
    )
    no_product = await api.put(
        connected_partner.url(f"/clients/{created.json()['id']}/mapping"), json=CONTOSO
    )
    assert no_product.status_code == 409
    assert no_product.json()["error"]["code"] == "product_not_set"

    bare = (await admin.post("/v1/partners", json={"name": "Unconnected"})).json()["id"]
    client = await admin.post(
        f"/v1/partners/{bare}/clients", json={"external_id": "x", "name": "X"}
    )
    no_connection = await admin.put(
        f"/v1/partners/{bare}/clients/{client.json()['id']}/mapping", json=CONTOSO
    )
    assert no_connection.status_code == 409
    assert no_connection.json()["error"]["code"] == "connection_missing"


async def test_saving_again_clears_a_break_but_keeps_sync_history(
    connected_partner: ConnectedPartner, sessionmaker: SessionMaker
) -> None:
    client_url = await mapped_client(connected_partner)
    api = connected_partner.client
    await api.put(client_url + "/mapping", json=CONTOSO)
    client_id = uuid.UUID(client_url.rsplit("/", 1)[1])
    async with sessionmaker() as session:
        await session.execute(
            update(Mapping)
            .where(Mapping.client_id == client_id)
            .values(
                status="broken",
                broken_reason="addition_deleted",
                last_outcome="failed",
                last_synced_quantity=40,
            )
        )
        await session.commit()
    broken = (await api.get(client_url + "/mapping")).json()
    assert (broken["status"], broken["broken_reason"]) == ("broken", "addition_deleted")

    saved = (await api.put(client_url + "/mapping", json=CONTOSO)).json()
    assert (saved["status"], saved["broken_reason"]) == ("ok", None)
    assert saved["last_outcome"] == "failed"
    assert saved["last_synced_quantity"] == "40"


async def test_delete_unmaps(connected_partner: ConnectedPartner) -> None:
    client_url = await mapped_client(connected_partner)
    api = connected_partner.client
    await api.put(client_url + "/mapping", json=CONTOSO)

    assert (await api.delete(client_url + "/mapping")).status_code == 204
    assert (await api.get(client_url)).json()["mapping"] is None
    again = await api.delete(client_url + "/mapping")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "mapping_not_found"


async def test_racing_saves_end_as_one_mapping(connected_partner: ConnectedPartner) -> None:
    client_url = await mapped_client(connected_partner, pro_rata=False)
    api = connected_partner.client
    picks = [CONTOSO, {**CONTOSO}, {**CONTOSO}, {**CONTOSO}]
    answers = await asyncio.gather(*(api.put(client_url + "/mapping", json=p) for p in picks))
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    listed = (await api.get(connected_partner.url("/clients"))).json()
    assert listed["total"] == 1
    assert listed["items"][0]["mapping"]["addition_id"] == 9001


HOSTILE_PICKS: list[object] = [
    {**CONTOSO, "company_id": "250"},
    {**CONTOSO, "company_id": 0},
    {**CONTOSO, "agreement_id": -1},
    {**CONTOSO, "addition_id": 2**31},
    {**CONTOSO, "addition_id": True},
    {**CONTOSO, "addition_id": 9001.0},
    {**CONTOSO, "addition_id": None},
    {"company_id": 250, "agreement_id": 1578},
    {**CONTOSO, "extra": 1},
    [CONTOSO],
    None,
]


async def test_hostile_bodies_are_422_without_calling_connectwise(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    client_url = await mapped_client(connected_partner)
    before = len(simulator.state.requests)
    for body in HOSTILE_PICKS:
        response = await connected_partner.client.put(client_url + "/mapping", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert len(simulator.state.requests) == before


async def test_unknown_client_is_404_without_calling_connectwise(
    connected_partner: ConnectedPartner, simulator: SimulatorServer
) -> None:
    client_url = await mapped_client(connected_partner)
    api = connected_partner.client
    assert (await api.delete(client_url)).status_code == 204
    before = len(simulator.state.requests)
    for method in ("PUT", "GET", "DELETE"):
        kwargs = {"json": CONTOSO} if method == "PUT" else {}
        response = await api.request(method, client_url + "/mapping", **kwargs)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "client_not_found"
    assert len(simulator.state.requests) == before


async def test_one_addition_bills_one_client(connected_partner: ConnectedPartner) -> None:
    first_url = await mapped_client(connected_partner)
    api = connected_partner.client
    assert (await api.put(first_url + "/mapping", json=CONTOSO)).status_code == 200
    second = await api.post(
        connected_partner.url("/clients"), json={"external_id": "c-18", "name": "Contoso East"}
    )
    second_url = connected_partner.url(f"/clients/{second.json()['id']}")

    refused = await api.put(second_url + "/mapping", json=CONTOSO)

    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "addition_already_mapped"
    assert error["details"]["external_id"] == "c-17"
    assert (await api.get(second_url + "/mapping")).status_code == 404
    # Re-saving the holder's own mapping is not a conflict, and the addition can move on.
    assert (await api.put(first_url + "/mapping", json=CONTOSO)).status_code == 200
    assert (await api.delete(first_url + "/mapping")).status_code == 204
    assert (await api.put(second_url + "/mapping", json=CONTOSO)).status_code == 200
