"""Typed errors with a stable code, and the handlers that give every error one shape.

``{"error": {"code": "snake_case", "message": "…", "details": …}}`` — validation errors,
unknown routes and bugs included. A 500 means a bug; its message never carries internals.
"""

from __future__ import annotations

import traceback
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger(__name__)


class CwsyncError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details


class NotFound(CwsyncError):
    status = 404
    code = "not_found"


class Conflict(CwsyncError):
    status = 409
    code = "conflict"


class Unauthorized(CwsyncError):
    status = 401
    code = "unauthorized"


class Forbidden(CwsyncError):
    status = 403
    code = "forbidden"


class InvalidInput(CwsyncError):
    status = 422
    code = "invalid_input"


class UpstreamError(CwsyncError):
    """ConnectWise answered, but not with what we need (failed dependency)."""

    status = 424
    code = "connectwise_error"


class UpstreamTimeout(CwsyncError):
    status = 504
    code = "connectwise_timeout"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CwsyncError)
    async def _cwsync(_: Request, exc: CwsyncError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body("validation_error", "the request is not valid", details), 422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if not database_unreachable(exc):
            return await _bug(request, exc)
        # An outage, not a bug: say so, and when to try again.
        log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
        return JSONResponse(
            error_body("database_unavailable", "the database is unavailable; try again"),
            503,
            headers={"Retry-After": "5"},
        )

    # Registered by class, not as the catch-all: Starlette re-raises what its catch-all
    # handled (the server then logs a traceback and drops the connection) — right for a bug,
    # wrong for an outage answered on every request until the database is back.
    for kind in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(kind, _database)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
        return JSONResponse(error_body("internal_error", "internal server error"), 500)


_DRIVERS = ("sqlalchemy", "asyncpg", "aiosqlite")


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` means the database could not be reached or lost the connection.

    SQLAlchemy reports a dropped connection as a DBAPIError (`connection_invalidated`) or an
    Operational/InterfaceError, and a pool wait as its TimeoutError; a refused connect comes
    out of the driver as a plain OSError, recognised by where it was raised.
    """
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, OSError | TimeoutError):
        frames = traceback.extract_tb(exc.__traceback__)
        return any(f"/{driver}/" in frame.filename for frame in frames for driver in _DRIVERS)
    return False
