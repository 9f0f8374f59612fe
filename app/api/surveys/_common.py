"""What every survey API module shares: the permission dependencies and exact numbers."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel, Field

from app.deps import requires
from app.domain.surveys.indices import round_half_up
from app.security.principal import Principal

ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("surveys.write"))]
WriteAny = Annotated[Principal, Depends(requires("surveys.write", unit_param=None))]
#: surveys.write, or a survey kiosk's credential (its own campaign only: the service checks).
WriteOrKiosk = Annotated[
    Principal, Depends(requires("surveys.write", unit_param=None, kiosk=True))
]
ManageAny = Annotated[Principal, Depends(requires("surveys.manage", unit_param=None))]
ManageUnit = Annotated[Principal, Depends(requires("surveys.manage"))]
DeleteAny = Annotated[Principal, Depends(requires("surveys.delete", unit_param=None))]
ReviewAny = Annotated[Principal, Depends(requires("surveys.review", unit_param=None))]


def exact(value: Fraction | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"exact": f"{value.numerator}/{value.denominator}"
            if value.denominator != 1 else str(value.numerator),
            "rounded": str(round_half_up(value, 2))}


class ExactNumber(BaseModel):
    exact: str = Field(description="Exact value: an integer or a fraction 'p/q'.")
    rounded: str = Field(description="Half-up to 2 decimals, dot separator.")
