"""Connection, product and diagnostics bodies. The private key has a write-only field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StrictInt


def _token(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("must not contain spaces or control characters")
    return value


def _secret(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value()
    if not raw.strip():
        raise ValueError("must not be blank")
    if not raw.isprintable():
        raise ValueError("must not contain control characters")
    return SecretStr(raw.strip())


Token = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_token)]
# A ConnectWise record id: a positive 32-bit integer (a bool or "5" is not an id).
CatalogItemId = Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]


class ConnectionSave(BaseModel):
    """What a partner types in; checked against ConnectWise before it is stored."""

    # hide_input_in_errors: a validation error must never echo the private key back.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    site: str = Field(
        min_length=1,
        max_length=255,
        description="host and optional port only, e.g. na.myconnectwise.net",
        examples=["na.myconnectwise.net"],
    )
    company_id: Token = Field(description="the company id you log in to ConnectWise with")
    public_key: Token
    private_key: Annotated[SecretStr, Field(min_length=1, max_length=200), AfterValidator(_secret)]
    client_id: Token = Field(
        description="your integration's clientId from developer.connectwise.com (required)"
    )


class ConnectionRead(BaseModel):
    """The stored connection. The private key is never part of it."""

    model_config = ConfigDict(from_attributes=True)

    site: str
    company_id: str
    public_key: str
    client_id: str
    api_base_url: str
    codebase: str
    status: Literal["ok", "failing"]
    verified_at: datetime | None
    last_error: str | None


class ProductPick(BaseModel):
    model_config = ConfigDict(extra="forbid")

    catalog_item_id: CatalogItemId


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    catalog_item_id: int
    identifier: str
    description: str | None


class StepCheck(BaseModel):
    status: Literal["ok", "failed", "skipped"]
    message: str


class PermissionCheck(BaseModel):
    permission: str = Field(examples=["Agreements: Edit"])
    status: Literal["ok", "missing", "unknown"]
    message: str
    fix: str | None = Field(description="what to change in ConnectWise, when not ok")


class CheckRead(BaseModel):
    """Live diagnostics of the stored connection."""

    ok: bool = Field(
        description="reachable, key pair accepted and no permission missing "
        "(unknown ones are listed but do not count against it)"
    )
    site: str
    api_base_url: str | None
    reachability: StepCheck
    credentials: StepCheck
    permissions: list[PermissionCheck]
