from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

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


def _hh_mm(value: Any) -> Any:
    # Only the documented "HH:MM": pydantic alone would read 300 as 00:05 (seconds) and keep
    # "02:00+05:00" as 02:00, dropping an offset that contradicts the partner's timezone.
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _HH_MM.fullmatch(value):
        raise ValueError("give the local time as HH:MM, e.g. 02:00")
    return value


_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

SyncTime = Annotated[
    time,
    BeforeValidator(_hh_mm),
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
