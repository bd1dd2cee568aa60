"""Money arrives as decimal text: a JSON fraction has already lost digits to binary floats."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest


@pytest.mark.parametrize("raw", [b"2.30000000000000004", b"2.5", b"0.1"])
async def test_json_fractions_are_refused(admin: httpx.AsyncClient, raw: bytes) -> None:
    body = b'{"name": "Northwind", "unit_cost": ' + raw + b"}"
    response = await admin.post(
        "/v1/partners", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "decimal string" in response.text
    assert (await admin.get("/v1/partners")).json()["total"] == 0


@pytest.mark.parametrize(
    ("given", "stored"),
    [("2.3456", "2.3456"), ("2.50000000", "2.5"), (3, "3"), ("3.100050", "3.10005")],
)
async def test_decimal_strings_and_whole_numbers_are_exact(
    admin: httpx.AsyncClient, given: object, stored: str
) -> None:
    created = await admin.post("/v1/partners", json={"name": "Northwind", "unit_cost": given})
    assert created.status_code == 201, created.text
    read = await admin.get(f"/v1/partners/{created.json()['id']}")
    assert read.json()["unit_cost"] == stored
    assert Decimal(read.json()["unit_cost"]) == Decimal(str(given))
