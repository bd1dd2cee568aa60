"""One HTTP exchange with ConnectWise: limits, retries, no redirects, exact JSON, no secrets.

`Transport.send` is what every call of `ConnectWiseClient` goes through; `load_json` and
`parse_model` read answers with every non-integer number as an exact `Decimal`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from ._auth import ConnectWiseAuth
from ._errors import ConnectWiseError, InvalidRequestError
from ._limits import GlobalLimits, TenantLimits, request_slot
from ._models import CwModel
from ._paging import Params
from ._retry import Clock, RetryPolicy, Sleep, send_with_retries

M = TypeVar("M", bound=CwModel)

MAX_URL_LENGTH = 2000  # ConnectWise (IIS) refuses longer URLs


class Transport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        auth: ConnectWiseAuth,
        *,
        limits: TenantLimits | None,
        global_limits: GlobalLimits | None,
        timeout: float,
        policy: RetryPolicy,
        sleep: Sleep,
        clock: Clock,
    ) -> None:
        self._http = http
        self._auth = auth
        self._limits = limits
        self._global_limits = global_limits
        self._timeout = httpx.Timeout(timeout)
        self._policy = policy
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"Transport(limits={self._limits!r}, policy={self._policy!r})"

    async def send(
        self,
        method: str,
        url: str,
        path: str,
        *,
        params: Params | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send with retries; a 2xx is returned, anything else raised as a ConnectWiseError.
        `path` (without the base URL) names the call in errors."""

        def build() -> httpx.Request:
            return self._http.build_request(
                method, url, params=params, content=content, headers=headers, timeout=self._timeout
            )

        first = build()
        if len(str(first.url)) > MAX_URL_LENGTH:
            raise InvalidRequestError(
                f"{method} {path}: URL longer than {MAX_URL_LENGTH} characters",
                code="UrlTooLong",
                method=method,
                path=path,
            )
        auth = self._auth if authenticated else None
        # The first attempt sends the request just checked; only a retry builds a new one.
        # (Building costs a few percent of a busy scheduler's CPU; twice per call was waste.)
        unsent = [first]

        async def send_once() -> httpx.Response:
            request = unsent.pop() if unsent else build()
            async with request_slot(self._limits, self._global_limits):
                # Per request, whatever the shared client says: credentials never follow a
                # redirect and a POST is never re-sent by httpx.
                return await self._http.send(request, auth=auth, follow_redirects=False)

        try:
            return await send_with_retries(
                send_once,
                method=method,
                path=path,
                policy=self._policy,
                sleep=self._sleep,
                clock=self._clock,
            )
        except ConnectWiseError as exc:
            _scrub(exc, self._auth.secrets())
            raise


def load_json(response: httpx.Response, method: str, path: str) -> Any:
    """The body as JSON with every non-integer number as an exact Decimal."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_response(response, method, path, "with a body that is not JSON") from exc


def parse_model(data: Any, response: httpx.Response, method: str, path: str, model: type[M]) -> M:
    """`data` as `model`, carrying the response's `x-cw-request-id`."""
    try:
        item = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise invalid_response(
            response, method, path, f"an unreadable {model.__name__} ({where}: {first['msg']})"
        ) from exc
    item.request_id = response.headers.get("x-cw-request-id")
    return item


def invalid_response(
    response: httpx.Response, method: str, path: str, what: str
) -> ConnectWiseError:
    """A 2xx whose body is not what the call promises."""
    return ConnectWiseError(
        f"{method} {path} answered {response.status_code} {what}",
        status=response.status_code,
        code="InvalidResponse",
        request_id=response.headers.get("x-cw-request-id"),
        method=method,
        path=path,
    )


def _scrub(exc: ConnectWiseError, secrets: tuple[str, ...]) -> None:
    # Bodies come from the server; a misbehaving proxy could echo our headers back.
    for secret in secrets:
        if secret and secret in exc.message:
            exc.message = exc.message.replace(secret, "**********")
    exc.args = (exc.message,)
