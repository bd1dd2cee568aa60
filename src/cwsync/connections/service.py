"""Rules for saving a connection and picking the product.

Each operation is split where ConnectWise is awaited: ``verify_*`` talk to ConnectWise
only (no session), ``store_*`` touch the database only. The router commits the request's
transaction before a verify step, so no transaction waits on ConnectWise.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clock import utcnow
from cwsync.config import Settings
from cwsync.connections import repository
from cwsync.connections.access import connectwise_deadline
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.connections.schemas import ConnectionSave
from cwsync.connections.site import Resolver, validate_site
from cwsync.connections.upstream import company_not_found
from cwsync.connectwise import (
    CatalogItem,
    CompanyInfo,
    ConnectWiseClient,
    ConnectWiseError,
    NotFoundError,
)
from cwsync.errors import InvalidInput, NotFound
from cwsync.models import Connection, Product


@dataclass(frozen=True)
class VerifiedConnection:
    site: str
    data: ConnectionSave
    info: CompanyInfo


async def verify_connection(
    data: ConnectionSave,
    factory: ConnectWiseFactory,
    settings: Settings,
    *,
    resolver: Resolver | None = None,
) -> VerifiedConnection:
    """Site checked, codebase resolved, keys accepted by ``/system/info`` — or an error."""
    site = str(await validate_site(data.site, settings, resolver=resolver))
    client = factory.for_credentials(
        site, data.company_id, data.public_key, data.private_key, data.client_id
    )
    async with connectwise_deadline(settings):
        info = await resolve_company(client, site, data.company_id)
        await client.system_info()
    return VerifiedConnection(site=site, data=data, info=info)


async def resolve_company(client: ConnectWiseClient, site: str, company_id: str) -> CompanyInfo:
    """companyinfo; an unknown company (a 404, or a 200 naming no codebase) is the
    partner's typo, not ConnectWise being down."""
    try:
        return await client.resolve()
    except NotFoundError as exc:
        raise company_not_found(site, company_id, exc) from exc
    except ConnectWiseError as exc:
        if exc.code == "InvalidResponse" and exc.status == 200:
            raise company_not_found(site, company_id, exc) from exc
        raise


async def store_connection(
    session: AsyncSession,
    partner_id: uuid.UUID,
    verified: VerifiedConnection,
    factory: ConnectWiseFactory,
) -> Connection:
    data = verified.data
    return await repository.upsert_connection(
        session,
        partner_id,
        {
            "site": verified.site,
            "company_id": data.company_id,
            "public_key": data.public_key,
            "private_key_encrypted": factory.keyring.encrypt(data.private_key.get_secret_value()),
            "client_id": data.client_id,
            "codebase": verified.info.codebase,
            "api_base_url": verified.info.api_base_url,
            "status": "ok",
            "verified_at": utcnow(),
            "last_error": None,
        },
    )


async def get_connection(session: AsyncSession, partner_id: uuid.UUID) -> Connection:
    connection = await repository.get_connection(session, partner_id)
    if connection is None:
        raise NotFound("this partner has no ConnectWise connection", code="connection_not_found")
    return connection


async def delete_connection(session: AsyncSession, partner_id: uuid.UUID) -> None:
    if not await repository.delete_connection(session, partner_id):
        raise NotFound("this partner has no ConnectWise connection", code="connection_not_found")


async def verify_product(client: ConnectWiseClient, catalog_item_id: int) -> CatalogItem:
    """The item exists, is active and is not a bundle (a bundle cannot be an addition)."""
    try:
        item = await client.get_catalog_item(catalog_item_id)
    except NotFoundError as exc:
        raise InvalidInput(
            f"ConnectWise has no catalog item {catalog_item_id}; pick one from "
            "GET /v1/partners/{partner_id}/connectwise/catalog",
            code="product_not_found",
        ) from exc
    name = item.identifier or str(item.id)
    if item.inactive_flag:
        raise InvalidInput(
            f"catalog item {name} is inactive in ConnectWise; reactivate it or pick another",
            code="product_inactive",
        )
    if (item.product_class or "").strip().lower() == "bundle":
        raise InvalidInput(
            f"catalog item {name} is a bundle, which cannot be an agreement addition; "
            "pick a non-bundle item",
            code="product_is_bundle",
        )
    return item


async def store_product(session: AsyncSession, partner_id: uuid.UUID, item: CatalogItem) -> Product:
    return await repository.upsert_product(
        session,
        partner_id,
        {
            "catalog_item_id": item.id,
            "identifier": (item.identifier or str(item.id))[:100],
            "description": item.description[:255] if item.description else None,
        },
    )


async def get_product(session: AsyncSession, partner_id: uuid.UUID) -> Product:
    product = await repository.get_product(session, partner_id)
    if product is None:
        raise NotFound(
            "no product picked yet; pick one with "
            "PUT /v1/partners/{partner_id}/connectwise/product",
            code="product_not_set",
        )
    return product
