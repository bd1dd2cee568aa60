from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cwsync.models.base import Base, Timestamps, UUIDPrimaryKey
from cwsync.types import Money, UTCDateTime


class Mapping(UUIDPrimaryKey, Timestamps, Base):
    """Client → ConnectWise company / agreement / addition (0..1 per client)."""

    __tablename__ = "mappings"

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), unique=True
    )
    company_id: Mapped[int] = mapped_column(Integer)
    company_name: Mapped[str | None] = mapped_column(String(255))
    agreement_id: Mapped[int] = mapped_column(Integer)
    agreement_name: Mapped[str | None] = mapped_column(String(255))
    addition_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    broken_reason: Mapped[str | None] = mapped_column(String(64))
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_synced_quantity: Mapped[Decimal | None] = mapped_column(Money)
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
