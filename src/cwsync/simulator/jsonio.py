"""JSON in and out without float rounding.

ConnectWise money has four or more decimals (5.2456, 3.10005). Python's ``json`` turns
those into floats on the way in and has no way to write a ``Decimal`` as a bare number on
the way out, so the simulator reads with ``parse_float=Decimal`` and writes with the small
encoder below. Anything that is not JSON-shaped is a bug in the simulator and raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from cwsync.simulator.dates import format_cw_datetime

_encode_str: Callable[[str], str] = json.encoder.encode_basestring


class JsonError(ValueError):
    """The bytes are not a JSON document."""


def loads(data: bytes | str) -> Any:
    """Parse JSON keeping every non-integer number as an exact ``Decimal``."""
    try:
        return json.loads(data, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonError(str(exc)) from exc


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; ConnectWise would refuse them too.
    raise ValueError(f"{name} is not a JSON value")


def dumps(value: Any) -> str:
    """Write JSON with Decimals as exact numbers (``5.2456`` stays ``5.2456``)."""
    parts: list[str] = []
    _write(value, parts.append)
    return "".join(parts)


def dumps_bytes(value: Any) -> bytes:
    return dumps(value).encode("utf-8")


def _write(value: Any, out: Callable[[str], None]) -> None:
    # Order matters: bool is an int subclass.
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(_encode_str(value))
    elif isinstance(value, int):
        out(int.__repr__(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        out(str(value))
    elif isinstance(value, dict):
        out("{")
        first = True
        for key, item in value.items():
            if not first:
                out(",")
            first = False
            out(_encode_str(str(key)))
            out(":")
            _write(item, out)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _write(item, out)
        out("]")
    elif isinstance(value, datetime):
        out(_encode_str(format_cw_datetime(value)))
    elif isinstance(value, float):
        # Floats never belong in simulator state; refuse rather than round silently.
        raise TypeError(f"float {value!r} reached the JSON writer; use Decimal")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
