"""The simulator's typed records: companies, agreements, catalog items, additions, members.

Field names follow ConnectWise's JSON (camelCase) so a seed reads like API payloads. Fields
ConnectWise computes (``extPrice``, ``cancelledFlag``, ...) are never stored: the views in
``views.py`` derive them on every answer, so they cannot go stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Self

from cwsync.simulator.fields import FieldSpec, Kind, decode_value, encode_value

AGREEMENT_STATUSES = ("Active", "Cancelled", "Expired", "Inactive")
BILL_CUSTOMER = ("Billable", "DoNotBill", "NoCharge")
PRODUCT_CLASSES = ("Agreement", "Bundle", "Inventory", "NonInventory", "Service")

# The permissions an API member's security role can grant, named after ConnectWise's
# security modules (Company Maintenance, Agreements, Product Catalog).
ALL_PERMISSIONS = frozenset(
    {
        "company.inquire",
        "agreements.inquire",
        "agreements.add",
        "agreements.edit",
        "agreements.delete",
        "catalog.inquire",
        "catalog.add",
    }
)


class Record:
    """Generic decode/encode over the class's ``FIELDS`` table."""

    FIELDS: ClassVar[tuple[FieldSpec, ...]]
    DERIVED: ClassVar[frozenset[str]] = frozenset()
    id: int
    extra: dict[str, Any]

    @classmethod
    def spec(cls, json_name: str) -> FieldSpec | None:
        return _SPECS[cls].get(json_name)

    @classmethod
    def from_json(cls, data: dict[str, Any], *, seed_now: datetime | None = None) -> Self:
        """Build from a seed or admin payload; unknown keys are kept and echoed back."""
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            spec = cls.spec(key)
            if spec is not None:
                values[spec.attr] = decode_value(spec, value, seed_now=seed_now)
            elif key not in cls.DERIVED:
                extra[key] = value
        return cls(**values, extra=extra)  # type: ignore[call-arg]

    def update_from_json(self, data: dict[str, Any], *, seed_now: datetime | None = None) -> None:
        """Merge fields into this record (admin PATCH); decode everything before changing."""
        decoded: dict[str, Any] = {}
        for key, value in data.items():
            spec = self.spec(key)
            if spec is None:
                if key not in self.DERIVED:
                    self.extra[key] = value
                continue
            if spec.attr == "id":
                continue
            decoded[spec.attr] = decode_value(spec, value, seed_now=seed_now)
        for attr, value in decoded.items():
            setattr(self, attr, value)

    def to_json(self) -> dict[str, Any]:
        """Stored fields in ConnectWise JSON form (``None`` kept), then the extra keys."""
        out = {spec.json: encode_value(spec, getattr(self, spec.attr)) for spec in self.FIELDS}
        out.update(self.extra)
        return out


@dataclass(eq=False)
class Member(Record):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("public_key", "public_key", Kind.STR),
        FieldSpec("private_key", "private_key", Kind.STR),
        FieldSpec("identifier", "identifier", Kind.STR),
        FieldSpec("active", "active", Kind.BOOL),
    )
    public_key: str
    private_key: str
    identifier: str = "api-member"
    active: bool = True
    permissions: set[str] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any], *, seed_now: datetime | None = None) -> Self:
        payload = dict(data)
        permissions = payload.pop("permissions", [])
        member = super().from_json(payload, seed_now=seed_now)
        member.permissions = expand_permissions(permissions)
        return member

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["permissions"] = sorted(self.permissions)
        return out


def expand_permissions(value: Any) -> set[str]:
    """``"*"`` (or ``["*"]``) grants every permission; anything else is taken literally."""
    if value == "*" or (isinstance(value, list) and "*" in value):
        return set(ALL_PERMISSIONS)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("permissions must be a list of names or '*'")
    return set(value)


@dataclass(eq=False)
class Company(Record):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("id", "id", Kind.INT),
        FieldSpec("identifier", "identifier", Kind.STR, max_length=156),
        FieldSpec("name", "name", Kind.STR, max_length=156),
        FieldSpec("status", "status", Kind.REF),
        FieldSpec("deletedFlag", "deleted_flag", Kind.BOOL),
        FieldSpec("types", "types", Kind.REFS),
    )
    id: int
    identifier: str
    name: str
    status: dict[str, Any] | None = None
    deleted_flag: bool = False
    types: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Agreement(Record):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("id", "id", Kind.INT),
        FieldSpec("name", "name", Kind.STR, max_length=100),
        FieldSpec("type", "type", Kind.REF),
        FieldSpec("company", "company", Kind.REF),
        FieldSpec("contact", "contact", Kind.REF),
        FieldSpec("agreementStatus", "agreement_status", Kind.STR, choices=AGREEMENT_STATUSES),
        FieldSpec("startDate", "start_date", Kind.DATETIME),
        FieldSpec("endDate", "end_date", Kind.DATETIME),
        FieldSpec("noEndingDateFlag", "no_ending_date_flag", Kind.BOOL),
        FieldSpec("billingCycle", "billing_cycle", Kind.REF),
        FieldSpec("prorateFlag", "prorate_flag", Kind.BOOL),
        FieldSpec("billStartDate", "bill_start_date", Kind.DATETIME),
        FieldSpec("dateCancelled", "date_cancelled", Kind.DATETIME),
        FieldSpec("reasonCancelled", "reason_cancelled", Kind.STR, max_length=100),
    )
    DERIVED: ClassVar[frozenset[str]] = frozenset({"cancelledFlag", "_info"})
    id: int
    name: str
    company: dict[str, Any]
    # ConnectWise requires a type and a contact on every agreement; records made without
    # them (bulk loads) get these, so answers still match the reference schema.
    type: dict[str, Any] | None = field(default_factory=lambda: {"id": 1, "name": "Default"})
    contact: dict[str, Any] | None = field(default_factory=lambda: {"id": 1, "name": "Default"})
    agreement_status: str | None = "Active"
    start_date: datetime | None = None
    end_date: datetime | None = None
    no_ending_date_flag: bool | None = True
    billing_cycle: dict[str, Any] | None = None
    prorate_flag: bool | None = False
    bill_start_date: datetime | None = None
    date_cancelled: datetime | None = None
    reason_cancelled: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class CatalogItem(Record):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("id", "id", Kind.INT),
        FieldSpec("identifier", "identifier", Kind.STR, max_length=75),
        FieldSpec("description", "description", Kind.STR, max_length=60),
        FieldSpec("inactiveFlag", "inactive_flag", Kind.BOOL),
        FieldSpec("price", "price", Kind.DECIMAL),
        FieldSpec("cost", "cost", Kind.DECIMAL),
        FieldSpec("productClass", "product_class", Kind.STR, choices=PRODUCT_CLASSES),
        FieldSpec("taxableFlag", "taxable_flag", Kind.BOOL),
        FieldSpec("customerDescription", "customer_description", Kind.STR, max_length=6000),
        FieldSpec("subcategory", "subcategory", Kind.REF),
        FieldSpec("type", "type", Kind.REF),
        FieldSpec("category", "category", Kind.REF),
        FieldSpec("unitOfMeasure", "unit_of_measure", Kind.REF),
    )
    DERIVED: ClassVar[frozenset[str]] = frozenset({"_info"})
    id: int
    identifier: str
    description: str
    inactive_flag: bool = False
    price: Decimal | None = None
    cost: Decimal | None = None
    product_class: str | None = "NonInventory"
    taxable_flag: bool | None = False
    customer_description: str | None = None
    # Required by ConnectWise's schema; defaults keep bulk-loaded items conforming.
    subcategory: dict[str, Any] | None = field(default_factory=lambda: {"id": 1, "name": "Default"})
    type: dict[str, Any] | None = field(default_factory=lambda: {"id": 1, "name": "Default"})
    category: dict[str, Any] | None = None
    unit_of_measure: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.customer_description is None:
            self.customer_description = self.description


@dataclass(eq=False)
class Addition(Record):
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (
        FieldSpec("id", "id", Kind.INT),
        FieldSpec("agreementId", "agreement_id", Kind.INT),
        FieldSpec("product", "product", Kind.REF),
        FieldSpec("quantity", "quantity", Kind.DECIMAL),
        FieldSpec("lessIncluded", "less_included", Kind.DECIMAL),
        FieldSpec("unitPrice", "unit_price", Kind.DECIMAL),
        FieldSpec("unitCost", "unit_cost", Kind.DECIMAL),
        FieldSpec("billCustomer", "bill_customer", Kind.STR, choices=BILL_CUSTOMER),
        FieldSpec("effectiveDate", "effective_date", Kind.DATETIME),
        FieldSpec("cancelledDate", "cancelled_date", Kind.DATETIME),
        FieldSpec("taxableFlag", "taxable_flag", Kind.BOOL),
        FieldSpec("invoiceDescription", "invoice_description", Kind.STR, max_length=6000),
        FieldSpec("description", "description", Kind.STR),
        FieldSpec("serialNumber", "serial_number", Kind.STR, max_length=50),
        FieldSpec("purchaseItemFlag", "purchase_item_flag", Kind.BOOL),
        FieldSpec("specialOrderFlag", "special_order_flag", Kind.BOOL),
        FieldSpec("uom", "uom", Kind.STR),
        FieldSpec("sequenceNumber", "sequence_number", Kind.DECIMAL),
    )
    DERIVED: ClassVar[frozenset[str]] = frozenset(
        {
            "extPrice",
            "extCost",
            "margin",
            "agreementStatus",
            "billedQuantity",
            "prorateCost",
            "proratePrice",
            "extendedProrateCost",
            "extendedProratePrice",
            "prorateCurrentPeriodFlag",
            "_info",
        }
    )
    id: int
    agreement_id: int
    product: dict[str, Any]
    bill_customer: str | None = "Billable"
    quantity: Decimal | None = Decimal(1)
    less_included: Decimal | None = Decimal(0)
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    effective_date: datetime | None = None
    cancelled_date: datetime | None = None
    taxable_flag: bool | None = False
    invoice_description: str | None = None
    description: str | None = None
    serial_number: str | None = None
    purchase_item_flag: bool | None = None
    special_order_flag: bool | None = None
    uom: str | None = None
    sequence_number: Decimal | None = None
    info: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


_SPECS: dict[type[Record], dict[str, FieldSpec]] = {
    cls: {spec.json: spec for spec in cls.FIELDS}
    for cls in (Member, Company, Agreement, CatalogItem, Addition)
}
