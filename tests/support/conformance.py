"""Hold everything cwsync said to the simulator, and everything it answered, to ConnectWise's
OpenAPI document (`../shared/reference/connectwise-psa-openapi.json`).

Call it at the end of any test that drove cwsync against a `SimulatorServer`::

    from tests.support.conformance import assert_simulator_traffic_conforms
    assert_simulator_traffic_conforms(sim.state)          # or sim.state.requests

Each logged request is checked with `tests/connectwise/conformance.request_problems` (method,
path template, query parameter names and types, `clientId`, JSON body against the operation's
request schema: a stringified number or a patch sent as an object is a problem), and each
answer with `tests/simulator/conformance.response_problems` (success bodies against the
response schema, error bodies in ConnectWise's error shape, companyinfo by hand). All
problems are reported in one AssertionError. Without ../shared the test is skipped with a
message; with `CI=true` it fails instead.

One deliberate exception: the connection check's permission probes
(`cwsync.connections.diagnostics.PROBES`, e.g. `POST /finance/agreements/0/additions` with
`{}`) send bodies ConnectWise must refuse, so that a role with the permission gets 400/404
and one without gets 403 while nothing is written. Their request bodies (exactly the probe's
method, path and body) are not held to the schema; everything else about them, and their
answers, are.

The log keeps JSON request bodies parsed (Decimals exact), so they are written back with the
simulator's exact encoder: `5.2456` stays a number and `"5.5"` stays a string, which is all
the schema looks at. A body that was not JSON is logged as its text and checked as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlencode

from cwsync.connections.diagnostics import PROBES
from cwsync.simulator.jsonio import dumps_bytes
from cwsync.simulator.requestlog import RequestRecord
from cwsync.simulator.state import SimulatorState
from tests.connectwise import conformance as requests_conformance
from tests.simulator import conformance as responses_conformance

__all__ = ["assert_simulator_traffic_conforms", "traffic_problems"]

# Only used to rebuild a URL the request checker can split; the host is never looked at.
_ORIGIN = "http://simulator.invalid"
_API_PATH = re.compile(r"^/[^/]+/apis/3\.0(/.*)$")
_PROBES = {(probe.method, probe.path): probe.body for probe in PROBES}


def assert_simulator_traffic_conforms(traffic: SimulatorState | Iterable[RequestRecord]) -> None:
    """Fail naming every request or answer in the simulator's log that breaks the document."""
    problems = traffic_problems(traffic)
    assert not problems, (
        f"{len(problems)} ConnectWise exchange(s) do not conform to the reference document:\n"
        + "\n".join(problems)
    )


def traffic_problems(traffic: SimulatorState | Iterable[RequestRecord]) -> list[str]:
    """The problems `assert_simulator_traffic_conforms` would report (empty: all conform)."""
    records = list(traffic.requests if isinstance(traffic, SimulatorState) else traffic)
    spec = requests_conformance.load_spec()  # skips, or fails under CI=true, without ../shared
    responses_conformance.require_spec()
    problems: list[str] = []
    for number, record in enumerate(records, start=1):
        where = f"#{number} {record.method} {record.path}"
        url = _ORIGIN + record.path
        if record.query:
            url += "?" + urlencode(record.query)
        for problem in requests_conformance.request_problems(
            spec, record.method, url, record.headers, _body_bytes(record)
        ):
            if ": body " in problem and (_is_permission_probe(record) or _cut_off(record)):
                continue
            problems.append(f"{where}: request: {problem}")
        if record.status is None:
            continue  # a dropped connection answered nothing
        partial = bool(record.query_value("fields"))  # projections leave required fields out
        for problem in responses_conformance.response_problems(
            record.method, record.path, record.status, record.response_body, partial=partial
        ):
            problems.append(f"{where}: answer {record.status}: {problem}")
    return problems


def _is_permission_probe(record: RequestRecord) -> bool:
    api = _API_PATH.match(record.path)
    key = (record.method, api.group(1) if api else record.path)
    return key in _PROBES and record.body == _PROBES[key] and not record.query


def _cut_off(record: RequestRecord) -> bool:
    """A body was declared but never arrived: the sender was cancelled mid-request (a run
    stopping on a 401 cancels its in-flight calls), so there is no body to judge."""
    declared = record.headers.get("content-length", "0")
    return record.body is None and declared.isdigit() and int(declared) > 0


def _body_bytes(record: RequestRecord) -> bytes | None:
    if record.body is None:
        return None
    if isinstance(record.body, str):
        # Either the raw text of a body that was not JSON, or a JSON string document: both
        # are wrong for every ConnectWise operation, and the checker says so from these bytes.
        return record.body.encode("utf-8")
    return dumps_bytes(record.body)
