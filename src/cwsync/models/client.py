from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cwsync.models.base import Base, Timestamps, UUIDPrimaryKey
from cwsync.types import Money


class Client(UUIDPrimaryKey, Timestamps, Base):
    """An INFIMA client of a partner."""

    __tablename__ = "clients"
    # INFIMA's id is unique within a partner: the bulk feed addresses clients by it.
    __table_args__ = (UniqueConstraint("partner_id", "external_id"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    include_pro_rata: Mapped[bool] = mapped_column(Boolean, default=False)
    overwrite_cost: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    sync_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
