"""User count bodies: one count for one client, and the bulk feed from INFIMA."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
)

from cwsync.schemas import ExternalId

MAX_ACTIVE_USERS = 10_000_000

# Strict: 5.0, true and "5" are not user counts.
ActiveUsers = Annotated[StrictInt, Field(ge=0, le=MAX_ACTIVE_USERS)]


def _text_only(value: Any) -> Any:
    # JSON has no instant type: an ISO 8601 string with an offset says what it means; a
    # number could be seconds or milliseconds, and carries no timezone of its own.
    if isinstance(value, str | datetime):
        return value
    raise ValueError("must be an ISO 8601 date-time string with a timezone offset")


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:59:59-23:00 has no UTC instant
        raise ValueError("is outside the representable range") from exc


AsOf = Annotated[
    AwareDatetime,
    BeforeValidator(_text_only),
    AfterValidator(_to_utc),
    Field(description="when the count was taken; must carry a timezone offset"),
]


class UserCountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active_users: ActiveUsers
    as_of: AsOf | None = Field(default=None, description="defaults to now")


class UserCountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: uuid.UUID
    active_users: int
    as_of: datetime
    recorded_at: datetime


class UserCountPage(BaseModel):
    items: list[UserCountRead]
    total: int


class BulkRow(BaseModel):
    """One row of the bulk feed; the client is addressed by INFIMA's id."""

    model_config = ConfigDict(extra="forbid")

    partner_id: uuid.UUID
    external_id: ExternalId
    active_users: ActiveUsers
    as_of: AsOf


class BulkAccepted(BaseModel):
    accepted: int = Field(description="rows accepted (repeated rows included)")
