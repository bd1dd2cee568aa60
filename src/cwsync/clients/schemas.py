"""Client bodies: create / update / read, and the mapping summary shown on each client."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cwsync.mappings.schemas import MappingRead
from cwsync.schemas import ExternalId, MoneyIn, MoneyOut, Name


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId = Field(description="INFIMA's id for the client, unique per partner")
    name: Name
    include_pro_rata: bool = False
    overwrite_cost: bool = False
    unit_cost: MoneyIn | None = Field(
        default=None, description="per-user cost override; null uses the partner's unit cost"
    )
    sync_enabled: bool = True


class ClientUpdate(BaseModel):
    """Only the fields sent change; ``unit_cost: null`` clears the override."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    include_pro_rata: bool | None = None
    overwrite_cost: bool | None = None
    unit_cost: MoneyIn | None = None
    sync_enabled: bool | None = None

    @field_validator("name", "include_pro_rata", "overwrite_cost", "sync_enabled", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # null would mean "clear", and only the cost override can be cleared.
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    partner_id: uuid.UUID
    external_id: str
    name: str
    include_pro_rata: bool
    overwrite_cost: bool
    unit_cost: MoneyOut | None
    sync_enabled: bool
    created_at: datetime
    updated_at: datetime
    mapping: MappingRead | None = None
    active_users: int | None = Field(default=None, description="latest reported count")
    as_of: datetime | None = Field(default=None, description="when the latest count was taken")
    last_synced_at: datetime | None = None
    last_outcome: str | None = None
    last_error: str | None = None


class ClientPage(BaseModel):
    items: list[ClientRead]
    total: int
