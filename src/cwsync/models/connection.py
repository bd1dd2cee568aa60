from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cwsync.models.base import Base, Timestamps, UUIDPrimaryKey
from cwsync.types import UTCDateTime


class Connection(UUIDPrimaryKey, Timestamps, Base):
    """A partner's ConnectWise connection (0..1 per partner)."""

    __tablename__ = "connections"

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), unique=True
    )
    site: Mapped[str] = mapped_column(String(255))
    company_id: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(100))
    # MultiFernet token; the plaintext never touches the database.
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(100))
    codebase: Mapped[str] = mapped_column(String(50))
    api_base_url: Mapped[str] = mapped_column(String(500))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:  # the encrypted key stays out of reprs too
        return f"Connection(partner_id={self.partner_id}, site={self.site!r})"
