from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from cwsync.api.deps import AdminDep, PartnerDep, SessionDep
from cwsync.api.responses import errors
from cwsync.clients.service import get_client
from cwsync.counts import repository, service
from cwsync.counts.schemas import (
    BulkAccepted,
    BulkRow,
    UserCountIn,
    UserCountPage,
    UserCountRead,
)
from cwsync.schemas import Limit, Offset

router = APIRouter(tags=["user counts"])

_CLIENT = "/v1/partners/{partner_id}/clients/{client_id}"


@router.put(
    _CLIENT + "/user-count", response_model=UserCountRead, responses=errors(401, 404, 413, 422)
)
async def put_user_count(
    partner: PartnerDep, client_id: uuid.UUID, data: UserCountIn, session: SessionDep
) -> UserCountRead:
    """Report a client's active users at `as_of` (default now). The same `as_of` again
    replaces the value. `as_of` must carry an offset, be after 2000-01-01 and not more than
    5 minutes ahead (422 `as_of_out_of_range`)."""
    stored = await service.record_count(session, partner, client_id, data)
    return UserCountRead.model_validate(stored)


@router.get(_CLIENT + "/user-counts", response_model=UserCountPage, responses=errors(401, 404, 422))
async def list_user_counts(
    partner: PartnerDep,
    client_id: uuid.UUID,
    session: SessionDep,
    limit: Annotated[Limit, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> UserCountPage:
    """The client's reported counts, newest `as_of` first."""
    client = await get_client(session, partner, client_id)
    rows, total = await repository.list_counts(session, client.id, limit, offset)
    return UserCountPage(items=[UserCountRead.model_validate(r) for r in rows], total=total)


_BULK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": service.MAX_BULK_ROWS,
                    "items": BulkRow.model_json_schema(),
                }
            }
        },
    }
}


@router.post(
    "/v1/user-counts",
    response_model=BulkAccepted,
    responses=errors(401, 403, 413, 422),
    openapi_extra=_BULK_BODY,
)
async def post_user_counts(
    _: AdminDep,
    session: SessionDep,
    rows: list[Any] = Body(..., description="rows of partner_id, external_id, active_users, as_of"),
) -> BulkAccepted:
    """Bulk feed (admin): up to 10,000 rows (422 `too_many_rows` beyond). All or nothing: any
    bad row — unknown partner or external id, bad value — answers 422 `invalid_rows` with
    each row's index and reason in `details`, and nothing is stored. Repeated
    (partner, external id, as_of) rows: the last in the request wins; re-posting changes
    nothing."""
    # Rows are validated one by one in the service so every bad row can be reported.
    accepted = await service.record_bulk(session, rows)
    return BulkAccepted(accepted=accepted)
