"""How Zona writes a moment for other systems: RFC 3339 in UTC with a `Z`.

One rule for the API's `Timestamp`, the audit snapshots and webhook payloads, so the same
moment reads the same everywhere, on SQLite (naive datetimes, stored as UTC) and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339_utc(value: datetime) -> str:
    """`2026-12-04T09:58:48.123456Z`: naive values are UTC (how Zona stores them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
