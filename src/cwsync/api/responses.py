"""OpenAPI documentation of the uniform error shape, per status code."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, invalid or revoked token",
    403: "The token may not do this",
    404: "Not found (or another partner's)",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Validation failed",
    424: "ConnectWise refused or failed",
    502: "ConnectWise answered badly",
    504: "ConnectWise did not answer in time",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(code, "Error")}
        for code in codes
    }
