"""Saving a mapping: read the picks in ConnectWise first, check them, then write.

No database transaction is open while ConnectWise is awaited: ``open_connectwise`` commits
the request's reads before the first call, and the write starts a new, short transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clients.service import get_client
from cwsync.clock import utcnow
from cwsync.config import Settings
from cwsync.connections import repository as connections_repo
from cwsync.connections.access import open_connectwise, require_connection
from cwsync.connections.factory import ConnectWiseFactory
from cwsync.connectwise import Addition, Agreement, Company, ConnectWiseClient, NotFoundError
from cwsync.errors import Conflict, NotFound
from cwsync.mappings import repository
from cwsync.mappings.checks import check_addition, check_agreement, check_company, mapping_warnings
from cwsync.mappings.schemas import MappingIn, MappingRead
from cwsync.models import Partner

_NAME_LENGTH = 255  # the mapping's name columns; ConnectWise's own limits are shorter


def mapping_not_found() -> NotFound:
    return NotFound("this client has no mapping", code="mapping_not_found")


async def save_mapping(
    session: AsyncSession,
    partner: Partner,
    client_id: uuid.UUID,
    data: MappingIn,
    factory: ConnectWiseFactory,
    settings: Settings,
) -> MappingRead:
    await get_client(session, partner, client_id)
    await require_connection(session, partner.id)
    product = await connections_repo.get_product(session, partner.id)
    if product is None:
        raise Conflict(
            "pick the ConnectWise product first "
            "(PUT /v1/partners/{partner_id}/connectwise/product)",
            code="product_not_set",
        )
    product_id = product.catalog_item_id
    today = utcnow().astimezone(ZoneInfo(partner.timezone)).date()

    async with open_connectwise(session, partner.id, factory, settings) as cw:
        company, agreement, addition = await _read_picks(cw, data)

    check_company(company, data.company_id)
    check_agreement(agreement, data.agreement_id, data.company_id)
    check_addition(addition, data.addition_id, data.agreement_id, product_id, today)
    assert company is not None and agreement is not None  # the checks refuse None

    # The write phase: the client may have changed (or gone) while ConnectWise answered.
    await repository.lock_partner_mappings(session, partner.id)
    client = await get_client(session, partner, client_id, lock=True)
    # One addition bills one client: two clients on it would overwrite each other's count
    # every night and one of them would never be billed.
    holder = await repository.client_mapped_to_addition(
        session, partner.id, data.addition_id, client.id
    )
    if holder is not None:
        raise Conflict(
            f"addition {data.addition_id} is already mapped to client {holder.name!r} "
            f"({holder.external_id}); each client needs its own addition",
            code="addition_already_mapped",
            details={"client_id": str(holder.id), "external_id": holder.external_id},
        )
    warnings = mapping_warnings(agreement, client.include_pro_rata)
    mapping = await repository.save_mapping(
        session,
        client.id,
        {
            "company_id": data.company_id,
            "company_name": _name(company.name),
            "agreement_id": data.agreement_id,
            "agreement_name": _name(agreement.name),
            "addition_id": data.addition_id,
            # A fresh, checked pick is not broken, whatever the last sync found.
            "status": "ok",
            "broken_reason": None,
            "warnings": [w.model_dump() for w in warnings],
        },
    )
    return MappingRead.model_validate(mapping)


async def read_mapping(
    session: AsyncSession, partner: Partner, client_id: uuid.UUID
) -> MappingRead:
    client = await get_client(session, partner, client_id)
    mapping = await repository.get_mapping(session, client.id)
    if mapping is None:
        raise mapping_not_found()
    return MappingRead.model_validate(mapping)


async def delete_mapping(session: AsyncSession, partner: Partner, client_id: uuid.UUID) -> None:
    client = await get_client(session, partner, client_id)
    if not await repository.delete_mapping(session, client.id):
        raise mapping_not_found()


async def _read_picks(
    cw: ConnectWiseClient, data: MappingIn
) -> tuple[Company | None, Agreement | None, Addition | None]:
    """The three records at once (a partner is waiting); a 404 is None, other errors raise
    in pick order so the partner hears about the company before the agreement."""
    results = await asyncio.gather(
        cw.get_company(data.company_id),
        cw.get_agreement(data.agreement_id),
        cw.get_addition(data.agreement_id, data.addition_id),
        return_exceptions=True,
    )
    company, agreement, addition = (_found(r) for r in results)
    return company, agreement, addition


def _found(result: Any) -> Any:
    if isinstance(result, NotFoundError):
        return None
    if isinstance(result, BaseException):
        raise result
    return result


def _name(value: str | None) -> str | None:
    return value[:_NAME_LENGTH] if value is not None else None
