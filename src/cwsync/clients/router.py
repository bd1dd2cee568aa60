from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cwsync.api.deps import PartnerDep, SessionDep
from cwsync.api.responses import errors
from cwsync.clients import repository, service
from cwsync.clients.schemas import ClientCreate, ClientPage, ClientRead, ClientUpdate
from cwsync.schemas import Limit, Offset

router = APIRouter(prefix="/v1/partners/{partner_id}/clients", tags=["clients"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientRead,
    responses=errors(401, 404, 409, 413, 422),
)
async def create_client(partner: PartnerDep, data: ClientCreate, session: SessionDep) -> ClientRead:
    """Add an INFIMA client; `external_id` is unique within the partner (409 `client_exists`)."""
    client = await service.create_client(session, partner, data)
    return await service.read_client(session, partner, client.id)


@router.get("", response_model=ClientPage, responses=errors(401, 404, 422))
async def list_clients(
    partner: PartnerDep,
    session: SessionDep,
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> Response:
    """Clients ordered by `external_id`, each with its mapping, latest count and last sync."""
    rows, total = await repository.list_client_rows(session, partner.id, limit, offset)
    page = ClientPage.model_validate({"items": rows, "total": total})
    # Already a validated ClientPage: serialise it once, in pydantic-core, instead of letting
    # FastAPI validate 1,000 items again (this list is the API's busiest read).
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/{client_id}", response_model=ClientRead, responses=errors(401, 404, 422))
async def get_client(partner: PartnerDep, client_id: uuid.UUID, session: SessionDep) -> ClientRead:
    return await service.read_client(session, partner, client_id)


@router.patch("/{client_id}", response_model=ClientRead, responses=errors(401, 404, 413, 422))
async def update_client(
    partner: PartnerDep, client_id: uuid.UUID, data: ClientUpdate, session: SessionDep
) -> ClientRead:
    """Change the name, the two switches, the unit cost override (`null` clears it) or
    `sync_enabled`; fields not sent stay as they are."""
    return await service.update_client(session, partner, client_id, data)


@router.delete(
    "/{client_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 404, 422)
)
async def delete_client(partner: PartnerDep, client_id: uuid.UUID, session: SessionDep) -> Response:
    """Remove the client with its counts, mapping and sync history (nothing in ConnectWise)."""
    await service.delete_client(session, partner, client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
