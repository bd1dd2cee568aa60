"""Tenant isolation: every route of the app, tried with another partner's token and a revoked one.

The route list comes from the app itself (its OpenAPI document, which FastAPI builds from
``app.routes``; since FastAPI 0.16x included routers sit behind wrappers in ``app.routes``),
so a new route is tried automatically, and a route missing from ``EXPECTED`` fails the test
until someone decides who may call it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cwsync.app import create_app
from cwsync.simulator.testing import SimulatorServer
from tests.api.test_mappings import CONTOSO
from tests.support.simulated import ConnectedPartner, connect_partner

PUBLIC, ADMIN, PARTNER, ADMIN_OF_PARTNER = "public", "admin", "partner", "admin-of-partner"
P = "/v1/partners/{partner_id}"
C = P + "/clients/{client_id}"

# Who may call each route. PARTNER: the partner's own token or admin, another partner's
# token gets 404. ADMIN_OF_PARTNER: admin only, another partner's token gets 403 or 404.
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("POST", "/v1/partners"): ADMIN,
    ("GET", "/v1/partners"): ADMIN,
    ("POST", "/v1/user-counts"): ADMIN,
    ("GET", P): PARTNER,
    ("PATCH", P): PARTNER,
    ("POST", P + "/tokens"): ADMIN_OF_PARTNER,
    ("GET", P + "/tokens"): ADMIN_OF_PARTNER,
    ("DELETE", P + "/tokens/{token_id}"): ADMIN_OF_PARTNER,
    ("PUT", P + "/connectwise"): PARTNER,
    ("GET", P + "/connectwise"): PARTNER,
    ("DELETE", P + "/connectwise"): PARTNER,
    ("POST", P + "/connectwise/check"): PARTNER,
    ("PUT", P + "/connectwise/product"): PARTNER,
    ("GET", P + "/connectwise/product"): PARTNER,
    ("GET", P + "/connectwise/catalog"): PARTNER,
    ("GET", P + "/connectwise/companies"): PARTNER,
    ("GET", P + "/connectwise/companies/{company_id}/agreements"): PARTNER,
    ("GET", P + "/connectwise/agreements/{agreement_id}/additions"): PARTNER,
    ("POST", P + "/clients"): PARTNER,
    ("GET", P + "/clients"): PARTNER,
    ("GET", C): PARTNER,
    ("PATCH", C): PARTNER,
    ("DELETE", C): PARTNER,
    ("PUT", C + "/user-count"): PARTNER,
    ("GET", C + "/user-counts"): PARTNER,
    ("PUT", C + "/mapping"): PARTNER,
    ("GET", C + "/mapping"): PARTNER,
    ("DELETE", C + "/mapping"): PARTNER,
    ("POST", P + "/sync-runs"): PARTNER,
    ("GET", P + "/sync-runs"): PARTNER,
    ("GET", P + "/sync-runs/{run_id}"): PARTNER,
}

# Bodies that would succeed for the owner, so a 404 cannot be a validation error in disguise.
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", P): {"name": "Taken Over"},
    ("PUT", P + "/connectwise"): None,  # filled from the simulator in the test
    ("PUT", P + "/connectwise/product"): {"catalog_item_id": 813},
    ("POST", P + "/clients"): {"external_id": "intruder", "name": "Intruder"},
    ("PATCH", C): {"name": "Taken Over", "unit_cost": "0.01"},
    ("PUT", C + "/user-count"): {"active_users": 1, "as_of": "2026-01-01T00:00:00Z"},
    ("PUT", C + "/mapping"): {**CONTOSO, "addition_id": 9001},
    ("POST", P + "/sync-runs"): {"dry_run": False},
    ("POST", "/v1/partners"): {"name": "Intruder"},
    ("POST", "/v1/user-counts"): [],
}


@dataclass
class Tenant:
    partner: ConnectedPartner
    ids: dict[str, str]


def app_operations() -> list[tuple[str, str]]:
    schema = create_app().openapi()
    methods = {"get", "put", "post", "patch", "delete"}
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in methods
    )


def test_every_route_has_an_expectation() -> None:
    missing = [op for op in app_operations() if op not in EXPECTED]
    assert not missing, f"add these routes to EXPECTED in {__file__}: {missing}"


def fill(path: str, ids: dict[str, str]) -> str:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    unknown = [n for n in names if n not in ids]
    assert not unknown, f"no test value for path parameters {unknown} of {path}"
    return path.format(**{n: ids[n] for n in names})


async def call(
    client: httpx.AsyncClient, op: tuple[str, str], ids: dict[str, str], token: str, body: Any
) -> httpx.Response:
    method, path = op
    kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = body if body is not None else {}
    response = await client.request(method, fill(path, ids), **kwargs)
    assert response.status_code < 500, (op, response.status_code, response.text)
    return response


async def set_up_owner(
    admin: httpx.AsyncClient, api_url: str, simulator: SimulatorServer
) -> Tenant:
    """Partner A with everything a route can point at: connection, product, client with a
    count and a mapping, a token, a sync run."""
    partner = await connect_partner(admin, api_url, simulator, name="Owner MSP")
    api = partner.client
    assert (
        await api.put(partner.url("/connectwise/product"), json={"catalog_item_id": 812})
    ).is_success
    client = await api.post(partner.url("/clients"), json={"external_id": "c-1", "name": "Mine"})
    client_id = client.json()["id"]
    client_url = partner.url(f"/clients/{client_id}")
    assert (await api.put(client_url + "/user-count", json={"active_users": 40})).is_success
    assert (await api.put(client_url + "/mapping", json=CONTOSO)).is_success
    tokens = (await admin.get(partner.url("/tokens"))).json()["items"]
    ids = {
        "partner_id": partner.id,
        "client_id": client_id,
        "token_id": tokens[0]["id"],
        "run_id": str(uuid.uuid4()),
        "company_id": "250",
        "agreement_id": "1578",
    }
    if ("POST", P + "/sync-runs") in app_operations():
        run = await api.post(partner.url("/sync-runs"), json={"dry_run": True})
        assert run.status_code == 202, run.text
        ids["run_id"] = run.json()["id"]
    return Tenant(partner=partner, ids=ids)


async def snapshot(admin: httpx.AsyncClient, owner: Tenant) -> dict[str, Any]:
    """What another partner must not be able to change."""
    url = owner.partner.url
    client_url = url(f"/clients/{owner.ids['client_id']}")
    state = {
        "partner": (await admin.get(url())).json(),
        "connection": (await admin.get(url("/connectwise"))).json(),
        "product": (await admin.get(url("/connectwise/product"))).json(),
        "clients": (await admin.get(url("/clients"))).json(),
        "counts": (await admin.get(client_url + "/user-counts")).json(),
        "tokens": [t["revoked_at"] for t in (await admin.get(url("/tokens"))).json()["items"]],
    }
    if ("GET", P + "/sync-runs") in app_operations():
        state["runs"] = (await admin.get(url("/sync-runs"))).json()["total"]
    return state


@pytest.fixture
async def owner(
    admin: httpx.AsyncClient, api_url: str, simulator: SimulatorServer
) -> AsyncIterator[Tenant]:
    tenant = await set_up_owner(admin, api_url, simulator)
    try:
        yield tenant
    finally:
        await tenant.partner.client.aclose()


async def new_partner_token(admin: httpx.AsyncClient, name: str) -> tuple[str, str]:
    partner_id = (await admin.post("/v1/partners", json={"name": name})).json()["id"]
    token = (await admin.post(f"/v1/partners/{partner_id}/tokens", json={})).json()["token"]
    return partner_id, token


async def test_another_partners_token_reaches_nothing(
    admin: httpx.AsyncClient, owner: Tenant, simulator: SimulatorServer
) -> None:
    _, intruder = await new_partner_token(admin, "Intruder MSP")
    bodies = dict(BODIES)
    bodies[("PUT", P + "/connectwise")] = {
        "site": simulator.site,
        "company_id": "northwind",
        "public_key": "demo-public-key",
        "private_key": "demo-private-key",
        "client_id": "3f2a1c9e-0000-4000-8000-00000000c0de",
    }
    before = await snapshot(admin, owner)

    for op in app_operations():
        kind = EXPECTED[op]
        if kind == PUBLIC:
            continue
        response = await call(admin, op, owner.ids, intruder, bodies.get(op))
        allowed = {PARTNER: {404}, ADMIN_OF_PARTNER: {403, 404}, ADMIN: {403}}[kind]
        assert response.status_code in allowed, (op, response.status_code, response.text)
        if response.status_code == 404:
            assert response.json()["error"]["code"] == "partner_not_found", (op, response.text)

    assert await snapshot(admin, owner) == before


async def test_own_partner_path_with_another_partners_ids_is_404(
    admin: httpx.AsyncClient, owner: Tenant
) -> None:
    """The intruder's own partner in the path, the owner's client / token / run after it."""
    intruder_id, intruder = await new_partner_token(admin, "Intruder MSP")
    before = await snapshot(admin, owner)
    ids = {**owner.ids, "partner_id": intruder_id}
    nested = ("{client_id}", "{token_id}", "{run_id}")
    tried = 0
    for op in app_operations():
        if not any(name in op[1] for name in nested):
            continue
        tried += 1
        response = await call(admin, op, ids, intruder, BODIES.get(op))
        allowed = {403, 404} if EXPECTED[op] == ADMIN_OF_PARTNER else {404}
        assert response.status_code in allowed, (op, response.status_code, response.text)
    assert tried >= 9
    assert await snapshot(admin, owner) == before


async def test_a_revoked_token_is_401_everywhere(admin: httpx.AsyncClient, owner: Tenant) -> None:
    partner_url = owner.partner.url()
    issued = (await admin.post(partner_url + "/tokens", json={})).json()
    assert (await admin.delete(f"{partner_url}/tokens/{issued['id']}")).status_code == 204
    before = await snapshot(admin, owner)

    for op in app_operations():
        if EXPECTED[op] == PUBLIC:
            continue
        response = await call(admin, op, owner.ids, issued["token"], BODIES.get(op))
        assert response.status_code == 401, (op, response.status_code, response.text)
        assert response.json()["error"]["code"] == "invalid_token"

    assert await snapshot(admin, owner) == before


async def test_the_owner_reads_every_route_the_intruder_could_not(
    admin: httpx.AsyncClient, owner: Tenant
) -> None:
    """So the 404s above are about who asks, not about routes that never answer."""
    for op in app_operations():
        kind = EXPECTED[op]
        if op[0] != "GET" or kind == PUBLIC:
            continue
        response = await call(admin, op, owner.ids, owner.partner.token, None)
        expected = 403 if kind in (ADMIN, ADMIN_OF_PARTNER) else 200
        assert response.status_code == expected, (op, response.status_code, response.text)
