"""ConnectWise date-times: ``2024-01-15T00:00:00Z`` in and out, always UTC.

Seeds may also say ``@month+1`` (midnight UTC on the first day of next month) or
``@day-3`` (midnight UTC three days ago) so a "future-dated" addition stays in the future
whenever the seed is loaded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^@(month|day)([+-]\d+)?$")


def format_cw_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_cw_datetime(text: str) -> datetime:
    """Parse an ISO-8601 date-time; a naive value is taken as UTC like ConnectWise does."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    parsed = datetime.fromisoformat(candidate)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def resolve_seed_datetime(text: str, now: datetime) -> datetime:
    """A seed date: absolute ISO text or a ``@month±N`` / ``@day±N`` offset from ``now``."""
    match = _RELATIVE.match(text.strip())
    if match is None:
        return parse_cw_datetime(text)
    unit, offset_text = match.groups()
    offset = int(offset_text or "0")
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return today + timedelta(days=offset)
    months = today.year * 12 + (today.month - 1) + offset
    return today.replace(year=months // 12, month=months % 12 + 1, day=1)
