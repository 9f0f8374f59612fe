"""Single sign-on pages: start, the provider's redirect back, linking, access requests.

Thin: the protocol is app/services/accounts/oidc.py, the use cases app/services/accounts/sso.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.deps import SESSION_COOKIE, SessionDep, public, requires, session_serializer
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services.accounts import sso
from app.web.accounts.auth import _renew_csrf_cookie, _safe_next
from app.web.templating import render

router = APIRouter(tags=["pages"])

SSO_COOKIE = "zona_sso"  # the state of the sign-in under way, signed, for /sso only
SSO_COOKIE_SECONDS = int(sso.LOGIN_TTL.total_seconds())


def sso_config(request: Request) -> sso.Config | None:
    state = request.app.state
    return sso.config_from(state.settings, getattr(state, "oidc", None), state.secret_key)


def _base(request: Request) -> str:
    return request.app.state.settings.base_url.rstrip("/")


def _state_serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="zona-sso-state")


def _refused(request: Request, refusal: sso.SsoRefused) -> Response:
    response = render(
        request, "pages/accounts/sso_refused.html",
        {"title": _(refusal.title), "message": _(refusal.message), "reason": refusal.reason},
        status_code=refusal.status_code,
    )
    response.delete_cookie(SSO_COOKIE, path="/sso")
    return response


def _to_provider(request: Request, url: str, state: str) -> Response:
    return _with_state_cookie(request, RedirectResponse(url, status_code=303), state)


def _with_state_cookie(request: Request, response: Response, state: str) -> Response:
    response.set_cookie(
        SSO_COOKIE, _state_serializer(request).dumps(state), max_age=SSO_COOKIE_SECONDS,
        httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/sso",
    )
    return response


@router.get("/sso/login", dependencies=[Depends(public())])
def sso_login(request: Request, session: SessionDep, next: str = "/") -> Response:
    config = sso_config(request)
    if config is None:
        return _refused(request, sso.SsoRefused("not-configured"))
    try:
        url, state = sso.begin(
            session, config=config, redirect_uri=_base(request) + "/sso/callback",
            next_path=_safe_next(next.replace("\x00", "")),
        )
    except sso.SsoRefused as refusal:
        return _refused(request, refusal)
    return _to_provider(request, url, state)


@router.get("/sso/callback")
def sso_callback(  # public: the signed state cookie and the pending sign-in prove the browser
    request: Request, session: SessionDep,
    principal: Annotated[Principal | None, Depends(public())],
) -> Response:
    config = sso_config(request)
    if config is None:
        return _refused(request, sso.SsoRefused("not-configured"))
    browser_state = None
    cookie = request.cookies.get(SSO_COOKIE)
    if cookie:
        try:
            browser_state = _state_serializer(request).loads(cookie, max_age=SSO_COOKIE_SECONDS)
        except BadSignature:
            browser_state = None
    # What the provider (or anyone) put in the query: bounded, and no NUL (no column holds one).
    params = {k: v[:4000].replace("\x00", "") for k, v in request.query_params.items()}
    try:
        done = sso.complete(
            session, config=config, params=params,
            browser_state=browser_state if isinstance(browser_state, str) else None,
            redirect_uri=_base(request) + "/sso/callback",
            current_user_id=principal.user_id if principal else None,
        )
    except sso.SsoRefused as refusal:
        return _refused(request, refusal)
    if done.linked:
        response = RedirectResponse("/account/sso?linked=1", status_code=303)
        response.delete_cookie(SSO_COOKIE, path="/sso")
        return response
    settings = request.app.state.settings
    cookie_value = session_serializer(settings, request.app.state.secret_key).dumps(
        done.raw_session_id)
    response = RedirectResponse(_safe_next(done.next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, cookie_value, max_age=settings.session_hours * 3600, httponly=True,
        samesite="lax", secure=request.url.scheme == "https", path="/",
    )
    response.delete_cookie(SSO_COOKIE, path="/sso")
    _renew_csrf_cookie(request, response)
    return response


@router.get("/account/sso")
def account_sso(
    request: Request, session: SessionDep,
    principal: Annotated[Principal, Depends(requires("unit.read", unit_param=None))],
    linked: int = 0,
) -> Response:
    config = sso_config(request)
    return render(request, "pages/accounts/sso_account.html", {
        "enabled": config is not None,
        "sso_name": request.app.state.settings.oidc_name,
        "identities": sso.identities(session, actor=principal),
        "flash": _("Akun SSO tertaut. Anda kini dapat masuk dengan SSO.") if linked else None,
    })


@router.post("/sso/link")
def sso_link(
    request: Request, session: SessionDep,
    principal: Annotated[Principal, Depends(requires("unit.read", unit_param=None))],
) -> Response:
    config = sso_config(request)
    if config is None:
        return _refused(request, sso.SsoRefused("not-configured"))
    try:
        url, state = sso.begin(
            session, config=config, redirect_uri=_base(request) + "/sso/callback",
            next_path="/account/sso", link_user_id=principal.user_id,
        )
    except sso.SsoRefused as refusal:
        return _refused(request, refusal)
    # A page, not a redirect: after a form post, CSP form-action 'self' allows only Zona.
    response = render(request, "pages/accounts/sso_redirect.html", {
        "target": url, "title": _("Tautkan akun SSO"),
        "message": _("Masuk di penyedia identitas untuk menautkan akun SSO Anda."),
    })
    return _with_state_cookie(request, response, state)


@router.get("/admin/sso-requests")
def access_requests(
    request: Request, session: SessionDep,
    principal: Annotated[Principal, Depends(requires("users.manage", unit_param=None))],
    all: int = 0,
) -> Response:
    rows = sso.access_requests(session, actor=principal, include_resolved=bool(all))
    return render(request, "pages/accounts/sso_requests.html",
                  {"rows": rows, "show_all": bool(all)})


@router.post("/admin/sso-requests/{request_id}/resolve")
def resolve_access_request(
    request: Request, session: SessionDep,
    principal: Annotated[Principal, Depends(requires("users.manage", unit_param=None))],
    request_id: Annotated[int, Path(ge=1)],
) -> Response:
    sso.resolve_access_request(session, actor=principal, request_id=request_id)
    return RedirectResponse("/admin/sso-requests", status_code=303)
