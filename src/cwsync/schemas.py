"""Field types shared by every API schema: names, money, paging."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

T = TypeVar("T")


# Controls, surrogates, line/paragraph separators, unassigned code points and noncharacters.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp", "Cn"})
# Invisible characters and text-direction overrides: hidden in a name or an external id they
# make two values that look the same differ (a duplicate client, a feed row that matches
# nothing), or reorder what a partner sees on screen and on invoices. The implicit marks
# (LRM, RLM, ALM) and the zero-width (non-)joiners stay: right-to-left names, emoji
# sequences and several scripts need them.
_INVISIBLE = frozenset("\u200b\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _clean_text(value: str) -> str:
    value = value.strip()
    if all(unicodedata.category(ch) in {"Cf", "Zs"} for ch in value):
        raise ValueError("must not be blank")
    for ch in value:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            raise ValueError(f"must not contain control characters (U+{ord(ch):04X})")
        if ch in _INVISIBLE:
            raise ValueError(
                f"must not contain invisible or text-direction characters (U+{ord(ch):04X})"
            )
    return unicodedata.normalize("NFC", value)


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_clean_text)]
ExternalId = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean_text)]


def _not_float(value: object) -> object:
    # A JSON number with a fraction reaches us as a binary float: 2.30000000000000004 is
    # already 2.3 by then. Money must arrive as text (or a whole number) to stay exact.
    if isinstance(value, float):
        raise ValueError('money must be a decimal string such as "2.3456", not a JSON number')
    return value


def _money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value < 0:
        raise ValueError("must not be negative")
    if value >= Decimal("1e12"):
        raise ValueError("is too large")
    # Trailing zeros are not precision: "2.50000000" is exactly 2.5.
    if -value.normalize().as_tuple().exponent > 6:  # type: ignore[operator]
        raise ValueError("has more than 6 decimal places")
    return value


# Money travels as a decimal string ("2.3456"); whole numbers are accepted, fractions written
# as JSON numbers are refused (see _not_float).
MoneyIn = Annotated[
    Decimal,
    BeforeValidator(_not_float),
    AfterValidator(_money),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*$"},
                {"type": "integer", "minimum": 0},
            ],
            "examples": ["2.3456"],
        }
    ),
]
MoneyOut = Annotated[Decimal, PlainSerializer(lambda d: format(d, "f"), return_type=str)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


Limit = Annotated[int, Field(ge=1, le=1000)]
Offset = Annotated[int, Field(ge=0, le=10_000_000)]
