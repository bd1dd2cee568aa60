"""What each answering fault sends back (the shapes seen in the wild, CASES.md C5, C6, C9)."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from cwsync.simulator.cwrequest import CwRequest
from cwsync.simulator.faults import Fault
from cwsync.simulator.responses import (
    SimResponse,
    cw_error,
    empty_response,
    html_page,
    json_response,
    security_denied,
    text_response,
)

TRANSIENT_500 = "A timeout has occured. Please try again."
PERMANENT_500 = (
    "Error converting value \"twelve\" to type 'System.Decimal'. "
    "Path 'quantity', line 1, position 24."
)
_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}


def fault_answer(fault: Fault, request: CwRequest) -> SimResponse:
    kind = fault.kind
    if kind == "throttle":
        return _throttle(fault)
    if kind == "error":
        return _server_error(fault)
    if kind == "down":
        return html_page(503, "Service Unavailable")
    if kind == "deny":
        return security_denied()
    if kind == "redirect":
        return _redirect(fault, request)
    raise ValueError(f"fault kind {kind!r} does not answer by itself")


def _throttle(fault: Fault) -> SimResponse:
    message = fault.message or "Too many requests. Please slow down and try again later."
    style = fault.body or "error_json"
    if style == "error_json":
        response = json_response(429, {"error": "TooManyRequests", "message": message})
    elif style == "json":
        response = cw_error(429, "TooManyRequests", message)
    elif style == "html":
        response = html_page(429, _REASONS[429])
    elif style == "text":
        response = text_response(429, message)
    else:
        response = empty_response(429)
    if fault.retry_after is not None:
        response.headers.append(("Retry-After", str(fault.retry_after)))
    return response


def _server_error(fault: Fault) -> SimResponse:
    status = fault.status or 500
    style = fault.body or ("transient" if status == 500 else "html")
    if style == "transient":
        return json_response(status, {"code": "", "message": fault.message or TRANSIENT_500})
    if style == "permanent":
        return json_response(status, {"code": "", "message": fault.message or PERMANENT_500})
    if style == "json":
        return cw_error(status, "ServerError", fault.message or _REASONS.get(status, "Error"))
    return html_page(status, _REASONS.get(status, "Server Error"))


def _redirect(fault: Fault, request: CwRequest) -> SimResponse:
    location = fault.location
    if location is None:
        # The same URL over plain http: a client that follows it leaks its credentials.
        parts = urlsplit(request.url)
        query = urlencode(request.pairs, quote_via=quote)
        location = urlunsplit(("http", parts.netloc, parts.path, query, ""))
    response = html_page(fault.status or 302, "Object moved")
    response.headers.append(("Location", location))
    return response
