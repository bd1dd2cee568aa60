"""Writing agreement additions: POST validation and JSON Patch, both all-or-nothing.

Deliberately stricter than ConnectWise where a loose answer would hide a client bug: a
stringified number, a patch sent as an object (C13) or a dotted path such as
``product.identifier`` (C14) answer 400 with the offending field named.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cwsync.simulator.fields import FieldError, decode_value
from cwsync.simulator.records import Addition
from cwsync.simulator.responses import SimResponse, field_error, invalid_object
from cwsync.simulator.state import Tenant

PATCHABLE = frozenset(
    {
        "product",
        "quantity",
        "lessIncluded",
        "unitPrice",
        "unitCost",
        "billCustomer",
        "effectiveDate",
        "cancelledDate",
        "taxableFlag",
        "invoiceDescription",
        "description",
        "serialNumber",
        "purchaseItemFlag",
        "specialOrderFlag",
        "uom",
        "sequenceNumber",
    }
)
REQUIRED = ("product", "billCustomer")
PATCH_OPS = ("replace", "add", "remove")


class WriteRefused(Exception):
    def __init__(
        self, errors: list[dict[str, Any]], message: str = "Addition object is invalid"
    ) -> None:
        super().__init__(message)
        self.response: SimResponse = invalid_object(message, errors)


def _error(code: str, message: str, field: str) -> dict[str, Any]:
    return field_error(code, message, "Addition", field)


def resolve_product(tenant: Tenant, value: Any) -> dict[str, Any]:
    """A product reference by ``id`` or ``identifier`` → ``{"id": n}`` of an addable item."""
    if not isinstance(value, dict):
        raise WriteRefused(
            [_error("InvalidField", "product must be a reference object", "product")]
        )
    item = None
    product_id = value.get("id")
    if isinstance(product_id, int) and not isinstance(product_id, bool):
        item = tenant.catalog.get(product_id)
    elif isinstance(value.get("identifier"), str):
        wanted = value["identifier"].lower()
        item = next((i for i in tenant.catalog.values() if i.identifier.lower() == wanted), None)
    if item is None:
        raise WriteRefused([_error("InvalidField", f"product {value!r} was not found", "product")])
    if item.inactive_flag:
        raise WriteRefused(
            [_error("InvalidField", f"product {item.identifier} is inactive", "product")]
        )
    if item.product_class == "Bundle":
        message = f"product {item.identifier} is a Bundle and cannot be an agreement addition"
        raise WriteRefused([_error("InvalidField", message, "product")])
    return {"id": item.id}


def build_addition(
    tenant: Tenant, agreement_id: int, body: Any, *, addition_id: int, now: datetime, by: str
) -> Addition:
    """A new addition from a POST body; raises ``WriteRefused`` with every problem found."""
    if not isinstance(body, dict):
        raise WriteRefused([], "The request body must be an Addition object")
    missing = [name for name in REQUIRED if body.get(name) is None]
    if missing:
        raise WriteRefused(
            [_error("NullValue", f"The {name} field is required.", name) for name in missing]
        )
    product = resolve_product(tenant, body["product"])
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for key, value in body.items():
        spec = Addition.spec(key)
        if spec is None or key in ("id", "agreementId", "product"):
            continue  # read-only and unknown fields are ignored, as ConnectWise does
        try:
            values[spec.attr] = decode_value(spec, value)
        except FieldError as exc:
            errors.append(_error(exc.code, exc.message, exc.field))
    if errors:
        raise WriteRefused(errors)
    item = tenant.catalog[product["id"]]
    # ConnectWise fills price, cost and description from the catalog item when not sent.
    values.setdefault("unit_price", item.price)
    values.setdefault("unit_cost", item.cost)
    values.setdefault("description", item.description)
    values.setdefault("taxable_flag", item.taxable_flag)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {"dateEntered": stamp, "enteredBy": by, "lastUpdated": stamp, "updatedBy": by}
    return Addition(id=addition_id, agreement_id=agreement_id, product=product, info=info, **values)


def plan_patch(tenant: Tenant, body: Any) -> dict[str, Any]:
    """JSON Patch operations → ``{attribute: new value}``; nothing applied on any error."""
    if not isinstance(body, list):
        message = "The PATCH body must be a JSON array of operations"
        raise WriteRefused([_error("InvalidObject", message, "body")], message)
    changes: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for index, operation in enumerate(body):
        try:
            attr, value = _plan_operation(tenant, operation, index)
        except WriteRefused as exc:
            errors.extend(exc.response.body["errors"] or [])
            continue
        changes[attr] = value
    if errors:
        raise WriteRefused(errors)
    return changes


def _plan_operation(tenant: Tenant, operation: Any, index: int) -> tuple[str, Any]:
    where = f"operation {index}"
    if not isinstance(operation, dict):
        raise WriteRefused([_error("InvalidObject", f"{where} must be an object", "body")])
    op = operation.get("op")
    path = operation.get("path")
    if not isinstance(op, str) or op.lower() not in PATCH_OPS:
        message = f"{where}: op must be one of {', '.join(PATCH_OPS)}"
        raise WriteRefused([_error("InvalidObject", message, "op")])
    if not isinstance(path, str) or not path:
        raise WriteRefused([_error("InvalidObject", f"{where}: path is required", "path")])
    name = path.removeprefix("/")
    if "/" in name or "." in name:
        message = f"{where}: path {path!r} must be a bare field name; replace references whole"
        raise WriteRefused([_error("InvalidField", message, path)])
    spec = Addition.spec(name)
    if spec is None or name not in PATCHABLE:
        message = f"{where}: {path!r} is not a field of Addition that can be patched"
        raise WriteRefused([_error("InvalidField", message, path)])
    if op.lower() == "remove":
        if name in REQUIRED:
            raise WriteRefused([_error("NullValue", f"{name} cannot be removed", name)])
        return spec.attr, None
    if "value" not in operation:
        raise WriteRefused([_error("InvalidObject", f"{where}: value is required", name)])
    value = operation["value"]
    if name == "product":
        return spec.attr, resolve_product(tenant, value)
    if value is None and name in REQUIRED:
        raise WriteRefused([_error("NullValue", f"{name} cannot be null", name)])
    try:
        return spec.attr, decode_value(spec, value)
    except FieldError as exc:
        raise WriteRefused([_error(exc.code, f"{where}: {exc.message}", name)]) from exc


def apply_patch(
    addition: Addition, changes: dict[str, Any], *, now: datetime, by: str
) -> list[str]:
    """Apply planned changes; answer the JSON names of the fields whose value changed."""
    changed = []
    for attr, value in changes.items():
        if getattr(addition, attr) != value:
            changed.append(attr)
        setattr(addition, attr, value)
    addition.info = {
        **addition.info,
        "lastUpdated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updatedBy": by,
    }
    specs = {spec.attr: spec.json for spec in Addition.FIELDS}
    return [specs[attr] for attr in changed]
