"""Hostile values in well-formed requests, swept over every route they can reach: NUL bytes
and odd unicode in names and ids, unknown timezones, negative or non-integer counts, dates
far in the past or future, ids past 32 bits, oversized lists. Each is a clear 4xx in the
uniform shape — never a 5xx, never the input echoed back — and afterwards the database holds
exactly what it held before (checked table by table, on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import unicodedata
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from cwsync.db import SessionMaker
from cwsync.models import Client, Partner
from tests.hostile.conftest import Owner, fill, table_counts

P = "/v1/partners"
PP = P + "/{partner_id}"
C = PP + "/clients"
JSON = {"content-type": "application/json"}
CC = C + "/{client_id}"

BAD_TEXT = [
    "Con\x00toso",
    "\x00",
    "esc\x1b[31mred",
    "line\nbreak",
    "\ud800lone surrogate",
    "   ",
    "\u200b",  # only a zero-width space: blank on screen
    "evil\u202egnp.exe",  # right-to-left override
    "\ufeffAcme",  # a BOM in front: looks like "Acme"
    "para\u2029graph",
    "non\uffffcharacter",
]
BAD_ZONES = [
    "Mars/Olympus_Mons",
    "UTC+5",
    "../../etc/passwd",
    "",
    "America/New_York\x00",
    "america/new_york",
    "Etc/GMT+99",
    "x" * 65,
    5,
]
BAD_TIMES = [
    "25:00",
    "12:60",
    "noon",
    "-01:00",
    "24:00",
    "2:00",
    "02:00+05:00",
    "02:00:30",
    300,
    7.5,
]
BAD_MONEY = ["-1", "NaN", "Infinity", "-Infinity", "1e12", "0.0000001", "12,50", True, [], {}]
BAD_COUNTS = [-1, 5.5, "5", True, None, 2**63, 10_000_001, [], "NaN"]
BAD_AS_OF = [
    "0001-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "2999-01-01T00:00:00Z",
    "2026-01-15T09:00:00",
    "2026-02-30T00:00:00Z",
    "9999-12-31T23:59:59-23:59",
    "not a date",
    1_700_000_000,
]
BAD_IDS = [0, -1, 2**31, 2**63, 2**100, "812", 812.5, True, None]


def cases() -> list[tuple[str, str, Any]]:
    """(method, path template, body) of every hostile request of the sweep."""
    out: list[tuple[str, str, Any]] = []
    for text in [*BAD_TEXT, "x" * 201]:
        out += [("POST", P, {"name": text}), ("PATCH", PP, {"name": text})]
        out += [("POST", C, {"external_id": "ok", "name": text}), ("PATCH", CC, {"name": text})]
    for text in [*BAD_TEXT, "x" * 101]:
        out.append(("POST", C, {"external_id": text, "name": "Fine"}))
    # PATCH takes null as "leave it as it is" (partners.service), so null is a POST case only.
    for zone in [*BAD_ZONES, None]:
        out.append(("POST", P, {"name": "Fine", "timezone": zone}))
    for zone in BAD_ZONES:
        out.append(("PATCH", PP, {"timezone": zone}))
    for when in BAD_TIMES:
        out.append(("POST", P, {"name": "Fine", "sync_time": when}))
        out.append(("PATCH", PP, {"sync_time": when}))
    for money in BAD_MONEY:
        out += [("PATCH", PP, {"unit_cost": money}), ("PATCH", CC, {"unit_cost": money})]
        out.append(("POST", C, {"external_id": "ok", "name": "Fine", "unit_cost": money}))
    for count in BAD_COUNTS:
        out.append(("PUT", CC + "/user-count", {"active_users": count}))
    for as_of in BAD_AS_OF:
        out.append(("PUT", CC + "/user-count", {"active_users": 5, "as_of": as_of}))
    for bad in BAD_IDS:
        out.append(("PUT", PP + "/connectwise/product", {"catalog_item_id": bad}))
        for field in ("company_id", "agreement_id", "addition_id"):
            mapping = {"company_id": 250, "agreement_id": 1578, "addition_id": 9001, field: bad}
            out.append(("PUT", CC + "/mapping", mapping))
    out += [
        ("POST", PP + "/sync-runs", {"client_ids": []}),
        ("POST", PP + "/sync-runs", {"client_ids": ["not-a-uuid"]}),
        ("POST", PP + "/sync-runs", {"client_ids": [str(uuid.uuid4()) for _ in range(10_001)]}),
        ("POST", PP + "/sync-runs", {"client_ids": [str(uuid.uuid4())]}),  # not this partner's
        ("POST", PP + "/sync-runs", {"dry_run": "maybe"}),
    ]
    return out


def bulk_cases(owner: Owner) -> list[list[Any]]:
    """Bulk feeds: one bad row spoils the lot, and 10,001 rows are too many."""
    partner = owner.ids["partner_id"]

    def row(**changes: Any) -> dict[str, Any]:
        good = {
            "partner_id": partner,
            "external_id": "c-1",
            "active_users": 5,
            "as_of": "2026-01-15T09:00:00Z",
        }
        return {**good, **changes}

    feeds = [[row(as_of=f"2026-01-15T09:{i % 60:02d}:{i % 59:02d}Z") for i in range(10_001)]]
    feeds += [[row(), row(active_users=count)] for count in BAD_COUNTS]
    feeds += [[row(), row(as_of=as_of)] for as_of in BAD_AS_OF]
    feeds += [[row(), row(external_id=text)] for text in BAD_TEXT]
    feeds += [[row(), row(partner_id=str(uuid.uuid4()))], [row(), row(partner_id="x\x00")]]
    return feeds


async def test_hostile_values_are_refused_everywhere_and_store_nothing(
    admin: httpx.AsyncClient, owner: Owner, sessionmaker: SessionMaker
) -> None:
    """Sent to the API with its default 4 MiB body cap (a 10,001-row feed fits under it)."""
    before = await table_counts(sessionmaker)
    partner_url = fill(PP, owner.ids)
    client_url = fill(CC, owner.ids)
    rows_before = [(await admin.get(url)).json() for url in (partner_url, client_url)]
    requests = [(m, fill(path, owner.ids), body) for m, path, body in cases()]
    requests += [("POST", "/v1/user-counts", feed) for feed in bulk_cases(owner)]
    for method, url, body in requests:
        # json.dumps escapes a lone surrogate ("\\ud800") where httpx's encoder would fail.
        response = await admin.request(method, url, content=json.dumps(body), headers=JSON)
        shown = (method, url, str(body)[:80], response.status_code, response.text[:300])
        assert response.status_code in (400, 409, 422), shown
        error = response.json()["error"]
        assert error["code"] and error["message"], shown
        assert "\x00" not in response.text and "\\u0000" not in response.text, shown
    assert len(requests) > 200
    assert await table_counts(sessionmaker) == before
    assert [(await admin.get(u)).json() for u in (partner_url, client_url)] == rows_before


async def test_hostile_query_and_path_values_are_4xx(
    capped_admin: httpx.AsyncClient, owner: Owner
) -> None:
    client_url = fill(CC, owner.ids)
    for url, params in [
        (P, {"limit": 10**20}),
        (P, {"limit": -1}),
        (P, {"offset": 10**30}),
        (P, {"limit": "ten"}),
        (fill(C, owner.ids), {"offset": -1}),
        (client_url + "/user-counts", {"limit": 0}),
        (P + "/not-a-uuid", {}),
        (P + "/%00", {}),
        (P + "/" + "9" * 5000, {}),
        (fill(PP, owner.ids) + "/sync-runs/" + "'; DROP TABLE sync_runs; --", {}),
    ]:
        response = await capped_admin.get(url, params=params)
        assert response.status_code in (404, 422), (url, params, response.text)
        assert response.json()["error"]["code"]


async def test_request_ids_from_callers_are_tamed(capped_admin: httpx.AsyncClient) -> None:
    long = await capped_admin.get("/healthz", headers={"X-Request-ID": "a" * 1000})
    assert long.headers["x-request-id"] == "a" * 64
    tabbed = await capped_admin.get("/healthz", headers={"X-Request-ID": "bad\tid"})
    assert "\t" not in tabbed.headers["x-request-id"]


ODD_BUT_FINE = [
    "👨‍👩‍👧 Family IT",  # emoji joined by U+200D
    "Cafe\u0301 Noir",  # decomposed: stored composed (NFC)
    "\u200fשירותי מחשוב 24/7",  # an RTL name with its RTL mark
    "شركة\u200cالأمن",  # zero-width non-joiner, needed in Arabic script
    "ＡＣＭＥ 株式会社",
    "𝔄𝔠𝔪𝔢 Math",
    "O'Neil's \"Café\" & <Sons>",
]


async def test_odd_but_valid_unicode_is_kept_exactly_and_composed(
    capped_admin: httpx.AsyncClient, owner: Owner, sessionmaker: SessionMaker
) -> None:
    url = fill(C, owner.ids)
    for name in ODD_BUT_FINE:
        created = await capped_admin.post(url, json={"external_id": name, "name": name})
        assert created.status_code == 201, (name, created.text)
        stored = unicodedata.normalize("NFC", name)
        assert (created.json()["name"], created.json()["external_id"]) == (stored, stored)
    async with sessionmaker() as session:
        names = set((await session.scalars(select(Client.name))).all())
        partners = (await session.scalars(select(Partner.name))).all()
    assert names == {"Mine", *(unicodedata.normalize("NFC", n) for n in ODD_BUT_FINE)}
    assert list(partners) == ["Owner MSP"]
    # The decomposed and the composed spelling are one external id, not two look-alikes.
    again = await capped_admin.post(url, json={"external_id": "Café Noir", "name": "Twin"})
    assert again.status_code == 409, again.text
