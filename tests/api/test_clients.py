"""Clients over real HTTP on SQLite and PostgreSQL: create, read, update, delete, conflicts."""

from __future__ import annotations

import asyncio
import uuid

import httpx

CLIENT = {
    "external_id": "c-17",
    "name": "Contoso",
    "include_pro_rata": True,
    "overwrite_cost": False,
    "unit_cost": None,
}


async def new_partner(admin: httpx.AsyncClient, name: str = "Northwind MSP") -> str:
    response = await admin.post("/v1/partners", json={"name": name, "unit_cost": "2.3456"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def new_client(admin: httpx.AsyncClient, partner_id: str, **fields: object) -> dict:
    response = await admin.post(f"/v1/partners/{partner_id}/clients", json={**CLIENT, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_answers_the_client_with_nothing_mapped_yet(admin: httpx.AsyncClient) -> None:
    partner_id = await new_partner(admin)
    body = await new_client(admin, partner_id, unit_cost="3.100050")

    assert uuid.UUID(body["id"])
    assert body["partner_id"] == partner_id
    assert body["external_id"] == "c-17"
    assert body["name"] == "Contoso"
    assert body["include_pro_rata"] is True
    assert body["overwrite_cost"] is False
    assert body["unit_cost"] == "3.10005"
    assert body["sync_enabled"] is True
    assert body["mapping"] is None
    assert body["active_users"] is None
    assert body["as_of"] is None
    assert body["last_synced_at"] is None
    assert body["last_outcome"] is None

    again = await admin.get(f"/v1/partners/{partner_id}/clients/{body['id']}")
    assert again.status_code == 200
    assert again.json() == body


async def test_duplicate_external_id_is_409_but_fine_in_another_partner(
    admin: httpx.AsyncClient,
) -> None:
    first, second = await new_partner(admin, "A"), await new_partner(admin, "B")
    await new_client(admin, first)

    duplicate = await admin.post(f"/v1/partners/{first}/clients", json=CLIENT)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "client_exists"

    await new_client(admin, second)  # external ids are unique per partner only
    listed = await admin.get(f"/v1/partners/{first}/clients")
    assert listed.json()["total"] == 1


async def test_racing_creates_of_one_external_id_make_exactly_one_client(
    admin: httpx.AsyncClient,
) -> None:
    partner_id = await new_partner(admin)
    url = f"/v1/partners/{partner_id}/clients"
    answers = await asyncio.gather(
        *(admin.post(url, json={**CLIENT, "name": f"n{i}"}) for i in range(8))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 7, [a.text for a in answers]
    assert (await admin.get(url)).json()["total"] == 1


async def test_patch_changes_only_what_is_sent(admin: httpx.AsyncClient) -> None:
    partner_id = await new_partner(admin)
    created = await new_client(admin, partner_id, unit_cost="2.5")
    url = f"/v1/partners/{partner_id}/clients/{created['id']}"

    response = await admin.patch(url, json={"overwrite_cost": True, "unit_cost": "0.000001"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["overwrite_cost"] is True
    assert body["unit_cost"] == "0.000001"
    assert body["include_pro_rata"] is True
    assert body["name"] == "Contoso"

    response = await admin.patch(
        url, json={"name": "Contoso Ltd", "include_pro_rata": False, "sync_enabled": False}
    )
    body = response.json()
    assert (body["name"], body["include_pro_rata"], body["sync_enabled"]) == (
        "Contoso Ltd",
        False,
        False,
    )
    assert body["unit_cost"] == "0.000001"

    cleared = await admin.patch(url, json={"unit_cost": None})
    assert cleared.json()["unit_cost"] is None
    assert (await admin.get(url)).json()["unit_cost"] is None


BAD_PATCHES = [
    {"name": None},
    {"include_pro_rata": None},
    {"external_id": "c-99"},
    {"unit_cost": "-1"},
    {"unit_cost": "NaN"},
    {"unit_cost": "Infinity"},
    {"unit_cost": "1e12"},
    {"unit_cost": "1.0000001"},
    {"name": "   "},
    {"name": "x" * 201},
    {"include_pro_rata": [True]},
]


async def test_bad_patch_is_422_and_changes_nothing(admin: httpx.AsyncClient) -> None:
    partner_id = await new_partner(admin)
    created = await new_client(admin, partner_id)
    url = f"/v1/partners/{partner_id}/clients/{created['id']}"
    for patch in BAD_PATCHES:
        response = await admin.patch(url, json=patch)
        assert response.status_code == 422, (patch, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert (await admin.get(url)).json() == created


async def test_money_keeps_every_digit(admin: httpx.AsyncClient) -> None:
    partner_id = await new_partner(admin)
    for external_id, given, shown in [
        ("a", "999999999999.999999", "999999999999.999999"),
        ("b", "0.000001", "0.000001"),
        ("c", "5.2456", "5.2456"),
        ("d", "100", "100"),
        ("e", "0", "0"),
    ]:
        body = await new_client(admin, partner_id, external_id=external_id, unit_cost=given)
        assert body["unit_cost"] == shown
        read = await admin.get(f"/v1/partners/{partner_id}/clients/{body['id']}")
        assert read.json()["unit_cost"] == shown


async def test_delete_then_unknown(admin: httpx.AsyncClient) -> None:
    partner_id = await new_partner(admin)
    created = await new_client(admin, partner_id)
    url = f"/v1/partners/{partner_id}/clients/{created['id']}"

    assert (await admin.delete(url)).status_code == 204
    for method in ("GET", "PATCH", "DELETE"):
        kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
        response = await admin.request(method, url, **kwargs)
        assert response.status_code == 404, (method, response.text)
        assert response.json()["error"]["code"] == "client_not_found"
    # The external id is free again.
    await new_client(admin, partner_id)


async def test_unknown_and_foreign_ids_are_404(admin: httpx.AsyncClient) -> None:
    mine, theirs = await new_partner(admin, "A"), await new_partner(admin, "B")
    their_client = await new_client(admin, theirs)

    foreign = await admin.get(f"/v1/partners/{mine}/clients/{their_client['id']}")
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "client_not_found"
    deleted = await admin.delete(f"/v1/partners/{mine}/clients/{their_client['id']}")
    assert deleted.status_code == 404
    still = await admin.get(f"/v1/partners/{theirs}/clients/{their_client['id']}")
    assert still.status_code == 200

    unknown_partner = await admin.get(f"/v1/partners/{uuid.uuid4()}/clients")
    assert unknown_partner.status_code == 404
    assert unknown_partner.json()["error"]["code"] == "partner_not_found"

    not_a_uuid = await admin.get(f"/v1/partners/{mine}/clients/not-a-uuid")
    assert not_a_uuid.status_code == 422


UNICODE_NAMES = [
    "🛡️ Contoso 👩‍💻 Ltd",
    "شركة الأمن السيبراني",
    "מגן סייבר בע״מ",
    "Zürich Ünïcode GmbH",
    'Smith "Bob" & Sons',
    "O'Neil's Café",
    "\u200fRTL mark inside",
]


async def test_unicode_names_come_back_exactly(admin: httpx.AsyncClient) -> None:
    partner_id = await new_partner(admin)
    for name in UNICODE_NAMES:
        body = await new_client(admin, partner_id, name=name, external_id=name[:50])
        assert body["name"] == name
        assert body["external_id"] == name[:50]
    listed = (await admin.get(f"/v1/partners/{partner_id}/clients")).json()
    assert sorted(item["name"] for item in listed["items"]) == sorted(UNICODE_NAMES)
    assert {item["external_id"] for item in listed["items"]} == {n[:50] for n in UNICODE_NAMES}


HOSTILE_CREATES: list[object] = [
    {**CLIENT, "name": "Con\x00toso"},
    {**CLIENT, "external_id": "c\x00-17"},
    {**CLIENT, "name": "line\nbreak"},
    {**CLIENT, "external_id": ""},
    {**CLIENT, "external_id": "x" * 101},
    {**CLIENT, "unit_cost": "12,50"},
    {**CLIENT, "unknown": 1},
    {"name": "no external id"},
    [CLIENT],
    "Contoso",
    None,
    {**CLIENT, "name": {"$ne": None}},
    {**CLIENT, "include_pro_rata": "maybe"},
]


async def test_hostile_create_bodies_are_422(admin: httpx.AsyncClient) -> None:
    partner_id = await new_partner(admin)
    for body in HOSTILE_CREATES:
        response = await admin.post(f"/v1/partners/{partner_id}/clients", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert (await admin.get(f"/v1/partners/{partner_id}/clients")).json()["total"] == 0


UNPARSEABLE = [
    b"{not json",
    b"",
    b"[" * 50_000 + b"]" * 50_000,
    b'{"external_id": "x", "name": "\xff\xfe"}',
    b'{"external_id": "x", "name": "lone \\ud800 surrogate"}',
    b'{"external_id": "x", "name": "Contoso", "unit_cost": 1' + b"0" * 5000 + b"}",
    b'{"external_id": "x", "name": "Contoso", "unit_cost": 1e400}',
    b'{"external_id": "x", "name": "Contoso", "unit_cost": NaN}',
]


async def test_unparseable_bodies_are_4xx(admin: httpx.AsyncClient) -> None:
    partner_id = await new_partner(admin)
    for raw in UNPARSEABLE:
        response = await admin.post(
            f"/v1/partners/{partner_id}/clients",
            content=raw,
            headers={"content-type": "application/json"},
        )
        assert 400 <= response.status_code < 500, (raw[:80], response.text)
        assert "error" in response.json()
    assert (await admin.get(f"/v1/partners/{partner_id}/clients")).json()["total"] == 0
