"""What we send to ConnectWise: new additions, JSON Patch operations, exact JSON bytes.

Money and quantities are written as JSON numbers with exactly the digits of the `Decimal`
(5.2456 stays 5.2456; the stdlib encoder would need a float and could round). PATCH bodies
are always a JSON array of `{"op","path","value"}` with bare, case-sensitive field names and
typed values (C13, C14); references are replaced whole (`{"id": …}`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

BillCustomer = Literal["Billable", "DoNotBill", "NoCharge"]
PatchValue = Decimal | int | str | bool | date | dict[str, Any] | None


def cw_date(day: date) -> str:
    """ConnectWise's date form: midnight UTC of the day, `YYYY-MM-DDT00:00:00Z`."""
    return f"{day:%Y-%m-%d}T00:00:00Z"


def dump_json(value: Any) -> bytes:
    """Compact JSON with Decimals as exact numbers and dates in ConnectWise's form."""
    return _encode(value).encode("utf-8")


def _encode(value: Any) -> str:
    if value is None or isinstance(value, bool | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, datetime):
        raise TypeError("send dates as datetime.date; ConnectWise takes midnight UTC days")
    if isinstance(value, date):
        return json.dumps(cw_date(value))
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats round money: pass a Decimal")
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


class PatchOp(BaseModel):
    """One JSON Patch operation, e.g. `PatchOp(path="quantity", value=Decimal("18"))`."""

    model_config = ConfigDict(frozen=True)

    op: Literal["replace", "add", "remove"] = "replace"
    path: str
    value: PatchValue = None

    @field_validator("path")
    @classmethod
    def _bare_field(cls, path: str) -> str:
        # Display paths like "product.identifier" or "/quantity" are refused by ConnectWise.
        if not path.isidentifier():
            raise ValueError(f"patch paths are bare field names, got {path!r}")
        return path

    @field_validator("value", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("floats round money: pass a Decimal")
        return value

    def body(self) -> dict[str, Any]:
        return {"op": self.op, "path": self.path, "value": self.value}


def patch_body(ops: Sequence[PatchOp]) -> bytes:
    """The exact PATCH body: always an array, even for one operation."""
    if not ops:
        raise ValueError("a patch needs at least one operation")
    return dump_json([op.body() for op in ops])


class NewAddition(BaseModel):
    """A new agreement addition. Quantity, price, cost and dates are sent explicitly so
    ConnectWise defaults (catalog price, today) never decide what a partner bills."""

    model_config = ConfigDict(frozen=True)

    product_id: int
    bill_customer: BillCustomer = "Billable"
    quantity: Decimal
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    effective_date: date | None = None
    cancelled_date: date | None = None
    invoice_description: str | None = None
    description: str | None = None

    @field_validator("quantity", "unit_price", "unit_cost", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("floats round money: pass a Decimal")
        return value

    def body(self) -> bytes:
        fields: dict[str, Any] = {
            "product": {"id": self.product_id},
            "billCustomer": self.bill_customer,
            "quantity": self.quantity,
            "unitPrice": self.unit_price,
            "unitCost": self.unit_cost,
            "effectiveDate": self.effective_date,
            "cancelledDate": self.cancelled_date,
            "invoiceDescription": self.invoice_description,
            "description": self.description,
        }
        return dump_json({k: v for k, v in fields.items() if v is not None})
