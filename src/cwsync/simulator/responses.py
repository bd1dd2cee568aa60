"""Answers in ConnectWise's shapes: JSON errors, plain-text auth failures, gateway HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

_NO_BODY = object()


@dataclass
class SimResponse:
    status: int
    body: Any = _NO_BODY  # a JSON value; _NO_BODY when ``text`` is the body
    text: str | None = None
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_json(self) -> bool:
        return self.body is not _NO_BODY


def json_response(
    status: int, body: Any, headers: list[tuple[str, str]] | None = None
) -> SimResponse:
    return SimResponse(status, body=body, content_type=JSON_TYPE, headers=list(headers or []))


def text_response(status: int, text: str, content_type: str = TEXT_TYPE) -> SimResponse:
    return SimResponse(status, text=text, content_type=content_type)


def empty_response(status: int, headers: list[tuple[str, str]] | None = None) -> SimResponse:
    return SimResponse(status, text="", headers=list(headers or []))


def cw_error(
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, Any]] | None = None,
) -> SimResponse:
    """``{"code", "message", "errors"}``; ``errors`` is null when there are none, as in CW."""
    return json_response(status, {"code": code, "message": message, "errors": errors})


def field_error(code: str, message: str, resource: str, field_name: str) -> dict[str, Any]:
    return {"code": code, "message": message, "resource": resource, "field": field_name}


def invalid_object(message: str, errors: list[dict[str, Any]] | None = None) -> SimResponse:
    return cw_error(400, "InvalidObject", message, errors)


def not_found(message: str) -> SimResponse:
    return cw_error(404, "NotFound", message)


def security_denied() -> SimResponse:
    return cw_error(403, "Security", "You do not have security permission to perform this action.")


def html_page(status: int, title: str) -> SimResponse:
    """What a gateway or IIS answers: HTML, never JSON (CASES.md C5, C6)."""
    page = (
        "<!DOCTYPE html>\n<html><head><title>"
        f"{status} - {title}</title></head>\n<body><h1>{status} - {title}</h1>"
        "<p>The server encountered a problem handling your request.</p></body></html>\n"
    )
    return text_response(status, page, HTML_TYPE)
