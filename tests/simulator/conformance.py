"""Check what the simulator answers against ConnectWise's OpenAPI document (../shared/reference).

Reusable by any test that has the simulator's request log::

    from tests.simulator.conformance import check_response, check_logged
    check_response("GET", "/v2025_1/apis/3.0/company/companies/250", 200, body)
    check_logged(sim.state.requests)        # every logged answer, fields= answers leniently

``check_response`` raises ``AssertionError`` naming each problem; it skips (or fails when
``CI=true``) without ../shared. A success body must validate against the operation's
response schema for that status (an undocumented status for a success is a problem); an
error body, when JSON with a ``code``, must have ConnectWise's error shape. Answers for
``fields=`` projections are checked with ``partial=True``: required properties may be
absent, as they are from ConnectWise. ``/login/companyinfo/{id}`` is outside the document
and is checked by hand (``IsCloud`` must be a string).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from cwsync.simulator.requestlog import RequestRecord

SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference"
    / "connectwise-psa-openapi.json"
)
_API_PATH = re.compile(r"^/[^/]+/apis/3\.0(/.*)$")
_COMPANYINFO = re.compile(r"^/login/companyinfo/[^/]+$", re.IGNORECASE)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
COMPANYINFO_KEYS = {
    "CompanyName",
    "Codebase",
    "VersionCode",
    "VersionNumber",
    "CompanyID",
    "IsCloud",
}


def require_spec() -> dict[str, Any]:
    spec = _read_spec()
    if spec is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{SPEC_PATH} is required in CI", pytrace=False)
        pytest.skip("../shared not present")
    return spec


@cache
def _read_spec() -> dict[str, Any] | None:
    if not SPEC_PATH.is_file():
        return None
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return spec


def _formats() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers = dict(oas30_format_checker.checkers)

    @checker.checks("date-time")
    def is_date_time(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        if not _DATE_TIME.match(instance):
            return False
        datetime.fromisoformat(instance.replace("Z", "+00:00"))
        return True

    return checker


_FORMAT_CHECKER = _formats()


def _drop_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _drop_required(value) for key, value in node.items() if key != "required"}
    if isinstance(node, list):
        return [_drop_required(value) for value in node]
    return node


@cache
def _components(partial: bool) -> dict[str, Any]:
    spec = require_spec()
    components = copy.deepcopy(spec["components"])
    return _drop_required(components) if partial else components


def _match_template(spec: dict[str, Any], path: str) -> str | None:
    """The spec template for an API path; literal segments win (``count`` is not ``{id}``)."""
    for template in sorted(spec["paths"], key=lambda t: t.count("{")):
        parts = ["\\d+" if seg.startswith("{") else re.escape(seg) for seg in template.split("/")]
        if re.fullmatch("/".join(parts), path, re.IGNORECASE):
            return template
    return None


def _plain(value: Any) -> Any:
    """Decimals as floats: the schema checks shapes and types, not exactness."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def response_problems(
    method: str, path: str, status: int, body: Any, *, partial: bool = False
) -> list[str]:
    spec = require_spec()
    if _COMPANYINFO.match(path):
        return _companyinfo_problems(status, body)
    api = _API_PATH.match(path)
    template = _match_template(spec, api.group(1)) if api else None
    if template is None:
        return []  # not a reference path: nothing to hold it to
    if status >= 400:
        return _error_problems(body)
    if status >= 300:
        return []  # a redirect answers no resource
    operation = spec["paths"][template].get(method.lower())
    if operation is None:
        return [f"{method} {template} is not in the document but answered {status}"]
    documented = operation["responses"].get(str(status))
    if documented is None:
        return [
            f"{method} {template} answered {status}; documented: {sorted(operation['responses'])}"
        ]
    content = documented.get("content")
    if not content:
        return [] if body in (None, "", b"") else [f"{status} should have no body, got {body!r}"]
    schema = dict(next(iter(content.values()))["schema"])
    schema["components"] = _components(partial)
    validator = OAS30Validator(schema, format_checker=_FORMAT_CHECKER)
    return [
        f"{method} {template} {status}: {'/'.join(map(str, error.absolute_path)) or '(root)'}: "
        f"{error.message}"
        for error in validator.iter_errors(_plain(body))
    ]


def _companyinfo_problems(status: int, body: Any) -> list[str]:
    if status != 200:
        return _error_problems(body)
    if not isinstance(body, dict):
        return [f"companyinfo body is not an object: {body!r}"]
    problems = [f"companyinfo lacks {key}" for key in sorted(COMPANYINFO_KEYS - set(body))]
    problems += [
        f"companyinfo {key} is not a string"
        for key in COMPANYINFO_KEYS & set(body)
        if not isinstance(body[key], str)
    ]
    if isinstance(body.get("Codebase"), str) and not body["Codebase"].endswith("/"):
        problems.append("companyinfo Codebase must end with '/'")
    return problems


def _error_problems(body: Any) -> list[str]:
    """ConnectWise's error shape, when the body is JSON that claims it (``code`` present)."""
    if not isinstance(body, dict) or "code" not in body:
        return []
    problems = []
    if not isinstance(body.get("code"), str) or not isinstance(body.get("message"), str):
        problems.append(f"error body needs string code and message: {body!r}")
    errors = body.get("errors")
    if errors is not None:
        if not isinstance(errors, list):
            problems.append(f"error 'errors' must be a list or null: {errors!r}")
        else:
            for item in errors:
                if not isinstance(item, dict) or not {"code", "message"} <= set(item):
                    problems.append(f"error item lacks code/message: {item!r}")
    return problems


def check_response(
    method: str, path: str, status: int, body: Any, *, partial: bool = False
) -> None:
    problems = response_problems(method, path, status, body, partial=partial)
    assert not problems, "answer does not conform:\n" + "\n".join(problems)


def check_logged(records: Iterable[RequestRecord]) -> None:
    """Every answered request in a simulator request log (dropped connections skipped)."""
    problems = []
    for record in list(records):
        if record.status is None:
            continue
        partial = bool(record.query_value("fields"))
        for problem in response_problems(
            record.method, record.path, record.status, record.response_body, partial=partial
        ):
            problems.append(f"{record.method} {record.path}: {problem}")
    assert not problems, "answers that do not conform:\n" + "\n".join(problems)
