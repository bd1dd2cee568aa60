from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cwsync.models.base import Base, Timestamps, UUIDPrimaryKey
from cwsync.types import Money


class ProRataCharge(UUIDPrimaryKey, Timestamps, Base):
    """A month's net growth billed once through a prorated addition."""

    __tablename__ = "pro_rata_charges"
    # Exactly once per client and month: the row exists (pending) before the POST.
    __table_args__ = (UniqueConstraint("client_id", "month"),)

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[date] = mapped_column(Date)  # first day of the billed month
    agreement_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[date] = mapped_column(Date)
    cancelled_date: Mapped[date] = mapped_column(Date)
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    cw_addition_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error_message: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sync_runs.id", ondelete="SET NULL")
    )
