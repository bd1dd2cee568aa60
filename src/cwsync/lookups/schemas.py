"""What the look-ups answer: ConnectWise records trimmed to what a picker shows."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from cwsync.schemas import MoneyOut


def _search_term(value: str) -> str:
    if any(not ch.isprintable() for ch in value):
        raise ValueError("must not contain control characters")
    return value.strip()


# Searches travel inside a ConnectWise URL (about 2000 characters at most, CONNECTWISE.md).
SearchTerm = Annotated[str, Field(max_length=100), AfterValidator(_search_term)]
CwPathId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class CatalogItemRead(BaseModel):
    id: int
    identifier: str | None
    description: str | None
    inactive: bool
    product_class: str | None
    price: MoneyOut | None
    cost: MoneyOut | None
    pickable: bool = Field(description="active and not a bundle: may be the product")


class CompanyRead(BaseModel):
    id: int
    identifier: str | None
    name: str | None
    status: str | None


class AgreementRead(BaseModel):
    id: int
    name: str | None
    type: str | None
    status: str | None = Field(description="Active | Cancelled | Expired | Inactive")
    cancelled: bool
    prorate: bool | None = Field(description="ConnectWise's Prorate Agreement box")
    start_date: date | None
    end_date: date | None
    billing_cycle: str | None


AdditionState = Literal["current", "cancelled", "future"]


class AdditionRead(BaseModel):
    id: int
    product_id: int | None
    product_identifier: str | None
    is_picked_product: bool
    state: AdditionState = Field(
        description="cancelled: its cancelled date has passed; future: not yet effective"
    )
    quantity: MoneyOut | None
    unit_price: MoneyOut | None
    unit_cost: MoneyOut | None
    bill_customer: str | None
    effective_date: date | None
    cancelled_date: date | None
    description: str | None
    invoice_description: str | None
