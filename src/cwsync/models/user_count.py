from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cwsync.clock import utcnow
from cwsync.models.base import Base, UUIDPrimaryKey
from cwsync.types import UTCDateTime


class UserCount(UUIDPrimaryKey, Base):
    """One reported active-user count. The day's count is the last one reported that day."""

    __tablename__ = "user_counts"
    # One value per instant: a repeated bulk row overwrites itself instead of piling up.
    __table_args__ = (UniqueConstraint("client_id", "as_of"),)

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    active_users: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
