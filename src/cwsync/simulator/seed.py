"""Seed documents (JSON) in and out of the typed state.

A seed is ``{"tenants": [tenant, ...], "faults": [fault, ...]}``; a tenant holds its
settings, API members and records in ConnectWise's own JSON shapes (see README.md). The
dump of a state is again a seed, so ``GET /__sim/state`` can be posted back to reset.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cwsync.simulator.fields import FieldError
from cwsync.simulator.jsonio import loads
from cwsync.simulator.records import Addition, Agreement, CatalogItem, Company, Member
from cwsync.simulator.state import SimulatorState, Tenant, TenantSettings

DEMO_SEED_PATH = Path(__file__).resolve().parent / "seeds" / "demo.json"
_TENANT_KEYS = ("company_id", "company_name", "codebase", "build", "is_cloud", "server_time_zone")


class SeedError(ValueError):
    """The seed document is malformed; the message says where."""


def read_seed(path: str | Path) -> dict[str, Any]:
    document = loads(Path(path).read_bytes())
    if not isinstance(document, dict):
        raise SeedError(f"{path}: a seed is a JSON object with a 'tenants' list")
    return document


def apply_seed(state: SimulatorState, document: dict[str, Any]) -> None:
    """Replace the state's tenants, faults and logs with the seed's (remembered for reset)."""
    tenants = [tenant_from_json(item, state.clock()) for item in document.get("tenants", [])]
    state.clear()
    for tenant in tenants:
        state.add_tenant(tenant)
    for fault in document.get("faults", []):
        state.faults.add_json(fault)
    state.seed_document = document


def tenant_from_json(data: dict[str, Any], now: datetime) -> Tenant:
    where = f"tenant {data.get('company_id')!r}"
    try:
        tenant = Tenant(**{key: data[key] for key in _TENANT_KEYS if key in data})
        tenant.settings = TenantSettings()
        tenant.settings.update(data.get("settings", {}))
        for item in data.get("members", []):
            tenant.put_member(Member.from_json(item))
        load_records(tenant, data, now)
    except (FieldError, KeyError, TypeError, ValueError) as exc:
        raise SeedError(f"{where}: {exc}") from exc
    return tenant


def load_records(tenant: Tenant, data: dict[str, Any], now: datetime) -> dict[str, list[int]]:
    """Add companies, catalog, agreements, additions (in that order); answer the new ids."""
    ids: dict[str, list[int]] = {"companies": [], "catalog": [], "agreements": [], "additions": []}
    for item in data.get("companies", []):
        record = Company.from_json(_with_id(tenant, "companies", item), seed_now=now)
        ids["companies"].append(tenant.put_company(record).id)
    for item in data.get("catalog", []):
        catalog_item = CatalogItem.from_json(_with_id(tenant, "catalog", item), seed_now=now)
        ids["catalog"].append(tenant.put_catalog_item(catalog_item).id)
    for item in data.get("agreements", []):
        agreement = Agreement.from_json(_with_id(tenant, "agreements", item), seed_now=now)
        if agreement.company.get("id") not in tenant.companies:
            raise SeedError(f"agreement {agreement.id}: company {agreement.company} is unknown")
        ids["agreements"].append(tenant.put_agreement(agreement).id)
    for item in data.get("additions", []):
        payload = _with_id(tenant, "additions", item)
        payload["product"] = product_ref(tenant, payload.get("product"))
        addition = Addition.from_json(payload, seed_now=now)
        if addition.agreement_id not in tenant.agreements:
            raise SeedError(f"addition {addition.id}: agreement {addition.agreement_id} is unknown")
        ids["additions"].append(tenant.put_addition(addition).id)
    return ids


def _with_id(tenant: Tenant, kind: str, item: dict[str, Any]) -> dict[str, Any]:
    payload = dict(item)
    if payload.get("id") is None:
        payload["id"] = tenant.next_id(kind)
    return payload


def product_ref(tenant: Tenant, value: Any) -> dict[str, Any]:
    """Seeds may name a product by identifier; the state always holds its id."""
    if isinstance(value, dict) and "id" not in value and "identifier" in value:
        wanted = str(value["identifier"]).lower()
        for item in tenant.catalog.values():
            if item.identifier.lower() == wanted:
                return {"id": item.id}
    if not isinstance(value, dict) or value.get("id") not in tenant.catalog:
        raise SeedError(f"product {value!r} is not in the catalog")
    return {"id": value["id"]}


def tenant_to_json(tenant: Tenant) -> dict[str, Any]:
    out: dict[str, Any] = {key: getattr(tenant, key) for key in _TENANT_KEYS}
    out["settings"] = tenant.settings.to_json()
    out["members"] = [member.to_json() for member in tenant.members.values()]
    out["companies"] = [record.to_json() for record in tenant.companies.values()]
    out["catalog"] = [record.to_json() for record in tenant.catalog.values()]
    out["agreements"] = [record.to_json() for record in tenant.agreements.values()]
    out["additions"] = [record.to_json() for record in tenant.additions.values()]
    return out


def dump_state(state: SimulatorState, tenant: str | None = None) -> dict[str, Any]:
    tenants = state.tenants.values() if tenant is None else [t for t in [state.tenant(tenant)] if t]
    return {
        "tenants": [tenant_to_json(item) for item in tenants],
        "faults": state.faults.to_json(),
    }


def load_state(seed_path: str | Path | None = None, **options: Any) -> SimulatorState:
    """A new state from a seed file (the demo seed when None); options go to the state."""
    state = SimulatorState(**options)
    apply_seed(state, read_seed(seed_path or DEMO_SEED_PATH))
    return state


def load_demo_state(**options: Any) -> SimulatorState:
    return load_state(None, **options)
