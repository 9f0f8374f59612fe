"""Field types shared by the API's response models.

`Timestamp`: every moment the API returns is RFC 3339 in UTC with a `Z`, the same on SQLite
(which hands back naive datetimes, stored as UTC) and PostgreSQL (aware ones), on every route.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

from app.domain.timestamps import rfc3339_utc

Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
