"""Mapping bodies: what a partner picks, and what cwsync shows back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from cwsync.schemas import MoneyOut

# ConnectWise record ids: positive 32-bit integers (a bool or "5" is not an id).
CwId = Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_id: CwId
    agreement_id: CwId
    addition_id: CwId


class MappingWarning(BaseModel):
    code: str = Field(description="e.g. agreement_not_prorated")
    message: str


def _warning_objects(value: Any) -> Any:
    # The column is JSON written by the API and by the sync; a bare string is a code.
    if isinstance(value, list):
        return [{"code": w, "message": w} if isinstance(w, str) else w for w in value]
    return [] if value is None else value


class MappingRead(BaseModel):
    """Client → ConnectWise company / agreement / addition, with what the last sync did."""

    model_config = ConfigDict(from_attributes=True)

    company_id: int
    company_name: str | None
    agreement_id: int
    agreement_name: str | None
    addition_id: int
    status: str = Field(description="ok | broken")
    broken_reason: str | None = None
    warnings: Annotated[list[MappingWarning], BeforeValidator(_warning_objects)] = Field(
        default_factory=list
    )
    last_synced_at: datetime | None = None
    last_synced_quantity: MoneyOut | None = None
    last_outcome: str | None = None
    last_error: str | None = None
