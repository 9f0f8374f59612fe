"""The roll-up table's filters, sort and page: one model for the page's query string, the
API's query parameters and the export."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.domain import rollup as domain


def _blank_is_none(value: object) -> object:
    """A form's "all" choice arrives as an empty string."""
    return None if isinstance(value, str) and not value.strip() else value


Optional = BeforeValidator(_blank_is_none)

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
SORTS = ("missing", "total", "name", "code", "region", "step")
Sort = Literal["missing", "total", "name", "code", "region", "step"]
Step = Literal[domain.NOT_STARTED, "self_assessment", "regional_review", "tpi_review",
               "national_proposal"]


class UnitFilter(BaseModel):
    """Which work units the roll-up table lists and in what order (default: the furthest
    from their target first)."""

    model_config = ConfigDict(extra="ignore")

    year: Annotated[Annotated[int, Field(ge=2000, le=2100)] | None, Optional] = None
    region_id: Annotated[Id | None, Optional,
                         Field(description="Only the units under this regional office")] = None
    eselon1_id: Annotated[Id | None, Optional,
                          Field(description="Only the units under this eselon I office")] = None
    step: Annotated[Step | None, Optional] = None
    target: Annotated[Literal["WBK", "WBBM"] | None, Optional] = None
    verdict: Annotated[Literal["passed", "failed", "none"] | None, Optional,
                       Field(description="passed / failed its target; none: no score yet")] = None
    q: Annotated[Annotated[str, Field(max_length=100)] | None, Optional,
                 Field(description="Part of the unit's name or code")] = None
    sort: Annotated[Sort, BeforeValidator(lambda v: _blank_is_none(v) or "missing")] = "missing"
    descending: Annotated[bool | None, Optional,
                          Field(description="Default: descending for missing points, "
                                            "ascending otherwise")] = None
    limit: Annotated[int, BeforeValidator(lambda v: _blank_is_none(v) or 50),
                     Field(ge=1, le=200)] = 50
    offset: Annotated[int, BeforeValidator(lambda v: _blank_is_none(v) or 0),
                      Field(ge=0, le=1_000_000)] = 0

    @property
    def is_descending(self) -> bool:
        return self.descending if self.descending is not None else self.sort == "missing"

    def query(self, **changes) -> dict[str, str]:
        """The filters as query parameters (for sort links and the next page)."""
        values = self.model_dump() | changes
        return {k: str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in values.items() if v is not None and v != ""}
