from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from cwsync.api.deps import PartnerDep, SessionDep, SettingsDep
from cwsync.api.responses import errors
from cwsync.connections.deps import FactoryDep
from cwsync.mappings import service
from cwsync.mappings.schemas import MappingIn, MappingRead

router = APIRouter(
    prefix="/v1/partners/{partner_id}/clients/{client_id}/mapping", tags=["mappings"]
)


@router.put("", response_model=MappingRead, responses=errors(401, 404, 409, 413, 422, 424, 504))
async def put_mapping(
    partner: PartnerDep,
    client_id: uuid.UUID,
    data: MappingIn,
    session: SessionDep,
    factory: FactoryDep,
    settings: SettingsDep,
) -> MappingRead:
    """Map the client to a ConnectWise company, agreement and addition, checked live: the
    company exists and is not deleted, the agreement is the company's and Active, the
    addition is the agreement's, current (not cancelled, not future-dated) and for the
    picked product. Each failure is a 422 with its own code (`company_not_found`,
    `agreement_not_found`, `agreement_not_for_company`, `agreement_not_active`,
    `addition_not_for_agreement`, `addition_cancelled`, `addition_not_started`,
    `addition_wrong_product`); no connection or no product picked is a 409
    (`connection_missing`, `product_not_set`). Saving resets the mapping's status to `ok`.
    Warns `agreement_not_prorated` when the client has pro rata on and the agreement does
    not prorate."""
    return await service.save_mapping(session, partner, client_id, data, factory, settings)


@router.get("", response_model=MappingRead, responses=errors(401, 404, 422))
async def get_mapping(
    partner: PartnerDep, client_id: uuid.UUID, session: SessionDep
) -> MappingRead:
    """The client's mapping with its status and what the last sync did (404
    `mapping_not_found` when the client is not mapped)."""
    return await service.read_mapping(session, partner, client_id)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 404, 422))
async def delete_mapping(
    partner: PartnerDep, client_id: uuid.UUID, session: SessionDep
) -> Response:
    """Unmap the client: the nightly sync leaves it alone (nothing changes in ConnectWise)."""
    await service.delete_mapping(session, partner, client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
