"""Exception handlers: JSON `{"detail": ...}` under /api, a readable page elsewhere."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.deps import IdempotentReplay, NotAuthenticated, is_api
from app.i18n import gettext
from app.middleware import BODY_MESSAGE, BodyRefused
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

# Last resort when the database itself refuses a value the services did not check first
# (a duplicate the unique constraint caught, a NUL byte or an over-long text on PostgreSQL,
# a number out of the column's range). The services validate; these keep a gap a 4xx.
CONFLICT_MESSAGE = (
    "Data tidak dapat disimpan karena bertentangan dengan data yang sudah ada "
    "(misalnya kode atau nomor yang sama sudah dipakai). Tidak ada yang diubah."
)
DATA_MESSAGE = (
    "Data tidak dapat disimpan: ada nilai yang terlalu panjang, terlalu besar, atau berisi "
    "karakter yang tidak diizinkan. Tidak ada yang diubah."
)


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


# Pydantic's error types in the words a person reads on a page (the API keeps pydantic's
# structured errors, which clients parse).
VALIDATION_WORDS = {
    "missing": "wajib diisi",
    "int_parsing": "harus berupa bilangan bulat",
    "int_type": "harus berupa bilangan bulat",
    "int_from_float": "harus berupa bilangan bulat",
    "float_parsing": "harus berupa angka",
    "float_type": "harus berupa angka",
    "decimal_parsing": "harus berupa angka",
    "finite_number": "harus berupa angka",
    "bool_parsing": "harus ya atau tidak",
    "date_from_datetime_parsing": "harus berupa tanggal (TTTT-BB-HH)",
    "date_parsing": "harus berupa tanggal (TTTT-BB-HH)",
    "date_type": "harus berupa tanggal (TTTT-BB-HH)",
    "datetime_parsing": "harus berupa tanggal dan jam",
    "string_too_long": "terlalu panjang",
    "string_too_short": "terlalu pendek",
    "too_long": "terlalu banyak isian",
    "greater_than": "terlalu kecil",
    "greater_than_equal": "terlalu kecil",
    "less_than": "terlalu besar",
    "less_than_equal": "terlalu besar",
    "enum": "bukan pilihan yang tersedia",
    "literal_error": "bukan pilihan yang tersedia",
    "string_type": "harus berupa teks",
    "value_error": "tidak valid",
}


def _validation_problems(exc: RequestValidationError) -> list[str]:
    """One Indonesian line per invalid field: the field's name and what is wrong with it."""
    problems = []
    for error in exc.errors():
        where = ".".join(
            str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")
        )
        words = gettext(VALIDATION_WORDS.get(error.get("type", ""), "tidak valid"))
        problem = gettext("Isian '{field}' {words}.").format(field=where, words=words) \
            if where else words
        if problem not in problems:
            problems.append(problem)
    return problems


def _database_refusal(request: Request, exc: Exception, status: int, message: str) -> Response:
    """A constraint or type the database enforced: the client's input, so a 4xx.

    Logged as a warning: each one is a check missing in a service, worth adding there.
    """
    import logging

    logging.getLogger("zona").warning(
        "database refused input on %s %s: %s", request.method, request.url.path,
        str(getattr(exc, "orig", exc)).splitlines()[0][:200],
    )
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return _page(request, status, gettext(message))


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

    @app.exception_handler(IdempotentReplay)
    async def idempotent_replay(_request: Request, exc: IdempotentReplay) -> Response:
        """A repeated create (same Idempotency-Key, same request): the first answer again."""
        replay = exc.replay
        return Response(
            content=replay.body, status_code=replay.status_code, media_type=replay.media_type,
            headers={"Idempotent-Replayed": "true"},
        )

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
        status = exc.status_code
        headers = getattr(exc, "headers", None)
        message = exc.detail if isinstance(exc.detail, str) and exc.detail else None
        shown = None  # the page's words when they are ours (Starlette's details are English)
        if status == 400:
            # The framework could not read the body (bytes that are not JSON or not UTF-8, a
            # broken multipart body) and says so in English; the app itself never raises a
            # 400. Answered like any other invalid input: 422, in Indonesian.
            status, message = 422, BODY_MESSAGE
            shown = gettext(BODY_MESSAGE)
        elif isinstance(exc, BodyRefused):  # app.middleware, while the app read the body
            shown = gettext(exc.message).format(**exc.values)
        default = HTTP_MESSAGES.get(status, "Permintaan tidak dapat diproses.")
        if is_api(request):
            return JSONResponse(
                {"detail": message or default}, status_code=status, headers=headers,
            )
        response = _page(request, status, shown or gettext(default))
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        return _database_refusal(request, exc, 409, CONFLICT_MESSAGE)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        return _database_refusal(request, exc, 422, DATA_MESSAGE)

    @app.exception_handler(OverflowError)
    async def overflow_error(request: Request, exc: OverflowError) -> Response:
        # SQLite's driver refuses integers beyond 64 bits before the query runs.
        return _database_refusal(request, exc, 422, DATA_MESSAGE)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:  # pragma: no cover
        import logging

        logging.getLogger("zona").exception("unhandled error", exc_info=exc)
        if is_api(request):
            return JSONResponse({"detail": HTTP_MESSAGES[500]}, status_code=500)
        return _page(request, 500, gettext(HTTP_MESSAGES[500]))
