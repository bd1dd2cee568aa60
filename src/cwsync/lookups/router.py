"""``/v1/partners/{partner_id}/connectwise/...`` look-ups for the picking screens.

Each proxies ConnectWise live (``open_connectwise``): 409 ``connection_missing`` without a
connection, 504 ``connectwise_timeout`` past ``CWSYNC_CW_LOOKUP_TIMEOUT_SECONDS``, 422
``connectwise_credentials_rejected`` (the connection is then marked failing).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from cwsync.api.deps import PartnerDep, SessionDep, SettingsDep
from cwsync.api.responses import errors
from cwsync.clock import utcnow
from cwsync.connections import repository as connections_repo
from cwsync.connections.access import open_connectwise
from cwsync.connections.deps import FactoryDep
from cwsync.lookups import service
from cwsync.lookups.schemas import (
    AdditionRead,
    AgreementRead,
    CatalogItemRead,
    CompanyRead,
    CwPathId,
    SearchTerm,
)
from cwsync.models import Partner
from cwsync.schemas import Limit, Offset, Page

router = APIRouter(prefix="/v1/partners/{partner_id}/connectwise", tags=["connectwise look-ups"])

LOOKUP_ERRORS = errors(401, 404, 409, 422, 424, 504)


@router.get("/catalog", response_model=Page[CatalogItemRead], responses=LOOKUP_ERRORS)
async def search_catalog(
    partner: PartnerDep,
    session: SessionDep,
    settings: SettingsDep,
    factory: FactoryDep,
    search: Annotated[
        SearchTerm | None, Query(description="part of the identifier or description")
    ] = None,
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[CatalogItemRead]:
    """Catalog items by identifier or description; ``pickable`` marks possible products."""
    async with open_connectwise(session, partner.id, factory, settings) as cw:
        found = await service.catalog(cw, search, offset, limit)
    return Page[CatalogItemRead](items=found.items, total=found.total)


@router.get("/companies", response_model=Page[CompanyRead], responses=LOOKUP_ERRORS)
async def search_companies(
    partner: PartnerDep,
    session: SessionDep,
    settings: SettingsDep,
    factory: FactoryDep,
    search: Annotated[
        SearchTerm | None, Query(description="part of the name or identifier")
    ] = None,
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[CompanyRead]:
    """Companies by name or identifier; deleted companies are left out."""
    async with open_connectwise(session, partner.id, factory, settings) as cw:
        found = await service.companies(cw, search, offset, limit)
    return Page[CompanyRead](items=found.items, total=found.total)


@router.get(
    "/companies/{company_id}/agreements",
    response_model=Page[AgreementRead],
    responses=LOOKUP_ERRORS,
)
async def company_agreements(
    partner: PartnerDep,
    session: SessionDep,
    settings: SettingsDep,
    factory: FactoryDep,
    company_id: Annotated[CwPathId, Path()],
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[AgreementRead]:
    """The company's agreements with their status and prorate flag. 404
    ``company_not_found`` when ConnectWise has no such (undeleted) company."""
    async with open_connectwise(session, partner.id, factory, settings) as cw:
        found = await service.agreements(cw, company_id, offset, limit)
    return Page[AgreementRead](items=found.items, total=found.total)


@router.get(
    "/agreements/{agreement_id}/additions",
    response_model=Page[AdditionRead],
    responses=LOOKUP_ERRORS,
)
async def agreement_additions(
    partner: PartnerDep,
    session: SessionDep,
    settings: SettingsDep,
    factory: FactoryDep,
    agreement_id: Annotated[CwPathId, Path()],
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[AdditionRead]:
    """The agreement's additions: the picked product's first; ``state`` marks cancelled
    and future-dated ones. 404 ``agreement_not_found``."""
    product = await connections_repo.get_product(session, partner.id)
    picked = product.catalog_item_id if product is not None else None
    today = partner_today(partner)
    async with open_connectwise(session, partner.id, factory, settings) as cw:
        found = await service.additions(cw, agreement_id, picked, today, offset, limit)
    return Page[AdditionRead](items=found.items, total=found.total)


def partner_today(partner: Partner, now: datetime | None = None) -> date:
    """Whether an addition is current depends on the partner's local day."""
    return (now or utcnow()).astimezone(ZoneInfo(partner.timezone)).date()
