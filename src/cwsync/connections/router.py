"""``/v1/partners/{partner_id}/connectwise``: the connection, its live check, the product.

Routes that await ConnectWise first commit what the request has read (auth, partner), so
the database transaction never waits on ConnectWise; the write after it is a new, short
transaction committed at the request's edge.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from cwsync.api.deps import PartnerDep, SessionDep, SettingsDep
from cwsync.api.responses import errors
from cwsync.clock import utcnow
from cwsync.connections import repository, service
from cwsync.connections.access import open_connectwise, require_connection
from cwsync.connections.check import run_check
from cwsync.connections.deps import FactoryDep
from cwsync.connections.schemas import (
    CheckRead,
    ConnectionRead,
    ConnectionSave,
    ProductPick,
    ProductRead,
)

router = APIRouter(prefix="/v1/partners/{partner_id}/connectwise", tags=["connectwise"])


@router.put("", response_model=ConnectionRead, responses=errors(401, 404, 413, 422, 424, 504))
async def save_connection(
    partner: PartnerDep,
    data: ConnectionSave,
    session: SessionDep,
    settings: SettingsDep,
    factory: FactoryDep,
) -> ConnectionRead:
    """Check the site, resolve the codebase and call ``/system/info`` with the keys; only
    then store the connection (private key encrypted). 422 ``site_invalid`` /
    ``site_not_allowed`` / ``connectwise_company_not_found`` /
    ``connectwise_credentials_rejected`` / ``connectwise_permission_denied``, 424
    ``connectwise_unreachable``, 504 ``connectwise_timeout``."""
    partner_id = partner.id
    await session.commit()  # nothing waits on ConnectWise inside a transaction
    verified = await service.verify_connection(data, factory, settings)
    connection = await service.store_connection(session, partner_id, verified, factory)
    return ConnectionRead.model_validate(connection)


@router.get("", response_model=ConnectionRead, responses=errors(401, 404, 422))
async def get_connection(partner: PartnerDep, session: SessionDep) -> ConnectionRead:
    """The stored connection; never the private key. 404 ``connection_not_found``."""
    return ConnectionRead.model_validate(await service.get_connection(session, partner.id))


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 404, 422))
async def delete_connection(partner: PartnerDep, session: SessionDep) -> Response:
    """Forget the connection (the picked product and mappings stay)."""
    await service.delete_connection(session, partner.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/check", response_model=CheckRead, responses=errors(401, 404, 409, 422))
async def check_connection(
    partner: PartnerDep, session: SessionDep, settings: SettingsDep, factory: FactoryDep
) -> CheckRead:
    """Live diagnostics: reachability, credentials, and each permission the role needs
    (``ok`` / ``missing`` / ``unknown`` with what to change). Probes write nothing to
    ConnectWise. 409 ``connection_missing``."""
    connection = await require_connection(session, partner.id)
    await session.commit()  # nothing waits on ConnectWise inside a transaction
    outcome = await run_check(connection, factory, settings)
    if outcome.status is not None:
        values: dict[str, object] = {"status": outcome.status, "last_error": outcome.last_error}
        if outcome.status == "ok" and outcome.info is not None:
            values.update(
                verified_at=utcnow(),
                codebase=outcome.info.codebase,
                api_base_url=outcome.info.api_base_url,
            )
        await repository.update_connection(session, connection.id, values)
    return outcome.report


@router.put(
    "/product", response_model=ProductRead, responses=errors(401, 404, 409, 413, 422, 424, 504)
)
async def pick_product(
    partner: PartnerDep,
    data: ProductPick,
    session: SessionDep,
    settings: SettingsDep,
    factory: FactoryDep,
) -> ProductRead:
    """Pick the catalog item that stands for INFIMA training, checked in ConnectWise:
    422 ``product_not_found`` / ``product_inactive`` / ``product_is_bundle``; 409
    ``connection_missing``."""
    partner_id = partner.id
    async with open_connectwise(session, partner_id, factory, settings) as cw:
        item = await service.verify_product(cw, data.catalog_item_id)
    product = await service.store_product(session, partner_id, item)
    return ProductRead.model_validate(product)


@router.get("/product", response_model=ProductRead, responses=errors(401, 404, 422))
async def get_product(partner: PartnerDep, session: SessionDep) -> ProductRead:
    """The picked product. 404 ``product_not_set``."""
    return ProductRead.model_validate(await service.get_product(session, partner.id))
