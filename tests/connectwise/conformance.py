"""Check what cwsync sends against ConnectWise's OpenAPI document (../shared/reference).

Reusable by any test that sees our requests (respx calls here, the simulator's request log
in the integration tests):

    spec = load_spec()                       # skips (or fails in CI) without ../shared
    problems = request_problems(spec, "PATCH", url, headers, body_bytes)
    problems = httpx_request_problems(spec, request)   # the same for an httpx.Request

A problem is a plain sentence; an empty list means the request conforms: the path matches
a template under `/{codebase}/apis/3.0`, the method exists there, every query parameter is
one the operation knows and has the right type, required headers (`clientId`) are present,
and a JSON body validates against the operation's request schema (numbers must be JSON
numbers, not strings). `GET /login/companyinfo/{id}` is outside the document and only
needs `clientId`.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from openapi_schema_validator import OAS30WriteValidator

SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference"
    / "connectwise-psa-openapi.json"
)
_API_PATH = re.compile(r"^/[^/]+/apis/3\.0(/.*)$")
_COMPANYINFO = re.compile(r"^/login/companyinfo/[^/]+$")


def load_spec() -> dict[str, Any]:
    """The reference document; skip without it, except in CI where it must be there."""
    spec = _read_spec()
    if spec is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{SPEC_PATH} is required in CI", pytrace=False)
        pytest.skip(f"{SPEC_PATH} not present (../shared lives beside the repository)")
    return spec


@cache
def _read_spec() -> dict[str, Any] | None:
    if not SPEC_PATH.is_file():
        return None
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    # The subset's PatchOperation.value says `type: object` (reconstructed from a Go model,
    # see its x-subset-provenance); ConnectWise takes any JSON value there, as its own docs'
    # `{"op": "replace", "path": "quantity", "value": 18}` shows.
    patch_op = spec["components"]["schemas"]["PatchOperation"]
    patch_op["properties"]["value"] = {}
    patch_op["required"] = ["op", "path"]
    return spec


def _template_regex(template: str) -> re.Pattern[str]:
    segments = ["([^/]+)" if seg.startswith("{") else re.escape(seg) for seg in template.split("/")]
    return re.compile("^" + "/".join(segments) + "$")


def _match_template(spec: Mapping[str, Any], path: str) -> tuple[str, list[str]] | None:
    """(template, path parameter values); literal segments beat parameters, so
    /companies/count is not /companies/{id}."""
    for template in sorted(spec["paths"], key=lambda t: t.count("{")):
        match = _template_regex(template).match(path)
        if match:
            return template, list(match.groups())
    return None


def _type_problem(name: str, raw: str, schema: Mapping[str, Any]) -> str | None:
    if schema.get("type") == "integer" and not re.fullmatch(r"-?\d+", raw):
        return f"parameter {name}={raw!r} is not an integer"
    return None


def request_problems(
    spec: Mapping[str, Any],
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> list[str]:
    method = method.upper()
    parts = urlsplit(url)
    lowered = {k.lower(): v for k, v in headers.items()}
    problems: list[str] = []
    if _COMPANYINFO.match(parts.path):
        if method != "GET":
            problems.append(f"{method} companyinfo: only GET exists")
        if not lowered.get("clientid"):
            problems.append("companyinfo without a clientId header")
        return problems
    match = _API_PATH.match(parts.path)
    if not match:
        return [f"{parts.path} is not under /{{codebase}}/apis/3.0"]
    api_path = match.group(1)
    matched = _match_template(spec, api_path)
    if matched is None:
        return [f"{api_path} matches no path in the reference document"]
    template, path_values = matched
    operation = spec["paths"][template].get(method.lower())
    if operation is None:
        return [f"{method} {template} is not an operation in the reference document"]
    params = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
    for (where, name), param in params.items():
        if where == "header" and param.get("required") and not lowered.get(name.lower()):
            problems.append(f"{method} {template}: required header {name} missing")
    for name, raw in zip(re.findall(r"\{([^}]+)\}", template), path_values, strict=True):
        problem = _type_problem(name, raw, params.get(("path", name), {}).get("schema", {}))
        if problem:
            problems.append(f"{method} {template}: path {problem}")
    for name, raw in parse_qsl(parts.query, keep_blank_values=True):
        param = params.get(("query", name))
        if param is None:
            problems.append(f"{method} {template}: unknown query parameter {name!r}")
            continue
        problem = _type_problem(name, raw, param.get("schema", {}))
        if problem:
            problems.append(f"{method} {template}: query {problem}")
    problems.extend(_body_problems(spec, method, template, operation, lowered, body))
    return problems


def _body_problems(
    spec: Mapping[str, Any],
    method: str,
    template: str,
    operation: Mapping[str, Any],
    headers: Mapping[str, str],
    body: bytes | None,
) -> list[str]:
    request_body = operation.get("requestBody")
    if request_body is None:
        return [f"{method} {template}: takes no body"] if body else []
    if not body:
        return [f"{method} {template}: body required"] if request_body.get("required") else []
    if not headers.get("content-type", "").startswith("application/json"):
        return [f"{method} {template}: Content-Type is not application/json"]
    try:
        document = json.loads(body, parse_float=Decimal)
    except ValueError:
        return [f"{method} {template}: body is not JSON"]
    schema = copy.deepcopy(request_body["content"]["application/json"]["schema"])
    schema["components"] = spec["components"]  # so "#/components/..." resolves
    validator = OAS30WriteValidator(schema)
    return [
        f"{method} {template}: body {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def httpx_request_problems(spec: Mapping[str, Any], request: httpx.Request) -> list[str]:
    return request_problems(
        spec, request.method, str(request.url), dict(request.headers), request.content or None
    )
