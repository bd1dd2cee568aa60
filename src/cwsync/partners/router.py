from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cwsync.api.deps import AdminDep, PartnerDep, SessionDep
from cwsync.api.responses import errors
from cwsync.partners import repository, service
from cwsync.partners.schemas import (
    PartnerCreate,
    PartnerRead,
    PartnerUpdate,
    TokenCreated,
    TokenList,
    TokenRead,
)
from cwsync.schemas import Limit, Offset, Page

router = APIRouter(prefix="/v1/partners", tags=["partners"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerRead,
    responses=errors(401, 403, 422),
)
async def create_partner(data: PartnerCreate, _: AdminDep, session: SessionDep) -> PartnerRead:
    partner = await service.create_partner(session, data)
    return PartnerRead.model_validate(partner)


@router.get("", response_model=Page[PartnerRead], responses=errors(401, 403, 422))
async def list_partners(
    _: AdminDep,
    session: SessionDep,
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Page[PartnerRead]:
    rows, total = await repository.list_partners(session, limit, offset)
    return Page[PartnerRead](items=[PartnerRead.model_validate(r) for r in rows], total=total)


@router.get("/{partner_id}", response_model=PartnerRead, responses=errors(401, 404, 422))
async def get_partner(partner: PartnerDep) -> PartnerRead:
    return PartnerRead.model_validate(partner)


@router.patch("/{partner_id}", response_model=PartnerRead, responses=errors(401, 404, 422))
async def update_partner(partner: PartnerDep, data: PartnerUpdate) -> PartnerRead:
    return PartnerRead.model_validate(service.update_partner(partner, data))


@router.post(
    "/{partner_id}/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=errors(401, 403, 404, 422),
)
async def issue_token(partner: PartnerDep, _: AdminDep, session: SessionDep) -> TokenCreated:
    row, secret = await service.issue_token(session, partner)
    return TokenCreated(id=row.id, token=secret, prefix=row.prefix)


@router.get("/{partner_id}/tokens", response_model=TokenList, responses=errors(401, 403, 404, 422))
async def list_tokens(partner: PartnerDep, _: AdminDep, session: SessionDep) -> TokenList:
    rows = await repository.list_tokens(session, partner.id)
    return TokenList(items=[TokenRead.model_validate(r) for r in rows], total=len(rows))


@router.delete(
    "/{partner_id}/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 403, 404, 422),
)
async def revoke_token(
    partner: PartnerDep, token_id: uuid.UUID, _: AdminDep, session: SessionDep
) -> Response:
    await service.revoke_token(session, partner, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
