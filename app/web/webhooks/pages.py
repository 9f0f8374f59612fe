"""A unit's webhook subscriptions, their delivery log and redelivery, for its coordinator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.deps import SessionDep, SettingsDep, requires
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid
from app.services.webhooks import deliveries, subscriptions
from app.services.webhooks.events import EVENT_TYPES
from app.services.webhooks.subscriptions import MANAGE, SubscriptionInput
from app.web.confirm import Step, confirmation_step
from app.web.templating import render
from app.web.undo import notice

router = APIRouter(tags=["pages"])
Manager = Annotated[Principal, Depends(requires(MANAGE))]


def _checked(form, name: str) -> bool:
    return str(form.get(name, "")) in ("1", "on", "true", "ya")


def _form_input(form, *, admin_flags: bool) -> SubscriptionInput:
    """The subscription form as the service's input (the flags only from an admin's form)."""
    return SubscriptionInput(
        url=str(form.get("url", ""))[:2100],
        events=[str(e) for e in form.getlist("events")],
        description=str(form.get("description", ""))[:300],
        active=_checked(form, "active"),
        include_subtree=_checked(form, "include_subtree") if admin_flags else None,
        allow_private=_checked(form, "allow_private") if admin_flags else None,
    )


def _list_page(request: Request, session: Session, principal: Principal, unit_id: int, *,
               form: dict | None = None, problems: list[str] | None = None,
               status_code: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id, actor=principal, permission=MANAGE)
    return render(
        request, "pages/webhooks/list.html",
        {"unit": unit, "subscriptions": subscriptions.list_for_unit(
            session, actor=principal, unit_id=unit_id),
         "event_types": EVENT_TYPES, "form": form or {"events": []},
         "problems": problems or [], "is_admin": principal.is_admin,
         **_undo(request, session, principal, unit_id)},
        status_code=status_code,
    )


def _named(sub) -> str:
    return _("Langganan webhook") + f" '{sub.url}'"


def _undo(request: Request, session: Session, principal: Principal, unit_id: int) -> dict:
    return notice(
        request,
        deleted=lambda i: _named(subscriptions.deleted(
            session, actor=principal, subscription_id=i, unit_id=unit_id)),
        restored=lambda i: _named(subscriptions.get(
            session, actor=principal, subscription_id=i, unit_id=unit_id)),
        action=lambda i: f"/units/{unit_id}/webhooks/{i}/restore",
        note=_("Peristiwa selama langganan terhapus tidak dikirim susulan."))


def _form_dict(form) -> dict:
    return {"url": form.get("url", ""), "description": form.get("description", ""),
            "events": form.getlist("events"), "include_subtree": _checked(form, "include_subtree"),
            "allow_private": _checked(form, "allow_private")}


@router.get("/units/{unit_id}/webhooks")
def webhooks_page(request: Request, session: SessionDep, principal: Manager,
                  unit_id: int) -> Response:
    return _list_page(request, session, principal, unit_id)


@router.post("/units/{unit_id}/webhooks")
async def create_subscription(request: Request, session: SessionDep, settings: SettingsDep,
                              principal: Manager, unit_id: int) -> Response:
    form = await request.form()
    try:
        # In a thread: the receiver's host name is resolved (app.services.webhooks.urls).
        sub = await run_in_threadpool(
            subscriptions.create, session, actor=principal, unit_id=unit_id,
            data=_form_input(form, admin_flags=True),
            allow_private_setting=settings.webhooks_allow_private,
        )
    except Invalid as exc:
        return _list_page(request, session, principal, unit_id, form=_form_dict(form),
                          problems=exc.problems or [exc.message], status_code=422)
    return RedirectResponse(f"/units/{unit_id}/webhooks/{sub.id}?created=1", status_code=303)


def _detail(request: Request, session: Session, principal: Principal, unit_id: int,
            subscription_id: int, *, problems: list[str] | None = None,
            status_code: int = 200) -> Response:
    unit = units.get(session, unit_id=unit_id, actor=principal, permission=MANAGE)
    sub = subscriptions.get(session, actor=principal, subscription_id=subscription_id,
                            unit_id=unit_id)
    status = request.query_params.get("status") or None
    if status not in deliveries.STATUS_NAMES:
        status = None
    page = deliveries.list_for_subscription(
        session, actor=principal, subscription_id=sub.id, status=status, limit=50,
    )
    return render(
        request, "pages/webhooks/detail.html",
        {"unit": unit, "sub": sub, "page": page, "event_types": EVENT_TYPES,
         "status_names": deliveries.STATUS_NAMES, "status": status,
         "created": request.query_params.get("created") == "1",
         "problems": problems or [], "is_admin": principal.is_admin},
        status_code=status_code,
    )


@router.get("/units/{unit_id}/webhooks/{subscription_id}")
def subscription_page(request: Request, session: SessionDep, principal: Manager, unit_id: int,
                      subscription_id: int) -> Response:
    return _detail(request, session, principal, unit_id, subscription_id)


@router.post("/units/{unit_id}/webhooks/{subscription_id}")
async def update_subscription(request: Request, session: SessionDep, settings: SettingsDep,
                              principal: Manager, unit_id: int,
                              subscription_id: int) -> Response:
    sub = subscriptions.get(session, actor=principal, subscription_id=subscription_id,
                            unit_id=unit_id)
    form = await request.form()
    data = _form_input(form, admin_flags=principal.is_admin)
    try:
        await run_in_threadpool(
            subscriptions.update, session, actor=principal, subscription_id=sub.id, data=data,
            allow_private_setting=settings.webhooks_allow_private)
    except Invalid as exc:
        session.rollback()
        return _detail(request, session, principal, unit_id, subscription_id,
                       problems=exc.problems or [exc.message], status_code=422)
    return RedirectResponse(f"/units/{unit_id}/webhooks/{sub.id}", status_code=303)


@router.post("/units/{unit_id}/webhooks/{subscription_id}/rotate-secret")
def rotate_secret(session: SessionDep, principal: Manager, unit_id: int,
                  subscription_id: int) -> Response:
    sub = subscriptions.get(session, actor=principal, subscription_id=subscription_id,
                            unit_id=unit_id)
    subscriptions.rotate_secret(session, actor=principal, subscription_id=sub.id)
    return RedirectResponse(f"/units/{unit_id}/webhooks/{sub.id}", status_code=303)


@router.post("/units/{unit_id}/webhooks/{subscription_id}/delete")
async def delete_subscription(request: Request, session: SessionDep, principal: Manager,
                              unit_id: int, subscription_id: int) -> Response:
    sub = subscriptions.get(session, actor=principal, subscription_id=subscription_id,
                            unit_id=unit_id)
    step = await confirmation_step(request, Step(
        title=_("Hapus") + f" {_named(sub)}?",
        consequence=_("Pengiriman ke alamat ini berhenti. Riwayat pengiriman tetap tersimpan, "
                      "dan Anda dapat membatalkan penghapusan sesudahnya."),
        action=_("Ya, hapus"), cancel=f"/units/{unit_id}/webhooks/{sub.id}"),
        context={"unit": units.get(session, unit_id=unit_id)})
    if step is not None:
        return step
    subscriptions.delete(session, actor=principal, subscription_id=sub.id)
    return RedirectResponse(f"/units/{unit_id}/webhooks?deleted={sub.id}", status_code=303)


@router.post("/units/{unit_id}/webhooks/{subscription_id}/restore")
def restore_subscription(session: SessionDep, principal: Manager, unit_id: int,
                         subscription_id: int) -> Response:
    """Undo a delete: the subscription is live again, active as it was."""
    subscriptions.restore(session, actor=principal, subscription_id=subscription_id,
                          unit_id=unit_id)
    return RedirectResponse(f"/units/{unit_id}/webhooks?restored={subscription_id}",
                            status_code=303)


@router.post("/units/{unit_id}/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver")
def redeliver(session: SessionDep, principal: Manager, unit_id: int, subscription_id: int,
              delivery_id: int) -> Response:
    sub = subscriptions.get(session, actor=principal, subscription_id=subscription_id,
                            unit_id=unit_id)
    deliveries.redeliver(session, actor=principal, delivery_id=delivery_id,
                         subscription_id=sub.id)
    return RedirectResponse(f"/units/{unit_id}/webhooks/{sub.id}", status_code=303)
