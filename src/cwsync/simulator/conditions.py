"""The ``conditions`` query language: a real tokenizer, parser and evaluator.

Grammar (keywords case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := term ("and" term)*
    term       := "(" expr ")" | path operator operand
    operator   := = | != | < | <= | > | >= | ["not"] contains | ["not"] like | ["not"] in
    operand    := "string" | number | [date-time] | true | false | null | "(" values ")"

Strings take ``\\"`` and ``\\\\`` escapes; any other backslash is kept as written, so
``"Back\\slash Pty"`` and ``"Back\\\\slash Pty"`` both mean ``Back\\slash Pty``. Paths use ``/``
or ``.`` (``company/id``). Text compares case-insensitively like ConnectWise's SQL
collation; ``like`` takes ``%`` as its only wildcard; ``contains`` is a literal substring.
As in SQL, a comparison with a null field is false except ``= null`` and ``!= null``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cwsync.simulator.dates import parse_cw_datetime


class ConditionError(ValueError):
    """The conditions text cannot be parsed or applied (answered as 400)."""


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_./]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?![A-Za-z0-9_])")
_COMPARE = ("=", "!=", "<", "<=", ">", ">=")
_KEYWORD_VALUES: dict[str, Any] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "(" ")" "," "op" "string" "number" "date" "word"
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "(),":
            tokens.append(Token(char, char, i))
            i += 1
        elif char == '"':
            value, i = _read_string(text, i)
            tokens.append(Token("string", value, i))
        elif char == "[":
            end = text.find("]", i)
            if end < 0:
                raise ConditionError(f"unterminated date at position {i}")
            try:
                tokens.append(Token("date", parse_cw_datetime(text[i + 1 : end]), i))
            except ValueError as exc:
                raise ConditionError(f"bad date {text[i : end + 1]!r}") from exc
            i = end + 1
        elif char in "=!<>":
            op = text[i : i + 2] if text[i : i + 2] in ("!=", "<=", ">=", "<>") else char
            if op == "!":
                raise ConditionError(f"unexpected '!' at position {i}")
            tokens.append(Token("op", "!=" if op == "<>" else op, i))
            i += len(op)
        elif (match := _NUMBER.match(text, i)) is not None:
            tokens.append(Token("number", Decimal(match.group()), i))
            i = match.end()
        elif (match := _WORD.match(text, i)) is not None:
            tokens.append(Token("word", match.group(), i))
            i = match.end()
        else:
            raise ConditionError(f"unexpected character {char!r} at position {i}")
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
        elif char == '"':
            return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    raise ConditionError(f"unterminated string starting at position {start}")


@dataclass(frozen=True, slots=True)
class Compare:
    path: tuple[str, ...]
    op: str  # = != < <= > >= contains like in
    value: Any
    negate: bool = False


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple[Node, ...]


Node = Compare | BoolOp


def parse(text: str, known_fields: Collection[str] | None = None) -> Node | None:
    """Parse conditions; ``known_fields`` (lower-case) makes unknown fields a 400."""
    tokens = tokenize(text)
    if not tokens:
        return None
    parser = _Parser(tokens, {name.lower() for name in known_fields} if known_fields else None)
    node = parser.expr()
    if parser.pos != len(tokens):
        token = tokens[parser.pos]
        raise ConditionError(f"unexpected {token.value!r} at position {token.pos}")
    return node


class _Parser:
    def __init__(self, tokens: list[Token], known: set[str] | None) -> None:
        self.tokens = tokens
        self.pos = 0
        self.known = known

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ConditionError("conditions end too early")
        self.pos += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "word" and token.value.lower() in words:
            self.pos += 1
            return str(token.value.lower())
        return None

    def expr(self) -> Node:
        items = [self.and_expr()]
        while self.keyword("or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.term()]
        while self.keyword("and"):
            items.append(self.term())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def term(self) -> Node:
        token = self.take()
        if token.kind == "(":
            node = self.expr()
            if self.take().kind != ")":
                raise ConditionError(f"missing ')' for '(' at position {token.pos}")
            return node
        if token.kind != "word" or token.value.lower() in ("and", "or", "not", *_KEYWORD_VALUES):
            raise ConditionError(f"expected a field name at position {token.pos}")
        path = tuple(part for part in re.split(r"[/.]", token.value) if part)
        if self.known is not None and path[0].lower() not in self.known:
            raise ConditionError(f"Unknown field {token.value!r} in conditions")
        negate = self.keyword("not") is not None
        word = self.keyword("contains", "like", "in")
        if word is None:
            if negate:
                raise ConditionError(f"'not' must precede contains, like or in ({token.value})")
            op_token = self.take()
            if op_token.kind != "op":
                raise ConditionError(f"expected an operator after {token.value!r}")
            return Compare(path, op_token.value, self.value())
        if word == "in":
            return Compare(path, "in", self.value_list(), negate)
        operand = self.value()
        if not isinstance(operand, str):
            raise ConditionError(f"{word} needs a quoted string")
        return Compare(path, word, operand, negate)

    def value(self) -> Any:
        token = self.take()
        if token.kind in ("string", "number", "date"):
            return token.value
        if token.kind == "word" and token.value.lower() in _KEYWORD_VALUES:
            return _KEYWORD_VALUES[token.value.lower()]
        raise ConditionError(f"expected a value at position {token.pos}, got {token.value!r}")

    def value_list(self) -> tuple[Any, ...]:
        if self.take().kind != "(":
            raise ConditionError("in needs a parenthesised list")
        values = [self.value()]
        while (token := self.take()).kind == ",":
            values.append(self.value())
        if token.kind != ")":
            raise ConditionError(f"expected ',' or ')' at position {token.pos}")
        return tuple(values)


def matches(node: Node | None, record: Mapping[str, Any]) -> bool:
    if node is None:
        return True
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(matches(item, record) for item in node.items)
        return any(matches(item, record) for item in node.items)
    return any(_compare(node, field) for field in resolve_path(record, node.path))


def resolve_path(record: Mapping[str, Any], path: tuple[str, ...]) -> list[Any]:
    """Values at ``path``; a list along the way fans out (``types/name``)."""
    current: list[Any] = [record]
    for part in path:
        found: list[Any] = []
        for item in current:
            for element in item if isinstance(item, list) else [item]:
                if isinstance(element, Mapping):
                    found.append(_get_ci(element, part))
                else:
                    found.append(None)
        current = found
    return current or [None]


def _get_ci(mapping: Mapping[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if name.lower() == lowered:
            return value
    return None


def _compare(node: Compare, field: Any) -> bool:
    op, value = node.op, node.value
    if value is None and op in ("=", "!="):
        return (field is None) == (op == "=")
    if field is None or value is None:
        return False
    if op == "in":
        return any(_equal(field, item) for item in value) != node.negate
    if op in ("contains", "like"):
        if not isinstance(field, str):
            raise ConditionError(f"{op} needs a text field ({'/'.join(node.path)})")
        if op == "contains":
            found = value.lower() in field.lower()
        else:
            found = _like(value).fullmatch(field) is not None
        return found != node.negate
    if op == "=":
        return _equal(field, value)
    if op == "!=":
        return not _equal(field, value)
    left, right = _comparable(field, value)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _equal(field: Any, value: Any) -> bool:
    if value is None:
        return field is None
    left, right = _comparable(field, value)
    return bool(left == right)


def _comparable(field: Any, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool) or isinstance(field, bool):
        if not (isinstance(value, bool) and isinstance(field, bool)):
            raise ConditionError(f"cannot compare {field!r} with {value!r}")
        return field, value
    if isinstance(value, datetime):
        try:
            return parse_cw_datetime(str(field)), value
        except ValueError as exc:
            raise ConditionError(f"{field!r} is not a date") from exc
    if isinstance(field, int | Decimal):
        if isinstance(value, str):
            try:
                return field, Decimal(value)
            except InvalidOperation as exc:
                raise ConditionError(f"cannot compare a number with {value!r}") from exc
        return field, value
    if isinstance(value, int | Decimal):
        raise ConditionError(f"cannot compare {field!r} with a number")
    return str(field).lower(), str(value).lower()


@functools.lru_cache(maxsize=256)
def _like(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(part) for part in pattern.split("%"))
    return re.compile(".*".join(parts), re.IGNORECASE | re.DOTALL)
