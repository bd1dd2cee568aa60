"""Look-ups: one window (offset, limit) of a ConnectWise list, and its total.

ConnectWise is read lazily, a page of up to 1000 at a time, and reading stops once the
window is full — so a first screen costs one request however long the list. The total then
comes from ConnectWise's ``count`` where its answer is exact (companies, when the search
needed no local re-check); otherwise the rest of the list is read and counted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from cwsync.connectwise import (
    Addition,
    Agreement,
    CatalogItem,
    Company,
    ConnectWiseClient,
    NotFoundError,
    safe_search_term,
)
from cwsync.errors import NotFound
from cwsync.lookups.schemas import (
    AdditionRead,
    AdditionState,
    AgreementRead,
    CatalogItemRead,
    CompanyRead,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Window(Generic[T]):
    items: list[T]
    total: int


async def window(
    rows: AsyncIterator[T],
    offset: int,
    limit: int,
    count: Callable[[], Awaitable[int]] | None = None,
) -> Window[T]:
    items: list[T] = []
    seen = 0
    async for row in rows:
        if seen >= offset:
            items.append(row)
        seen += 1
        if len(items) == limit:
            break
    else:
        return Window(items, seen)  # read to the end: the total is exact
    if count is not None:
        total = max(await count(), seen)
        await aclose(rows)
        return Window(items, total)
    async for _ in rows:
        seen += 1
    return Window(items, seen)


async def aclose(rows: AsyncIterator[object]) -> None:
    # Stop a half-read page generator now rather than when it is garbage-collected.
    close = getattr(rows, "aclose", None)
    if close is not None:
        await close()


async def catalog(
    cw: ConnectWiseClient, search: str | None, offset: int, limit: int
) -> Window[CatalogItemRead]:
    found = await window(cw.search_catalog(search), offset, limit)
    return Window([catalog_item(item) for item in found.items], found.total)


def catalog_item(item: CatalogItem) -> CatalogItemRead:
    bundle = (item.product_class or "").strip().lower() == "bundle"
    return CatalogItemRead(
        id=item.id,
        identifier=item.identifier,
        description=item.description,
        inactive=bool(item.inactive_flag),
        product_class=item.product_class,
        price=item.price,
        cost=item.cost,
        pickable=not item.inactive_flag and not bundle,
    )


async def companies(
    cw: ConnectWiseClient, search: str | None, offset: int, limit: int
) -> Window[CompanyRead]:
    _, rechecked = safe_search_term((search or "").strip())
    # When the client re-checks a term locally, the server's count is only an upper bound.
    count = None if rechecked else (lambda: cw.count_companies(search))
    found = await window(cw.search_companies(search), offset, limit, count)
    return Window([company(c) for c in found.items], found.total)


def company(row: Company) -> CompanyRead:
    return CompanyRead(id=row.id, identifier=row.identifier, name=row.name, status=row.status_name)


async def agreements(
    cw: ConnectWiseClient, company_id: int, offset: int, limit: int
) -> Window[AgreementRead]:
    try:
        owner = await cw.get_company(company_id)
    except NotFoundError:
        owner = None
    if owner is None or owner.deleted_flag:
        raise NotFound(f"ConnectWise has no company {company_id}", code="company_not_found")
    found = await window(cw.company_agreements(company_id), offset, limit)
    return Window([agreement(a) for a in found.items], found.total)


def agreement(row: Agreement) -> AgreementRead:
    return AgreementRead(
        id=row.id,
        name=row.name,
        type=row.type_name,
        status=row.agreement_status,
        cancelled=bool(row.cancelled_flag) or row.agreement_status == "Cancelled",
        prorate=row.prorate_flag,
        start_date=row.start_date,
        end_date=row.end_date,
        billing_cycle=row.billing_cycle_name,
    )


def addition_state(row: Addition, today: date) -> AdditionState:
    """``cancelled`` once its cancelled date has passed, ``future`` before its effective
    date, else ``current`` (dates are the partner's local days)."""
    if row.cancelled_date is not None and row.cancelled_date < today:
        return "cancelled"
    if row.effective_date is not None and row.effective_date > today:
        return "future"
    return "current"


_STATE_ORDER = {"current": 0, "future": 1, "cancelled": 2}


async def additions(
    cw: ConnectWiseClient,
    agreement_id: int,
    picked_product_id: int | None,
    today: date,
    offset: int,
    limit: int,
) -> Window[AdditionRead]:
    """All of the agreement's additions (an agreement holds few), the picked product's
    first, current before future before cancelled, then by id."""
    try:
        rows = [
            addition(a, picked_product_id, today)
            async for a in cw.agreement_additions(agreement_id)
        ]
    except NotFoundError as exc:
        raise NotFound(
            f"ConnectWise has no agreement {agreement_id}", code="agreement_not_found"
        ) from exc
    rows.sort(key=lambda a: (not a.is_picked_product, _STATE_ORDER[a.state], a.id))
    return Window(rows[offset : offset + limit], len(rows))


def addition(row: Addition, picked_product_id: int | None, today: date) -> AdditionRead:
    return AdditionRead(
        id=row.id,
        product_id=row.product_id,
        product_identifier=row.product_identifier,
        is_picked_product=picked_product_id is not None and row.product_id == picked_product_id,
        state=addition_state(row, today),
        quantity=row.quantity,
        unit_price=row.unit_price,
        unit_cost=row.unit_cost,
        bill_customer=row.bill_customer,
        effective_date=row.effective_date,
        cancelled_date=row.cancelled_date,
        description=row.description,
        invoice_description=row.invoice_description,
    )
