"""Field types shared by the API's response models.

`Timestamp`: every moment the API returns is RFC 3339 in UTC with a `Z`, the same on SQLite
(which hands back naive datetimes, stored as UTC) and PostgreSQL (aware ones), on every route.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def rfc3339_utc(value: datetime) -> str:
    """`2026-12-04T09:58:48.123456Z`: naive values are UTC (how Zona stores them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
