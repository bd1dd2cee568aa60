"""Typed field codecs shared by the seed loader, POST validation and JSON Patch.

Each record type lists its ConnectWise fields once (JSON name, attribute, kind); decoding a
value checks its JSON type the way a strict server would, so a client that sends
``"quantity": "5.5"`` gets a visible 400 instead of a silent conversion (case C13).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from cwsync.simulator.dates import format_cw_datetime, parse_cw_datetime, resolve_seed_datetime


class Kind(Enum):
    INT = "int"
    STR = "str"
    BOOL = "bool"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    REF = "ref"
    REFS = "refs"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    json: str
    attr: str
    kind: Kind
    max_length: int | None = None
    choices: tuple[str, ...] | None = None


class FieldError(ValueError):
    """One field's value is the wrong type or out of range."""

    def __init__(self, field: str, message: str, code: str = "InvalidField") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


def decode_value(spec: FieldSpec, value: Any, *, seed_now: datetime | None = None) -> Any:
    """JSON value → stored value; ``seed_now`` lets seeds use ``@month+1`` dates."""
    if value is None:
        return None
    kind = spec.kind
    if kind is Kind.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise FieldError(spec.json, f"{spec.json} must be a number, got {_json_type(value)}")
        return Decimal(value)
    if kind is Kind.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(spec.json, f"{spec.json} must be an integer, got {_json_type(value)}")
        return value
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise FieldError(
                spec.json, f"{spec.json} must be true or false, got {_json_type(value)}"
            )
        return value
    if kind is Kind.STR:
        if not isinstance(value, str):
            raise FieldError(spec.json, f"{spec.json} must be a string, got {_json_type(value)}")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise FieldError(spec.json, f"{spec.json} is longer than {spec.max_length} characters")
        if spec.choices is not None and value not in spec.choices:
            allowed = ", ".join(spec.choices)
            raise FieldError(spec.json, f"{spec.json} must be one of {allowed}")
        return value
    if kind is Kind.DATETIME:
        if not isinstance(value, str):
            raise FieldError(spec.json, f"{spec.json} must be a date-time string")
        try:
            if seed_now is not None and value.startswith("@"):
                return resolve_seed_datetime(value, seed_now)
            return parse_cw_datetime(value)
        except ValueError as exc:
            raise FieldError(spec.json, f"{spec.json} is not a date-time: {value!r}") from exc
    if kind is Kind.REF:
        if not isinstance(value, dict):
            raise FieldError(spec.json, f"{spec.json} must be an object reference")
        return dict(value)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise FieldError(spec.json, f"{spec.json} must be a list of references")
    return [dict(item) for item in value]


def encode_value(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind is Kind.DATETIME:
        return format_cw_datetime(value)
    if spec.kind is Kind.REF:
        return dict(value)
    if spec.kind is Kind.REFS:
        return [dict(item) for item in value]
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int | Decimal):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
