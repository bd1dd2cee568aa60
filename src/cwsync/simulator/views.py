"""Records as ConnectWise answers them, with the fields ConnectWise derives.

A view keeps ``None`` values so ``conditions`` can test ``field = null``; ``compact``
drops them before a record goes on the wire, because ConnectWise omits null fields (its
schemas mark dates like ``cancelledDate`` as non-nullable strings).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cwsync.simulator.records import Addition, Agreement, CatalogItem, Company, Record
from cwsync.simulator.state import Tenant


def company_view(tenant: Tenant, company: Company) -> dict[str, Any]:
    return company.to_json()


def agreement_view(tenant: Tenant, agreement: Agreement) -> dict[str, Any]:
    out = agreement.to_json()
    company = tenant.companies.get(agreement.company.get("id", -1))
    if company is not None:
        # References carry the company's current identifier and name, as in ConnectWise.
        out["company"] = {"id": company.id, "identifier": company.identifier, "name": company.name}
    out["cancelledFlag"] = agreement.agreement_status == "Cancelled"
    return out


def catalog_view(tenant: Tenant, item: CatalogItem) -> dict[str, Any]:
    return item.to_json()


def addition_view(tenant: Tenant, addition: Addition) -> dict[str, Any]:
    out = addition.to_json()
    product = tenant.catalog.get(addition.product.get("id", -1))
    if product is not None:
        out["product"] = {"id": product.id, "identifier": product.identifier}
    agreement = tenant.agreements.get(addition.agreement_id)
    out["agreementStatus"] = agreement.agreement_status if agreement is not None else None
    out.update(extended_amounts(addition))
    out["_info"] = dict(addition.info) if addition.info else None
    return out


def extended_amounts(addition: Addition) -> dict[str, Decimal | None]:
    """``extPrice = (quantity − lessIncluded) × unitPrice``; cost covers every unit.

    Exact Decimal products, never rounded: the simulator's choice so tests can assert
    money exactly (ConnectWise's own rounding of these read-only fields is unconfirmed).
    """
    quantity = addition.quantity
    billable = None if quantity is None else quantity - (addition.less_included or Decimal(0))
    ext_price = (
        None if billable is None or addition.unit_price is None else billable * addition.unit_price
    )
    ext_cost = (
        None if quantity is None or addition.unit_cost is None else quantity * addition.unit_cost
    )
    margin = None if ext_price is None or ext_cost is None else ext_price - ext_cost
    return {"extPrice": ext_price, "extCost": ext_cost, "margin": margin}


def compact(value: Any) -> Any:
    """Drop ``None`` members recursively (ConnectWise leaves null fields out)."""
    if isinstance(value, dict):
        return {key: compact(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [compact(item) for item in value]
    return value


def known_fields(record_type: type[Record]) -> frozenset[str]:
    """Field names a ``conditions`` or ``orderBy`` may use, lower-cased."""
    names = {spec.json for spec in record_type.FIELDS} | set(record_type.DERIVED)
    return frozenset(name.lower() for name in names)
