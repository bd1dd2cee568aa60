from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from cwsync.schemas import MoneyIn, MoneyOut, Name


def _known_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError("unknown IANA timezone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown IANA timezone") from exc
    return value


_TIMEZONES = available_timezones() | {"UTC"}

Timezone = Annotated[str, Field(max_length=64), AfterValidator(_known_timezone)]
SyncTime = Annotated[
    time,
    Field(description="local time of the nightly run, HH:MM"),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]


class PartnerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    timezone: Timezone = "UTC"
    sync_time: SyncTime = time(2, 0)
    unit_cost: MoneyIn | None = None
    sync_enabled: bool = True


class PartnerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: Timezone | None = None
    sync_time: SyncTime | None = None
    unit_cost: MoneyIn | None = None
    sync_enabled: bool | None = None


class PartnerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    timezone: str
    sync_time: SyncTime
    unit_cost: MoneyOut | None
    sync_enabled: bool
    created_at: datetime


class TokenCreated(BaseModel):
    id: uuid.UUID
    token: str = Field(description="shown once; only its hash is stored")
    prefix: str


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenList(BaseModel):
    items: list[TokenRead]
    total: int
