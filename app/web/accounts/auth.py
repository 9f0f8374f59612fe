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
from app.services.accounts import users as accounts
from app.services.errors import TooManyAttempts
from app.web.templating import render

router = APIRouter(tags=["pages"])


def _safe_next(target: str | None) -> str:
    """Only same-site paths, never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", dependencies=[Depends(public())])
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "pages/accounts/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(public())])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    settings = request.app.state.settings
    context = {"next": _safe_next(next), "username": username}
    try:
        user = accounts.authenticate(
            session, username=username, password=password, ip=client_ip(request),
            max_failures=settings.login_max_failures,
            account_max_failures=settings.login_account_max_failures,
            window_minutes=settings.login_window_minutes,
        )
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
    if raw:
        accounts.end_session(session, raw_id=raw)
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
