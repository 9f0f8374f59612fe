"""The switch of a unit's public survey results page (/hasil/<unit code>) over JSON.

The page itself is for everyone and has no JSON twin: the API gives data to token holders
only (docs/surveys-results-public.md).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.surveys._common import ManageUnit, ReadUnit
from app.deps import SessionDep
from app.services import units
from app.services.surveys import publication
from app.services.surveys.inputs import PublicationIn

router = APIRouter(tags=["surveys"])


class PublicationOut(BaseModel):
    unit_id: int
    published: bool = Field(description="Whether the public results page shows the unit's "
                            "results (on unless a coordinator turned it off)")
    public_path: str = Field(description="The public results page, /hasil/<unit code>")


def _out(session, unit_id: int, published: bool) -> PublicationOut:
    unit = units.get(session, unit_id=unit_id)
    return PublicationOut(unit_id=unit_id, published=published,
                          public_path=f"/hasil/{quote(unit.code, safe='')}")


@router.get("/units/{unit_id}/survey-publication", response_model=PublicationOut)
def get_publication(session: SessionDep, principal: ReadUnit, unit_id: int):
    """Whether the unit publishes its survey results on the public page, and where."""
    units.get(session, unit_id=unit_id, actor=principal)
    return _out(session, unit_id,
                publication.is_published(session, unit_id=unit_id, actor=principal))


@router.put("/units/{unit_id}/survey-publication", response_model=PublicationOut)
def set_publication(session: SessionDep, principal: ManageUnit, unit_id: int,
                    body: PublicationIn):
    """Turn the unit's public results page on or off (audited; repeating it changes nothing)."""
    published = publication.set_published(session, actor=principal, unit_id=unit_id,
                                           published=body.published)
    return _out(session, unit_id, published)
