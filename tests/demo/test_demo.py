"""`make demo`'s flow, run for real: three processes, the REST API, the scheduler's run.

Asserts on the simulator's final state (what ConnectWise would hold), not on the printout.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from cwsync.clock import utcnow
from cwsync.demo.flow import DEMO_CLIENTS, DEMO_TIMEZONE
from cwsync.demo.main import run_demo
from cwsync.sync.billing_month import cw_date, last_day_of_month, month_start, previous_month

pytestmark = pytest.mark.slow

PRIMARY_COST = Decimal("3.10005")  # the seed's unit cost on every INFIMA addition
PRIMARY_PRICE = Decimal("5.2456")


def _additions(state: dict[str, Any]) -> dict[int, dict[str, Any]]:
    tenant = state["tenants"][0]
    return {a["id"]: a for a in tenant["additions"]}


def test_demo_runs_the_whole_job(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo", console=Console(file=open("/dev/null", "w")))

    assert result.ok, "the demo failed; see its logs in the test's tmp_path"
    assert result.run["status"] == "succeeded"
    assert result.partner is not None
    additions = _additions(result.simulator_after)
    specs = {spec.external_id: spec for spec in DEMO_CLIENTS}
    primary_ids = set()
    for client in result.partner.clients.values():
        spec = specs[client["external_id"]]
        addition = additions[client["mapping"]["addition_id"]]
        primary_ids.add(addition["id"])
        assert Decimal(str(addition["quantity"])) == spec.today, spec.name
        expected_cost = (
            Decimal(spec.unit_cost) if spec.overwrite_cost and spec.unit_cost else PRIMARY_COST
        )
        assert Decimal(str(addition["unitCost"])) == expected_cost, spec.name

    month = previous_month(month_start(utcnow().astimezone(ZoneInfo(DEMO_TIMEZONE)).date()))
    pro_rata = [
        a
        for a in additions.values()
        if a.get("invoiceDescription") == "Security Awareness Training New Users"
    ]
    assert len(pro_rata) == 1
    (charge,) = pro_rata
    contoso = next(c for c in result.partner.clients.values() if c["external_id"] == "c-contoso")
    assert charge["agreementId"] == contoso["mapping"]["agreement_id"]
    assert Decimal(str(charge["quantity"])) == 20
    assert charge["effectiveDate"] == cw_date(month.replace(day=15))
    assert charge["cancelledDate"] == cw_date(last_day_of_month(month))
    assert Decimal(str(charge["unitPrice"])) == PRIMARY_PRICE
    assert Decimal(str(charge["unitCost"])) == PRIMARY_COST
    assert charge["billCustomer"] == "Billable"

    writes = result.simulator_writes
    assert sorted(w["method"] for w in writes) == ["PATCH"] * 4 + ["POST"]
    zurich = next(c for c in result.partner.clients.values() if c["external_id"] == "c-zurich")
    assert zurich["mapping"]["addition_id"] not in {w["addition_id"] for w in writes}


def test_demo_leaves_no_process_behind_and_runs_again(tmp_path: Path) -> None:
    import psutil

    quiet = Console(file=open("/dev/null", "w"))
    first = run_demo(tmp_path / "demo", console=quiet)
    assert first.ok
    assert psutil.Process().children(recursive=True) == []
    second = run_demo(tmp_path / "demo", console=quiet)  # same folder: fresh state again
    assert second.ok
    assert second.run["counts"]["pro_rata_created"] == 1
    assert psutil.Process().children(recursive=True) == []
