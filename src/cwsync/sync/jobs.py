"""Turning database rows into the planner's inputs for one client."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from cwsync.models import Client, Mapping, Partner
from cwsync.sync.billing_month import TimeZone, as_zone
from cwsync.sync.context import ClientJob
from cwsync.sync.plan import ClientState


def end_of_local_day(day: date, tz: TimeZone) -> datetime:
    """The instant the partner's `day` ends (UTC): counts reported before it belong to it."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=as_zone(tz)).astimezone(UTC)


def client_job(
    client: Client,
    mapping: Mapping,
    partner: Partner,
    product_id: int | None,
    active_users: int | None,
) -> ClientJob:
    return ClientJob(
        client_id=client.id,
        mapping_id=mapping.id,
        agreement_id=mapping.agreement_id,
        addition_id=mapping.addition_id,
        include_pro_rata=client.include_pro_rata,
        state=ClientState(
            active_users=active_users,
            product_id=product_id,
            overwrite_cost=client.overwrite_cost,
            client_unit_cost=client.unit_cost,
            partner_unit_cost=partner.unit_cost,
        ),
        mapping_status=mapping.status,
        mapping_warnings=tuple(mapping.warnings or ()),
    )
