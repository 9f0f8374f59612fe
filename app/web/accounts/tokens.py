"""API token pages of a unit, for its coordinator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep, requires
from app.domain.numbers import NumberError, parse_integer
from app.i18n import gettext as _
from app.security.principal import ALL_SCOPES, SCOPE_DESCRIPTIONS, Principal
from app.services import units
from app.services.accounts import tokens
from app.web.confirm import Step, confirmation_step
from app.web.templating import render

router = APIRouter(tags=["pages"])

TokenManager = Annotated[Principal, Depends(requires("tokens.manage"))]


def _page(
    request: Request, session: Session, principal: Principal, unit_id: int,
    issued: tokens.IssuedToken | None = None, flash: str | None = None,
) -> Response:
    unit = units.get(session, unit_id=unit_id, actor=principal, permission=tokens.MANAGE)
    return render(
        request, "pages/accounts/tokens.html",
        {"unit": unit, "tokens": tokens.list_for_unit(session, actor=principal, unit_id=unit_id),
         "scopes": {s: SCOPE_DESCRIPTIONS.get(s, "") for s in ALL_SCOPES}, "issued": issued,
         "flash": flash},
    )


@router.get("/units/{unit_id}/tokens")
def tokens_page(
    request: Request, session: SessionDep, principal: TokenManager, unit_id: int
) -> Response:
    return _page(request, session, principal, unit_id)


@router.post("/units/{unit_id}/tokens")
async def create_token(
    request: Request, session: SessionDep, principal: TokenManager, unit_id: int
) -> Response:
    form = await request.form()
    issued = tokens.create(
        session, actor=principal, unit_id=unit_id, name=str(form.get("name", ""))[:120],
        scopes=[str(s) for s in form.getlist("scopes")],
        expires_in_days=_int_or_none(form.get("expires_in_days")),
    )
    return _page(request, session, principal, unit_id, issued)


@router.post("/units/{unit_id}/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request,
    session: SessionDep,
    principal: TokenManager,
    unit_id: int,
    token_id: int,
) -> Response:
    # A token of another unit is not found here, as on the API (the service says so).
    token = tokens.get(session, actor=principal, token_id=token_id, unit_id=unit_id)
    step = await confirmation_step(request, Step(
        title=_("Cabut token") + f" '{token.name}'?",
        consequence=_("Sistem yang memakai token ini langsung tidak dapat masuk lagi. Pencabutan "
                      "tidak dapat dibatalkan; buat token baru bila perlu."),
        action=_("Ya, cabut"), cancel=f"/units/{unit_id}/tokens",
    ), context={"unit": units.get(session, unit_id=unit_id)})
    if step is not None:
        return step
    tokens.revoke(session, actor=principal, unit_id=unit_id, token_id=token_id)
    # A revoked token cannot come back (its secret may have leaked): the page says so.
    return _page(request, session, principal, unit_id, flash=_("Dicabut: token") + f" '{token.name}'. "
                 + _("Pencabutan tidak dapat dibatalkan; buat token baru bila perlu."))


def _int_or_none(value) -> int | None:
    """The days as typed ('365', '1.000'); what is not a number is 0, which the service
    refuses ("Masa berlaku 1-3650 hari.") together with every other problem of the form."""
    if value in (None, ""):
        return None
    try:
        return parse_integer(str(value))
    except NumberError:
        return 0
