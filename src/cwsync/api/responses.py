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


# Answered before any route runs, so possible on every operation that takes a body: FastAPI
# refuses a body it cannot decode (not UTF-8), the size cap one over CWSYNC_MAX_BODY_BYTES.
_BODY_ERRORS = {
    400: "The body could not be read (not UTF-8 JSON)",
    413: "Body too large",
}
# Every /v1 operation reads the database (the token at least): during an outage, 503.
_DATABASE_ERROR = (503, "The database is unavailable; retry after Retry-After seconds")


def document_app_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the answers the app gives outside the routes to each operation's documented ones."""
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            answers = dict(_BODY_ERRORS) if "requestBody" in operation else {}
            if path.startswith("/v1/"):
                answers[_DATABASE_ERROR[0]] = _DATABASE_ERROR[1]
            responses = operation.setdefault("responses", {})
            for status, description in answers.items():
                responses.setdefault(str(status), {"description": description, "content": content})
    return schema


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(code, "Error")}
        for code in codes
    }
