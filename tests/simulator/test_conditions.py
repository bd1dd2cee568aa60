"""The conditions language, in process: tokenizer, parser and evaluation rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cwsync.simulator.conditions import ConditionError, matches, parse, tokenize

RECORD: dict[str, Any] = {
    "id": 250,
    "name": 'Smith "Bob" & Sons',
    "identifier": "jo+billing",
    "deletedFlag": False,
    "quantity": Decimal("2.5"),
    "effectiveDate": "2024-01-15T00:00:00Z",
    "cancelledDate": None,
    "company": {"id": 17, "name": "Back\\slash Pty"},
    "types": [{"id": 1, "name": "Client"}, {"id": 4, "name": "Partner"}],
}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ('name = "Smith \\"Bob\\" & Sons"', True),
        ('name = "smith \\"bob\\" & sons"', True),  # case-insensitive like CW's collation
        ('name = "Smith "', False),
        ('name != "Other"', True),
        ('name contains "\\"Bob\\""', True),
        ('name not contains "Bob"', False),
        ('name like "Smith%Sons"', True),
        ('name like "Smith%"', True),
        ('name like "%Bob"', False),
        ('identifier = "jo+billing"', True),
        ("id = 250", True),
        ("id in (1, 250, 3)", True),
        ("id not in (1, 2)", True),
        ("id > 249 and id <= 250", True),
        ("id < 250", False),
        ("id >= 251 or id = 250", True),
        ("quantity = 2.5", True),
        ("quantity = 2.50", True),
        ("quantity > 2.49", True),
        ("deletedFlag = False", True),
        ("deletedFlag = true", False),
        ("cancelledDate = null", True),
        ("cancelledDate != null", False),
        ('cancelledDate = "x"', False),  # SQL: a comparison with NULL is never true
        ("effectiveDate = [2024-01-15T00:00:00Z]", True),
        ("effectiveDate < [2024-02-01T00:00:00Z]", True),
        ("company/id = 17", True),
        ("company.id = 17", True),
        ('company/name = "Back\\\\slash Pty"', True),  # escaped backslash
        ('company/name = "Back\\slash Pty"', True),  # a lone backslash is kept as written
        ('types/name = "Partner"', True),  # lists fan out
        ("(id = 1 or id = 250) and deletedFlag = False", True),
        ("id = 1 or id = 2 and id = 250", False),  # and binds tighter than or
        ('NAME = "smith \\"bob\\" & sons" AND Id = 250', True),  # keywords and fields any case
        ("", True),
    ],
)
def test_conditions_evaluate(conditions: str, expected: bool) -> None:
    assert matches(parse(conditions), RECORD) is expected


@pytest.mark.parametrize(
    "conditions",
    [
        'name = "unterminated',
        "name = 'single quotes'",
        "name =",
        "= 5",
        "id = 5 and",
        "(id = 5",
        "id = 5)",
        "id ! 5",
        "id in 5",
        "id in (1, 2",
        "effectiveDate = [not a date]",
        "effectiveDate = [2024-01-15",
        "name not = 5",
        "name like 5",
        "id = 25x",
    ],
)
def test_malformed_conditions_are_refused(conditions: str) -> None:
    with pytest.raises(ConditionError):
        parse(conditions)


def test_unknown_fields_are_refused_when_fields_are_known() -> None:
    with pytest.raises(ConditionError, match="Unknown field"):
        parse('nmae = "x"', {"name", "id"})
    assert parse('NAME = "x"', {"name", "id"}) is not None


def test_type_mismatch_is_an_error_not_a_silent_miss() -> None:
    with pytest.raises(ConditionError):
        matches(parse('id = "abc"'), RECORD)
    with pytest.raises(ConditionError):
        matches(parse("name > 5"), RECORD)


def test_tokenizer_keeps_numbers_exact_and_strings_unescaped() -> None:
    tokens = tokenize('unitPrice = 5.2456 and name = "a\\"b\\\\c"')
    values = [token.value for token in tokens]
    assert values == ["unitPrice", "=", Decimal("5.2456"), "and", "name", "=", 'a"b\\c']
