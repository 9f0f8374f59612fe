"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SessionDep,
    client_ip,
    new_csrf_cookie_id,
    public,
    session_serializer,
)
from app.i18n import gettext as _
from app.services.accounts import sso
from app.services.accounts import users as accounts
from app.services.errors import Forbidden, TooManyAttempts
from app.web.templating import render

router = APIRouter(tags=["pages"])


def _safe_next(target: str | None) -> str:
    """Only same-site paths, never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_context(request: Request, **context) -> dict:
    """What the sign-in page shows: the SSO button when configured, the password form for
    everyone, or (passwords turned off) folded away for the break-glass administrators."""
    settings = request.app.state.settings
    sso_enabled = getattr(request.app.state, "oidc", None) is not None
    password_form = "open"
    if sso_enabled and not settings.oidc_local_login:
        password_form = "admins" if settings.oidc_local_admin_names() else "none"
    return {"error": None, **context, "sso_enabled": sso_enabled,
            "sso_name": settings.oidc_name, "password_form": password_form}


def _password_usernames(request: Request) -> frozenset[str] | None:
    settings = request.app.state.settings
    if getattr(request.app.state, "oidc", None) is None or settings.oidc_local_login:
        return None
    return settings.oidc_local_admin_names()


@router.get("/login", dependencies=[Depends(public())])
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "pages/accounts/login.html",
                  _login_context(request, next=_safe_next(next)))


@router.post("/login", dependencies=[Depends(public())])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    settings = request.app.state.settings
    context = _login_context(request, next=_safe_next(next), username=username)
    try:
        user = accounts.authenticate(
            session, username=username, password=password, ip=client_ip(request),
            max_failures=settings.login_max_failures,
            account_max_failures=settings.login_account_max_failures,
            window_minutes=settings.login_window_minutes,
            password_usernames=_password_usernames(request),
        )
    except Forbidden as exc:
        return render(request, "pages/accounts/login.html", {**context, "error": _(exc.message)},
                      status_code=403)
    except TooManyAttempts as exc:
        return render(
            request, "pages/accounts/login.html", {**context, "error": _(exc.message)},
            status_code=429, headers={"Retry-After": str(exc.retry_after)},
        )
    if user is None:
        return render(
            request, "pages/accounts/login.html",
            {**context, "error": _("Nama pengguna atau kata sandi salah.")},
            status_code=401,
        )
    raw = accounts.start_session(session, user=user, hours=settings.session_hours)
    cookie = session_serializer(settings, request.app.state.secret_key).dumps(raw)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=settings.session_hours * 3600, httponly=True,
        samesite="lax", secure=request.url.scheme == "https", path="/",
    )
    # The CSRF token now follows the new session (app.deps); the anonymous id is renewed
    # too, so a token handed out before sign-in is worth nothing after sign-out.
    _renew_csrf_cookie(request, response)
    return response


@router.post("/logout", dependencies=[Depends(public())])
def logout(request: Request, session: SessionDep) -> Response:
    raw = getattr(request.state, "session_raw_id", None)
    provider_logout = None
    if raw:
        # A session signed in through the provider ends there too, when it offers that.
        state = request.app.state
        provider_logout = sso.sign_out(
            session, config=sso.config_from(state.settings, getattr(state, "oidc", None),
                                            state.secret_key),
            raw_id=raw, post_logout_redirect_uri=state.settings.base_url.rstrip("/") + "/login",
        )
    if provider_logout:
        # On to the provider's end-session page: through a page, since a form may only post
        # to Zona itself (CSP form-action 'self' covers the redirects after a post too).
        response = render(request, "pages/accounts/sso_redirect.html", {
            "target": provider_logout, "title": _("Anda sudah keluar dari Zona"),
            "message": _("Sekarang keluar juga dari akun SSO Anda di penyedia identitas."),
        })
    else:
        response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    _renew_csrf_cookie(request, response)
    return response


def _renew_csrf_cookie(request: Request, response: Response) -> None:
    """A new anonymous CSRF id for this browser (the same flags the middleware sets)."""
    response.set_cookie(
        CSRF_COOKIE, new_csrf_cookie_id(), httponly=True, samesite="lax",
        secure=request.url.scheme == "https", path="/",
    )
