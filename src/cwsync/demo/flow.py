"""The partner's whole job, driven only through the REST API over HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from cwsync.sync.billing_month import month_start, previous_month

DEMO_TIMEZONE = "America/Chicago"


@dataclass(frozen=True)
class DemoClient:
    external_id: str
    name: str
    company_search: str
    include_pro_rata: bool = False
    overwrite_cost: bool = False
    unit_cost: str | None = None
    # Daily counts of last month: (day of month, count) steps; the last step holds to month end.
    last_month_steps: tuple[tuple[int, int], ...] = ((1, 10),)
    today: int = 10


DEMO_CLIENTS = (
    DemoClient(
        "c-contoso",
        "Contoso Health",
        "Contoso",
        include_pro_rata=True,
        last_month_steps=((1, 1000), (10, 970), (15, 1020)),
        today=1020,
    ),
    DemoClient(
        "c-smith",
        'Smith "Bob" & Sons',
        'Smith "Bob"',
        overwrite_cost=True,
        unit_cost="2.3456",
        last_month_steps=((1, 40),),
        today=42,
    ),
    DemoClient("c-fabrikam", "Fabrikam", "Fabrikam", last_month_steps=((1, 12),), today=15),
    DemoClient("c-acme", "Acme Widgets", "Acme Widgets", last_month_steps=((1, 3),), today=3),
    # Already right in ConnectWise: the run must leave it alone (no write).
    DemoClient("c-zurich", "Zürich Ünïcode", "Zürich", last_month_steps=((1, 18),), today=18),
)


@dataclass
class DemoPartner:
    id: str
    token: str
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)


class DemoFlow:
    def __init__(self, api_url: str, admin_token: str, sim_site: str, say: Any) -> None:
        self.admin = httpx.Client(
            base_url=api_url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
        )
        self.api_url = api_url
        self.sim_site = sim_site
        self.say = say

    def close(self) -> None:
        self.admin.close()

    def setup(self, now: datetime) -> tuple[DemoPartner, httpx.Client]:
        partner_json = _ok(
            self.admin.post(
                "/v1/partners",
                json={
                    "name": "Northwind MSP",
                    "timezone": DEMO_TIMEZONE,
                    # Midnight local has always passed: the nightly run is due at once.
                    "sync_time": "00:00",
                    "unit_cost": "2.1000",
                },
            )
        )
        partner_id = partner_json["id"]
        token = _ok(self.admin.post(f"/v1/partners/{partner_id}/tokens", json={}))["token"]
        self.say(f"partner {partner_json['name']} ({partner_id}) and its API token")
        api = httpx.Client(
            base_url=f"{self.api_url}/v1/partners/{partner_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        partner = DemoPartner(id=partner_id, token=token)
        self._connect(api)
        self._pick_product(api)
        for spec in DEMO_CLIENTS:
            partner.clients[spec.external_id] = self._client(api, spec)
        self._post_counts(partner, now)
        return partner, api

    def _connect(self, api: httpx.Client) -> None:
        connection = _ok(
            api.put(
                "/connectwise",
                json={
                    "site": self.sim_site,
                    "company_id": "northwind",
                    "public_key": "demo-public-key",
                    "private_key": "demo-private-key",
                    "client_id": str(uuid.UUID(int=0x1F0E)),
                },
            )
        )
        self.say(f"ConnectWise connection verified: codebase {connection['codebase']}")
        check = _ok(api.post("/connectwise/check"))
        summary = ", ".join(
            f"{p['permission']}: {p['status']}" for p in check.get("permissions", [])
        )
        self.say(f"connection check {'passed' if check.get('ok') else 'FAILED'} — {summary}")

    def _pick_product(self, api: httpx.Client) -> None:
        items = _ok(api.get("/connectwise/catalog", params={"search": "INFIMA"}))["items"]
        product = next(i for i in items if not i.get("inactive") and not i.get("inactive_flag"))
        picked = _ok(api.put("/connectwise/product", json={"catalog_item_id": product["id"]}))
        self.say(f"product picked: {picked['identifier']} — {picked['description']}")

    def _client(self, api: httpx.Client, spec: DemoClient) -> dict[str, Any]:
        client = _ok(
            api.post(
                "/clients",
                json={
                    "external_id": spec.external_id,
                    "name": spec.name,
                    "include_pro_rata": spec.include_pro_rata,
                    "overwrite_cost": spec.overwrite_cost,
                    "unit_cost": spec.unit_cost,
                },
            )
        )
        companies = _ok(api.get("/connectwise/companies", params={"search": spec.company_search}))
        company = companies["items"][0]
        agreements = _ok(api.get(f"/connectwise/companies/{company['id']}/agreements"))["items"]
        agreement = next(a for a in agreements if _is_active(a))
        additions = _ok(api.get(f"/connectwise/agreements/{agreement['id']}/additions"))["items"]
        # The picked product's current addition comes first in the list.
        addition = next(a for a in additions if _is_current(a))
        mapping = _ok(
            api.put(
                f"/clients/{client['id']}/mapping",
                json={
                    "company_id": company["id"],
                    "agreement_id": agreement["id"],
                    "addition_id": addition["id"],
                },
            )
        )
        warnings = "; ".join(w.get("message", str(w)) for w in mapping.get("warnings", []))
        self.say(
            f"client {spec.name}: {mapping['company_name']} → {mapping['agreement_name']} → "
            f"addition {mapping['addition_id']}" + (f" (warning: {warnings})" if warnings else "")
        )
        return {**client, "spec": spec, "mapping": mapping}

    def _post_counts(self, partner: DemoPartner, now: datetime) -> None:
        zone = ZoneInfo(DEMO_TIMEZONE)
        this_month = month_start(now.astimezone(zone).date())
        last_month = previous_month(this_month)
        rows: list[dict[str, Any]] = []
        for client in partner.clients.values():
            spec: DemoClient = client["spec"]
            day = last_month
            while day < this_month:
                rows.append(_row(partner.id, spec.external_id, _count_on(spec, day), day, zone))
                day += timedelta(days=1)
            rows.append(
                {
                    "partner_id": partner.id,
                    "external_id": spec.external_id,
                    "active_users": spec.today,
                    "as_of": now.astimezone(UTC).isoformat(),
                }
            )
        accepted = _ok(self.admin.post("/v1/user-counts", json=rows))
        self.say(
            f"user counts posted: {accepted.get('accepted', len(rows))} rows "
            f"({last_month:%B %Y} daily, plus today's)"
        )


def _count_on(spec: DemoClient, day: date) -> int:
    value = spec.last_month_steps[0][1]
    for start, count in spec.last_month_steps:
        if day.day >= start:
            value = count
    return value


def _row(
    partner_id: str, external_id: str, count: int, day: date, zone: ZoneInfo
) -> dict[str, Any]:
    as_of = datetime.combine(day, time(18, 0), zone).astimezone(UTC)
    return {
        "partner_id": partner_id,
        "external_id": external_id,
        "active_users": count,
        "as_of": as_of.isoformat(),
    }


def _is_active(agreement: dict[str, Any]) -> bool:
    status = agreement.get("agreement_status") or agreement.get("status")
    return status in (None, "Active") and not agreement.get("cancelled_flag")


def _is_current(addition: dict[str, Any]) -> bool:
    state = addition.get("state")
    if state is not None:
        return bool(state == "current")
    return not addition.get("cancelled") and not addition.get("future")


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response.json() if response.content else None
