"""Build ConnectWise `conditions` strings; this module owns all quoting.

    Field("company/id").eq(250)                 → company/id = 250
    Field("name").contains('Smith "Bob"')       → name contains "Smith \\"Bob\\""
    Field("deletedFlag").eq(False)              → deletedFlag = False
    (a & b) | c                                 → ((a) and (b)) or (c)

How ConnectWise escapes `"` inside a string is unconfirmed, so searches that must not fail
use `safe_search_term()` and let the caller match the full term locally.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

Literal = str | int | Decimal | bool | date | datetime | None

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
# Characters that may be misread inside `contains`: quote/escape syntax, and SQL LIKE
# wildcards that ConnectWise may pass through (`%`, `_`, `[`, `]`).
_UNSAFE_IN_CONTAINS = re.compile(r'["\\%_\[\]]')
# A search term longer than this gains nothing and risks the ~2000 character URL limit.
MAX_SEARCH_TERM = 100


def literal(value: Literal) -> str:
    """A value as ConnectWise's condition syntax writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return f"[{moment:%Y-%m-%dT%H:%M:%S}Z]"
    if isinstance(value, date):
        return f"[{value:%Y-%m-%d}T00:00:00Z]"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    raise TypeError(f"cannot write {type(value).__name__} in a condition")


class Condition:
    """A conditions expression; combine with `&` (and) and `|` (or)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Condition({self.text!r})"

    def __and__(self, other: Condition) -> Condition:
        return Condition(f"({self.text}) and ({other.text})")

    def __or__(self, other: Condition) -> Condition:
        return Condition(f"({self.text}) or ({other.text})")


class Field:
    """A field path (`name`, `company/id`) to compare; the name is checked, never quoted."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not _FIELD.match(name):
            raise ValueError(f"not a field path: {name!r}")
        self.name = name

    def _op(self, op: str, value: Literal) -> Condition:
        return Condition(f"{self.name} {op} {literal(value)}")

    def eq(self, value: Literal) -> Condition:
        return self._op("=", value)

    def ne(self, value: Literal) -> Condition:
        return self._op("!=", value)

    def lt(self, value: Literal) -> Condition:
        return self._op("<", value)

    def le(self, value: Literal) -> Condition:
        return self._op("<=", value)

    def gt(self, value: Literal) -> Condition:
        return self._op(">", value)

    def ge(self, value: Literal) -> Condition:
        return self._op(">=", value)

    def contains(self, text: str) -> Condition:
        return self._op("contains", text)

    def like(self, pattern: str) -> Condition:
        return self._op("like", pattern)

    def in_(self, values: Iterable[Literal]) -> Condition:
        items = [literal(v) for v in values]
        if not items:
            raise ValueError("in () needs at least one value")
        return Condition(f"{self.name} in ({', '.join(items)})")


def all_of(*conditions: Condition | None) -> Condition | None:
    """`and` of the given conditions, skipping None; None when nothing is left."""
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    result = present[0]
    for condition in present[1:]:
        result = result & condition
    return result


def safe_search_term(term: str) -> tuple[str, bool]:
    """(substring to send with `contains`, whether the caller must re-check the full term).

    Cuts the term at characters whose escaping is unconfirmed and keeps the longest piece;
    the caller then matches the full term itself, so `Smith "Bob" & Sons` is found exactly.
    """
    pieces = _UNSAFE_IN_CONTAINS.split(term)
    best = max(pieces, key=len)
    reduced = len(pieces) > 1 or len(best) > MAX_SEARCH_TERM
    return best[:MAX_SEARCH_TERM], reduced
