"""The demo's closing table: what the nightly run changed in ConnectWise, per client."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from cwsync.demo.flow import DemoPartner


def _arrow(before: Any, after: Any) -> str:
    if before is None and after is None:
        return "—"
    if before == after or after is None:
        return f"{before}"
    return f"{before} → {after}"


def _pro_rata(item: dict[str, Any]) -> str:
    charge = item.get("pro_rata")
    if not charge:
        return "—"
    if charge.get("quantity") in (None, 0):
        return charge.get("note", "no growth")
    text = (
        f"{charge['quantity']} × {charge.get('unit_price', '?')} "
        f"{charge.get('effective_date', '?')} … {charge.get('cancelled_date', '?')}"
    )
    if charge.get("addition_id"):
        text += f" (#{charge['addition_id']})"
    return text


def print_report(
    console: Console,
    partner: DemoPartner,
    run: dict[str, Any],
    writes: list[dict[str, Any]],
) -> None:
    by_id = {c["id"]: c for c in partner.clients.values()}
    table = Table(title=f"nightly run {run['id']} — {run['status']}", show_lines=False)
    for column in ("client", "addition", "quantity", "unit cost", "pro rata", "outcome"):
        table.add_column(column)
    order = {c["id"]: n for n, c in enumerate(partner.clients.values())}
    items = sorted(run.get("items", []), key=lambda i: order.get(i["client_id"], len(order)))
    for item in items:
        client = by_id.get(item["client_id"], {})
        outcome = item["outcome"]
        if item.get("error_code"):
            outcome += f" ({item['error_code']})"
        for warning in item.get("warnings") or []:
            outcome += (
                f"\n⚠ {warning.get('message', warning) if isinstance(warning, dict) else warning}"
            )
        table.add_row(
            client.get("name", item["client_id"]),
            str(client.get("mapping", {}).get("addition_id", "?")),
            _arrow(item.get("quantity_before"), item.get("quantity_after")),
            _arrow(item.get("unit_cost_before"), item.get("unit_cost_after")),
            _pro_rata(item),
            outcome,
        )
    console.print(table)
    counts = dict(run.get("counts") or {})
    if counts:
        total = counts.pop("total", sum(counts.values()))
        parts = [f"{n} {outcome.replace('_', ' ')}" for outcome, n in counts.items() if n]
        console.print(f"{total} clients: " + ", ".join(parts))
    console.print("What ConnectWise received (the simulator's write log):")
    for write in writes:
        fields = ", ".join(write.get("changed") or []) or "new addition"
        console.print(
            f"  {write['method']:5} agreement {write['agreement_id']} "
            f"addition {write['addition_id']}: {fields}"
        )
