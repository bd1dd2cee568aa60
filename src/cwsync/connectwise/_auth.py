"""ConnectWise credentials and the httpx.Auth that signs every API request."""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

# Pinned so ConnectWise answers with the models we parse, not whatever is newest.
ACCEPT = "application/vnd.connectwise.com+json; version=2025.1"


class Credentials(BaseModel):
    """One ConnectWise tenant's API member keys.

    `site` is the host (and optional port) the partner uses, e.g. `na.myconnectwise.net`;
    checking it against allowed hosts is the caller's job. `repr()` shows the private key as
    `SecretStr('**********')`.
    """

    # hide_input_in_errors: a validation error must not echo a key back into a log.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    site: str
    company_id: str
    public_key: str
    private_key: SecretStr
    client_id: str

    @field_validator("site", "company_id", "public_key", "client_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        # ConnectWise answers a missing clientId with a non-JSON auth failure (C7): refuse early.
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("private_key")
    @classmethod
    def _key_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value

    @property
    def tenant_key(self) -> str:
        """Identifies the ConnectWise tenant for per-tenant limits: site plus company id."""
        return f"{self.site.lower()}|{self.company_id.lower()}"


class ConnectWiseAuth(httpx.Auth):
    """Basic `company+public:private`, the `clientId` header and the pinned `Accept`."""

    def __init__(self, credentials: Credentials) -> None:
        self._client_id = credentials.client_id
        user = f"{credentials.company_id}+{credentials.public_key}"
        raw = f"{user}:{credentials.private_key.get_secret_value()}".encode()
        token = base64.b64encode(raw).decode("ascii")
        self.__authorization = "Basic " + token
        self.__secrets = (token, credentials.private_key.get_secret_value())

    def __repr__(self) -> str:
        return f"ConnectWiseAuth(client_id={self._client_id!r}, authorization='**********')"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.__authorization
        request.headers["clientId"] = self._client_id
        request.headers["Accept"] = ACCEPT
        yield request

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in an error message (used to scrub them)."""
        return self.__secrets
