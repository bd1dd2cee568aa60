from __future__ import annotations

from datetime import time
from decimal import Decimal

from sqlalchemy import Boolean, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from cwsync.models.base import Base, Timestamps, UUIDPrimaryKey
from cwsync.types import Money


class Partner(UUIDPrimaryKey, Timestamps, Base):
    """A managed service provider: one ConnectWise tenant, one nightly sync time."""

    __tablename__ = "partners"

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    sync_time: Mapped[time] = mapped_column(Time, default=time(2, 0))
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    sync_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
