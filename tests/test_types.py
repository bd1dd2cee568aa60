"""Money and timestamps survive both databases exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from cwsync.db import SessionMaker
from cwsync.models import Partner


async def test_money_and_time_round_trip(sessionmaker: SessionMaker) -> None:
    created = datetime(2026, 1, 15, 9, 0, tzinfo=timezone(timedelta(hours=-6)))
    async with sessionmaker() as session:
        partner = Partner(name="Northwind", unit_cost=Decimal("3.100050"), created_at=created)
        session.add(partner)
        await session.commit()
        partner_id = partner.id
    async with sessionmaker() as session:
        loaded = await session.get(Partner, partner_id)
        assert loaded is not None
        assert loaded.unit_cost == Decimal("3.10005")
        assert str(loaded.unit_cost) == "3.10005"
        assert loaded.created_at == datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
        assert loaded.created_at.tzinfo is not None
