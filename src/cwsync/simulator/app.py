"""The simulator's ASGI app: ConnectWise routes, the ``/__sim`` admin API, faults and the log.

The ConnectWise side is a hand-written ASGI handler rather than a framework router: the
codebase prefix is dynamic per tenant and the benchmark pushes tens of thousands of
requests through it, so per-request work is kept to parsing, one dict walk and a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
import uuid
from typing import Any

from cwsync.simulator.admin import build_admin
from cwsync.simulator.auth import parse_basic
from cwsync.simulator.cwrequest import CwRequest
from cwsync.simulator.fault_answers import fault_answer
from cwsync.simulator.faults import Fault
from cwsync.simulator.jsonio import dumps_bytes
from cwsync.simulator.requestlog import RequestRecord
from cwsync.simulator.responses import SimResponse, cw_error
from cwsync.simulator.routing import dispatch
from cwsync.simulator.seed import load_demo_state
from cwsync.simulator.state import SimulatorState

Scope = dict[str, Any]
Message = dict[str, Any]
logger = logging.getLogger(__name__)
MAX_HANG_SECONDS = 600.0  # a "hang until the client gives up" never outlives this


class SimulatorApp:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.admin = build_admin(state)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] != "http":
            return
        elif scope["path"].startswith("/__sim/"):
            await self.admin(scope, receive, send)
        else:
            await self._handle(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        state = self.state
        request = CwRequest.from_scope(scope, await _read_body(receive), str(uuid.uuid4()))
        tenant = request.tenant_hint()
        decision = state.faults.evaluate(tenant, request.method, request.path)
        record = _record(state, request, tenant)
        state.requests.append(record)  # appended now so in-flight requests are visible

        delay_ms = state.latency_ms + decision.latency_ms
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        fault = decision.answer
        if fault is not None:
            record.fault = fault.kind
        if fault is not None and fault.kind == "noop":
            request.dry_run, fault = True, None

        response: SimResponse | None = None
        if fault is None or fault.process_first:
            response = _dispatch(state, request)
        if fault is not None and fault.kind == "timeout":
            await _hang(fault.seconds, receive)
            response = response or _dispatch(state, request)
        elif fault is not None and fault.kind == "reset":
            await _drop_connection(fault.mode, receive, send)
            response = None
        elif fault is not None:
            response = fault_answer(fault, request)

        # The log is complete before the answer leaves, so a client that has its answer
        # can assert on the log without racing the server.
        record.duration_ms = (time.perf_counter() - started) * 1000
        if response is not None:
            payload = _payload(response)
            record.status = response.status
            if state.log_bodies:
                record.response_bytes, record.response_is_json = payload, response.is_json
            await _send(send, response, payload, request.request_id)


def _dispatch(state: SimulatorState, request: CwRequest) -> SimResponse:
    try:
        return dispatch(state, request)
    except Exception as exc:
        # A simulator bug: answer a 500 that names itself rather than a bare uvicorn page,
        # so a test sees the simulator, not ConnectWise, failed.
        logger.exception("simulator failed on %s %s", request.method, request.path)
        return cw_error(500, "SimulatorError", f"{type(exc).__name__}: {exc}")


def _record(state: SimulatorState, request: CwRequest, tenant: str | None) -> RequestRecord:
    headers = dict(request.headers)
    has_auth = headers.pop("authorization", None) is not None
    credential = parse_basic(request.headers.get("authorization"))
    return RequestRecord(
        request_id=request.request_id,
        at=state.clock(),
        method=request.method,
        path=request.path,
        query=list(request.pairs),
        headers=headers,
        has_auth=has_auth,
        auth_user=credential.user if credential is not None else None,
        tenant=tenant,
        body=request.logged_body() if state.log_bodies else None,
    )


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _payload(response: SimResponse) -> bytes:
    if response.is_json:
        return dumps_bytes(response.body)
    return (response.text or "").encode("utf-8")


async def _send(send: Any, response: SimResponse, payload: bytes, request_id: str) -> None:
    headers = [
        (b"x-cw-request-id", request_id.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    if response.content_type and payload:
        headers.append((b"content-type", response.content_type.encode()))
    headers.extend((name.lower().encode(), value.encode()) for name, value in response.headers)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _wait_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _hang(seconds: float | None, receive: Any) -> None:
    """Hold the request ``seconds`` (or until the client hangs up, when None)."""
    with contextlib.suppress(TimeoutError):
        if seconds is None:
            await asyncio.wait_for(_wait_disconnect(receive), MAX_HANG_SECONDS)
        else:
            await asyncio.sleep(seconds)


async def _drop_connection(mode: str, receive: Any, send: Any) -> None:
    """Close the socket under the client: RST, FIN, or after the headers and half a body.

    Uvicorn does not hand the transport to the app, but its ``send`` is a bound method of
    the request cycle that holds it. Without it (another server), the response is started
    and an exception makes the server close the connection.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if mode == "truncate" or transport is None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'[{"id": 1', "more_body": True})
        if transport is None:
            raise ConnectionAbortedError("simulated connection drop")
        transport.close()
    else:
        sock = transport.get_extra_info("socket")
        if mode == "reset" and sock is not None:
            with contextlib.suppress(OSError):
                # SO_LINGER 0: close() sends RST, so the client sees "connection reset".
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort() if mode == "reset" else transport.close()
    with contextlib.suppress(TimeoutError):
        # Let the server notice the closed connection before the app returns.
        await asyncio.wait_for(_wait_disconnect(receive), 2.0)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(state: SimulatorState | None = None) -> SimulatorApp:
    """The simulator as an ASGI app; without a state, the demo seed is loaded."""
    return SimulatorApp(state if state is not None else load_demo_state())


__all__ = ["Fault", "SimulatorApp", "create_app"]
