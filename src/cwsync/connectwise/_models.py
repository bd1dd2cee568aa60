"""What ConnectWise answers, as tolerant pydantic models.

A restricted security role can answer 200 with fields missing or null, so everything but
`id` is optional. Money and quantities are `Decimal`: bodies are parsed with
`parse_float=Decimal` (see `_client.load_json`), so 5.2456 never passes through a float.
References (`company{id,name}`, `product{id,identifier}`) are flattened to `company_id`,
`product_identifier`, ….

`request_id` is the `x-cw-request-id` of the response that carried the record (the same for
every row of one page), for the sync to keep with what it did.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel


def _date_part(value: Any) -> Any:
    # ConnectWise writes dates as "2024-01-15T00:00:00Z"; the day is what it means.
    if isinstance(value, str):
        return value[:10] if value.strip() else None
    return value


CwDate = Annotated[date | None, BeforeValidator(_date_part)]

# ConnectWise reference → (flattened attribute prefix, fields kept)
_REFERENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "company": ("company", ("id", "identifier", "name")),
    "product": ("product", ("id", "identifier")),
    "status": ("status", ("id", "name")),
    "type": ("type", ("id", "name")),
    "billingCycle": ("billing_cycle", ("id", "name")),
}


class CwModel(BaseModel):
    model_config = ConfigDict(
        extra="ignore", alias_generator=to_camel, populate_by_name=True, frozen=False
    )

    request_id: str | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _flatten_references(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key, (prefix, names) in _REFERENCES.items():
            reference = data.get(key)
            if isinstance(reference, dict):
                for name in names:
                    target = f"{prefix}_{name}"
                    if target in cls.model_fields:
                        data.setdefault(target, reference.get(name))
        return data


class SystemInfo(CwModel):
    version: str | None = None
    is_cloud: bool | None = None
    server_time_zone: str | None = None
    cloud_region: str | None = None


class CatalogItem(CwModel):
    id: int
    identifier: str | None = None
    description: str | None = None
    inactive_flag: bool | None = None
    price: Decimal | None = None
    cost: Decimal | None = None
    product_class: str | None = None  # "Bundle" cannot be an addition


class Company(CwModel):
    id: int
    identifier: str | None = None
    name: str | None = None
    deleted_flag: bool | None = None
    status_id: int | None = None
    status_name: str | None = None


class Agreement(CwModel):
    id: int
    name: str | None = None
    company_id: int | None = None
    company_identifier: str | None = None
    company_name: str | None = None
    type_name: str | None = None
    agreement_status: str | None = None  # Active | Cancelled | Expired | Inactive
    cancelled_flag: bool | None = None
    prorate_flag: bool | None = None  # "Prorate Agreement" (inferred from the name)
    start_date: CwDate = None
    end_date: CwDate = None
    no_ending_date_flag: bool | None = None
    bill_start_date: CwDate = None
    billing_cycle_name: str | None = None


class Addition(CwModel):
    id: int
    agreement_id: int | None = None
    product_id: int | None = None
    product_identifier: str | None = None
    quantity: Decimal | None = None
    less_included: Decimal | None = None
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    bill_customer: str | None = None  # Billable | DoNotBill | NoCharge
    effective_date: CwDate = None
    cancelled_date: CwDate = None
    taxable_flag: bool | None = None
    invoice_description: str | None = None
    description: str | None = None
    agreement_status: str | None = None
    # Computed by ConnectWise; read-only.
    ext_price: Decimal | None = None
    ext_cost: Decimal | None = None
    prorate_price: Decimal | None = None
    prorate_cost: Decimal | None = None
