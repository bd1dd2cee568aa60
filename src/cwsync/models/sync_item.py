from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cwsync.clock import utcnow
from cwsync.models.base import Base, UUIDPrimaryKey
from cwsync.types import Money, UTCDateTime


class SyncItem(UUIDPrimaryKey, Base):
    """What one run did for one client."""

    __tablename__ = "sync_items"
    # One item per client per run: a reclaimed run skips clients already done.
    __table_args__ = (UniqueConstraint("run_id", "client_id"),)

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(32))
    addition_id: Mapped[int | None] = mapped_column(Integer)
    quantity_before: Mapped[Decimal | None] = mapped_column(Money)
    quantity_after: Mapped[Decimal | None] = mapped_column(Money)
    unit_cost_before: Mapped[Decimal | None] = mapped_column(Money)
    unit_cost_after: Mapped[Decimal | None] = mapped_column(Money)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    cw_request_id: Mapped[str | None] = mapped_column(String(100))
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    pro_rata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
