"""C13–C15 and C17 over real HTTP: PATCH bodies as typed JSON arrays with bare paths, only
the current addition written, and Decimals exact end to end with no churn.

The simulator's log keeps request bodies parsed (Decimals exact, strings as strings); the
exact bytes are read from the wire (`Wire`, an httpx event hook), i.e. what the socket got.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from cwsync.connectwise import PatchOp
from cwsync.lookups.service import additions
from cwsync.mappings.checks import MappingRefused, check_addition, check_agreement
from cwsync.simulator.testing import SimulatorServer
from cwsync.sync.plan import ClientState, plan_patch
from tests.integration.support import TENANT, ClientFactory, Wire, header, logged

SAT = 812  # INFIMA-SAT in the demo seed


def patch_bytes(wire: Wire) -> list[bytes]:
    return [e.content for e in wire.exchanges if e.method == "PATCH"]


def today(sim: SimulatorServer) -> date:
    return sim.state.clock().date()  # the clock the seed's @month dates were resolved on


async def test_c13_patch_is_an_array_of_typed_values(
    sim: SimulatorServer, make_client: ClientFactory, wire: Wire
) -> None:
    client = make_client()
    await client.patch_addition(1578, 9001, [PatchOp(path="quantity", value=Decimal("18"))])
    ops = [
        PatchOp(path="quantity", value=Decimal("5.5")),
        PatchOp(path="unitCost", value=Decimal("3.20005")),
    ]
    updated = await client.patch_addition(1578, 9001, ops)

    assert patch_bytes(wire) == [
        b'[{"op":"replace","path":"quantity","value":18}]',
        b'[{"op":"replace","path":"quantity","value":5.5},'
        b'{"op":"replace","path":"unitCost","value":3.20005}]',
    ]
    first, second = logged(sim, "/additions/9001", "PATCH")
    assert header(first, "content-type") == "application/json"
    assert second.body == [
        {"op": "replace", "path": "quantity", "value": Decimal("5.5")},
        {"op": "replace", "path": "unitCost", "value": Decimal("3.20005")},
    ]
    assert [type(op["value"]) for op in second.body] == [Decimal, Decimal]  # never "5.5"
    assert type(first.body[0]["value"]) is int
    assert (updated.quantity, updated.unit_cost) == (Decimal("5.5"), Decimal("3.20005"))
    assert [w.changed for w in sim.state.writes] == [["quantity"], ["quantity", "unitCost"]]


async def test_c14_bare_paths_and_references_replaced_whole(
    sim: SimulatorServer, make_client: ClientFactory, wire: Wire
) -> None:
    updated = await make_client().patch_addition(
        1578, 9004, [PatchOp(path="product", value={"id": 813})]
    )

    assert patch_bytes(wire) == [b'[{"op":"replace","path":"product","value":{"id":813}}]']
    assert (updated.product_id, updated.product_identifier) == (813, "INFIMA-PHISH")


@pytest.mark.parametrize("path", ["product.identifier", "product/id", "/quantity", "Unit Cost"])
def test_c14_display_paths_are_refused_before_sending(sim: SimulatorServer, path: str) -> None:
    with pytest.raises(ValidationError, match="bare field names"):
        PatchOp(path=path, value="INFIMA-PHISH")
    assert not sim.state.requests


async def test_c15_only_the_current_addition_is_picked_and_written(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    client, day = make_client(), today(sim)

    # What the API shows the partner to pick from (picked product first, current first).
    listed = await additions(client, 1578, SAT, day, 0, 100)
    assert [(a.id, a.state) for a in listed.items if a.product_id == SAT] == [
        (9001, "current"),
        (9003, "future"),
        (9002, "cancelled"),
    ]
    sat = {a.id: a async for a in client.agreement_additions(1578) if a.product_id == SAT}
    refused = {}
    for addition_id, row in sat.items():
        try:
            check_addition(row, addition_id, 1578, SAT, day)  # what saving a mapping checks
        except MappingRefused as exc:
            refused[addition_id] = exc.code
    assert refused == {9002: "addition_cancelled", 9003: "addition_not_started"}

    # The nightly plan: the cancelled one is broken, never written; the current one patched.
    state = ClientState(active_users=41, product_id=SAT)
    assert plan_patch(sat[9002], None, state, day).reason == "addition_cancelled"
    plan = plan_patch(sat[9001], None, state, day)
    assert plan.action == "patch"
    await client.patch_addition(1578, 9001, plan.ops)

    assert [(w.method, w.addition_id) for w in sim.state.writes] == [("PATCH", 9001)]


@pytest.mark.parametrize(
    ("addition_cancelled", "reason"),
    [(True, "addition_cancelled"), (False, "agreement_inactive")],
)
async def test_c15_cancelled_agreement_is_reported_not_written(
    sim: SimulatorServer, make_client: ClientFactory, addition_cancelled: bool, reason: str
) -> None:
    if not addition_cancelled:  # an addition left open on an agreement cancelled around it
        sim.state.tenants[TENANT].additions[9007].cancelled_date = None
    client, day = make_client(), today(sim)
    agreement = await client.get_agreement(1581)
    addition = await client.get_addition(1581, 9007)

    plan = plan_patch(addition, agreement, ClientState(active_users=5, product_id=SAT), day)

    assert (plan.action, plan.reason, plan.ops) == ("broken", reason, ())
    if reason == "agreement_inactive":
        assert plan.message is not None and "Cancelled" in plan.message
    with pytest.raises(MappingRefused) as refused:
        check_agreement(agreement, 1581, 253)
    assert refused.value.code == "agreement_not_active"
    assert sim.state.writes == [] and logged(sim, "/finance/", "PATCH") == []


async def test_c17_seeded_money_reads_exactly(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    client = make_client()
    seeded = await client.get_addition(1578, 9001)
    assert (seeded.unit_price, seeded.unit_cost) == (Decimal("5.2456"), Decimal("3.10005"))
    assert (await client.get_addition(1582, 9008)).quantity == Decimal("2.5")


@pytest.mark.parametrize(
    ("quantity", "price", "cost"),
    [
        ("2.5", "5.2456", "3.10005"),  # the case's input
        # 17 significant digits at six places: a double holds 15-17, so a float anywhere on
        # the way (parsing, pydantic, the encoder) would show here as ...234568.
        ("2.5", "12345678901.234567", "3.10005"),
    ],
)
async def test_c17_decimals_exact_through_a_patch_round_trip(
    sim: SimulatorServer,
    make_client: ClientFactory,
    wire: Wire,
    quantity: str,
    price: str,
    cost: str,
) -> None:
    client = make_client()
    wanted = (Decimal(quantity), Decimal(price), Decimal(cost))
    ops = [
        PatchOp(path="quantity", value=wanted[0]),
        PatchOp(path="unitPrice", value=wanted[1]),
        PatchOp(path="unitCost", value=wanted[2]),
    ]
    returned = await client.patch_addition(1578, 9004, ops)  # was 40 × 22.00 / 18.70
    again = await client.get_addition(1578, 9004)

    (sent,) = patch_bytes(wire)
    assert all(f'"value":{value}}}'.encode() in sent for value in (quantity, price, cost))
    stored = sim.state.tenants[TENANT].additions[9004]
    for got in (returned, again, stored):
        assert (got.quantity, got.unit_price, got.unit_cost) == wanted
    less = again.less_included or Decimal(0)
    assert again.ext_price == (wanted[0] - less) * wanted[1]
    assert again.ext_cost == wanted[0] * wanted[2]


async def test_c17_no_patch_when_equal_at_the_apis_precision(
    sim: SimulatorServer, make_client: ClientFactory, wire: Wire
) -> None:
    # ConnectWise may echo values with other trailing zeros than we wrote them with.
    stored = sim.state.tenants[TENANT].additions[9001]
    stored.quantity, stored.unit_cost = Decimal("40.00"), Decimal("3.1000500")
    client, day = make_client(), today(sim)
    state = ClientState(
        active_users=40, product_id=SAT, overwrite_cost=True, client_unit_cost=Decimal("3.10005")
    )

    unchanged = plan_patch(await client.get_addition(1578, 9001), None, state, day)
    assert (unchanged.action, unchanged.ops) == ("unchanged", ())

    dearer = replace(state, client_unit_cost=Decimal("3.10006"))  # one in the fifth place
    plan = plan_patch(await client.get_addition(1578, 9001), None, dearer, day)
    assert plan.ops == (PatchOp(path="unitCost", value=Decimal("3.10006")),)
    await client.patch_addition(1578, 9001, plan.ops)
    after = plan_patch(await client.get_addition(1578, 9001), None, dearer, day)

    assert after.action == "unchanged"  # the next night changes nothing
    assert patch_bytes(wire) == [b'[{"op":"replace","path":"unitCost","value":3.10006}]']
    assert len(sim.state.writes) == 1
