from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cwsync.models.base import Base, Timestamps, UUIDPrimaryKey


class Product(UUIDPrimaryKey, Timestamps, Base):
    """The catalog item a partner picked for INFIMA training (0..1 per partner)."""

    __tablename__ = "products"

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), unique=True
    )
    catalog_item_id: Mapped[int] = mapped_column(Integer)
    identifier: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(255))
