"""Exception handlers: JSON `{"detail": ...}` under /api, a readable page elsewhere."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.deps import NotAuthenticated, is_api
from app.i18n import gettext
from app.services.errors import ServiceError, TooManyAttempts

HTTP_MESSAGES = {
    400: "Permintaan tidak valid.",
    401: "Silakan masuk terlebih dahulu.",
    403: "Anda tidak berwenang untuk tindakan ini.",
    404: "Halaman atau data tidak ditemukan.",
    405: "Metode tidak diizinkan untuk alamat ini.",
    413: "Data yang dikirim terlalu besar.",
    422: "Data yang dikirim tidak valid.",
    429: "Terlalu banyak permintaan. Coba lagi nanti.",
    500: "Terjadi kesalahan pada server.",
}


def _page(request: Request, status: int, message: str, problems: list[str] | None = None):
    from app.web.templating import is_htmx, render

    headers = {}
    if is_htmx(request):
        # htmx shows the message in the page's flash area instead of replacing the target.
        headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return render(
            request, "components/flash.html",
            {"message": message, "problems": problems or [], "level": "error"},
            status_code=status, headers=headers,
        )
    return render(
        request, "pages/error.html",
        {"status": status, "message": message, "problems": problems or []},
        status_code=status,
    )


def _validation_problems(exc: RequestValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where}: {error.get('msg', '')}".strip(": "))
    return problems


def install(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, _exc: NotAuthenticated) -> Response:
        if is_api(request):
            return JSONResponse(
                {"detail": "Not authenticated: send 'Authorization: Bearer <token>'."},
                status_code=401, headers={"WWW-Authenticate": "Bearer"},
            )
        target = "/login?next=" + quote(request.url.path, safe="/")
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        headers = {}
        if isinstance(exc, TooManyAttempts):
            headers["Retry-After"] = str(exc.retry_after)
        if is_api(request):
            return JSONResponse(
                {"detail": exc.detail()}, status_code=exc.status_code, headers=headers
            )
        response = _page(request, exc.status_code, gettext(exc.message), exc.problems)
        response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            errors = [
                {k: v for k, v in err.items() if k in ("loc", "msg", "type")}
                for err in exc.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        return _page(request, 422, gettext(HTTP_MESSAGES[422]), _validation_problems(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) and exc.detail else None
        default = HTTP_MESSAGES.get(exc.status_code, "Permintaan tidak dapat diproses.")
        if is_api(request):
            return JSONResponse(
                {"detail": message or default}, status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        return _page(request, exc.status_code, gettext(default))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:  # pragma: no cover
        import logging

        logging.getLogger("zona").exception("unhandled error", exc_info=exc)
        if is_api(request):
            return JSONResponse({"detail": HTTP_MESSAGES[500]}, status_code=500)
        return _page(request, 500, gettext(HTTP_MESSAGES[500]))
