from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.clock import utcnow
from cwsync.errors import NotFound
from cwsync.models import Partner, PartnerToken
from cwsync.partners import repository
from cwsync.partners.schemas import PartnerCreate, PartnerUpdate
from cwsync.security.tokens import new_token, token_hash, token_prefix


async def create_partner(session: AsyncSession, data: PartnerCreate) -> Partner:
    # dict(data), not model_dump(): the dump serializes sync_time to "HH:MM" text.
    partner = Partner(**dict(data))
    session.add(partner)
    await session.flush()
    return partner


def update_partner(partner: Partner, data: PartnerUpdate) -> Partner:
    for field in data.model_fields_set:
        value = getattr(data, field)
        if value is None and field != "unit_cost":
            continue  # only unit_cost may be cleared; null elsewhere means "leave as is"
        setattr(partner, field, value)
    partner.updated_at = utcnow()
    return partner


async def issue_token(session: AsyncSession, partner: Partner) -> tuple[PartnerToken, str]:
    secret = new_token()
    row = PartnerToken(
        partner_id=partner.id, prefix=token_prefix(secret), token_hash=token_hash(secret)
    )
    session.add(row)
    await session.flush()
    return row, secret


async def revoke_token(session: AsyncSession, partner: Partner, token_id: uuid.UUID) -> None:
    row = await repository.get_token(session, partner.id, token_id)
    if row is None:
        raise NotFound("token not found", code="token_not_found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
