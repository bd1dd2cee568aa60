from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cwsync.models import Partner, PartnerToken


async def get_partner(session: AsyncSession, partner_id: uuid.UUID) -> Partner | None:
    return await session.get(Partner, partner_id)


async def list_partners(
    session: AsyncSession, limit: int, offset: int
) -> tuple[Sequence[Partner], int]:
    rows = await session.scalars(
        select(Partner).order_by(Partner.created_at, Partner.id).limit(limit).offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(Partner))
    return rows.all(), total or 0


async def find_active_token(session: AsyncSession, hashed: str) -> PartnerToken | None:
    return await session.scalar(
        select(PartnerToken).where(
            PartnerToken.token_hash == hashed, PartnerToken.revoked_at.is_(None)
        )
    )


async def list_tokens(session: AsyncSession, partner_id: uuid.UUID) -> Sequence[PartnerToken]:
    rows = await session.scalars(
        select(PartnerToken)
        .where(PartnerToken.partner_id == partner_id)
        .order_by(PartnerToken.created_at, PartnerToken.id)
    )
    return rows.all()


async def get_token(
    session: AsyncSession, partner_id: uuid.UUID, token_id: uuid.UUID
) -> PartnerToken | None:
    return await session.scalar(
        select(PartnerToken).where(
            PartnerToken.id == token_id, PartnerToken.partner_id == partner_id
        )
    )
