"""Exception handlers: RFC 9457 problem details under /api, a readable page elsewhere.

Every 4xx/5xx of the API is one `app.api.problems.Problem` (`application/problem+json`):
request validation, service errors (with their named field problems and, on 403, the
missing permission), the framework's own 404/405, body refusals, database refusals and
the unexpected 500. `app.api.openapi` declares them on every operation.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.problems import PROBLEM_MEDIA_TYPE, Problem, ProblemError
from app.deps import IdempotentReplay, NotAuthenticated, is_api
from app.i18n import gettext
from app.middleware import BODY_MESSAGE, TOO_LARGE_TITLE, BodyRefused
from app.services.errors import Forbidden, ServiceError, TooManyAttempts

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
    "bool_type": "harus ya atau tidak",
    "dict_type": "harus berupa objek JSON",
    "model_type": "harus berupa objek JSON",
    "model_attributes_type": "harus berupa objek JSON",
    "list_type": "harus berupa daftar",
    "too_short": "terlalu sedikit isian",
    "extra_forbidden": "tidak dikenal",
    "string_pattern_mismatch": "tidak sesuai format",
    "json_invalid": "bukan JSON yang sah",
    "json_type": "bukan JSON yang sah",
    "url_parsing": "harus berupa alamat (URL)",
    "url_scheme": "harus berupa alamat http atau https",
    "uuid_parsing": "harus berupa UUID",
    "multiple_of": "bukan kelipatan yang diizinkan",
    "decimal_max_digits": "terlalu banyak angka",
    "decimal_max_places": "terlalu banyak angka di belakang koma",
    "datetime_type": "harus berupa tanggal dan jam",
    "datetime_from_date_parsing": "harus berupa tanggal dan jam",
    "date_from_datetime_inexact": "harus berupa tanggal (TTTT-BB-HH)",
    "timezone_aware": "harus menyertakan zona waktu",
    "bytes_type": "harus berupa berkas",
    "union_tag_invalid": "bukan pilihan yang tersedia",
    "is_instance_of": "tidak valid",
}

#: Validation words shown with the limit that was crossed: pydantic's ``ctx`` fills them.
LIMIT_WORDS = {
    "string_too_long": ("max_length", "terlalu panjang (paling banyak {limit} karakter)"),
    "string_too_short": ("min_length", "terlalu pendek (paling sedikit {limit} karakter)"),
    "too_long": ("max_length", "terlalu banyak isian (paling banyak {limit})"),
    "too_short": ("min_length", "terlalu sedikit isian (paling sedikit {limit})"),
    "greater_than": ("gt", "harus lebih dari {limit}"),
    "greater_than_equal": ("ge", "paling kecil {limit}"),
    "less_than": ("lt", "harus kurang dari {limit}"),
    "less_than_equal": ("le", "paling besar {limit}"),
}

#: The problem's title: the kind of problem, by status (Indonesian; English in the catalogue).
PROBLEM_TITLES = {
    400: "Permintaan tidak valid",
    401: "Belum masuk",
    403: "Tidak berwenang",
    404: "Tidak ditemukan",
    405: "Metode tidak diizinkan",
    409: "Bertentangan dengan data yang ada",
    413: TOO_LARGE_TITLE,  # also written by app.middleware before the app runs
    415: "Jenis isi tidak didukung",
    422: "Data tidak valid",
    429: "Terlalu banyak permintaan",
    500: "Kesalahan server",
}
NOT_AUTHENTICATED = (
    "Belum masuk: kirim token API dalam header 'Authorization: Bearer <token>'."
)
WHOLE_BODY = "Isi permintaan {words}."
LOCATIONS = ("body", "query", "path", "header", "cookie")


def _validation_words(error: dict, lang: str | None = None) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in LIMIT_WORDS and LIMIT_WORDS[kind][0] in ctx:
        key, words = LIMIT_WORDS[kind]
        return gettext(words, lang).format(limit=ctx[key])
    return gettext(VALIDATION_WORDS.get(kind, "tidak valid"), lang)


def validation_error_items(exc: RequestValidationError) -> list[ProblemError]:
    """Every invalid input of the request, named, in Indonesian and English."""
    items: list[ProblemError] = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        location = str(loc[0]) if loc and loc[0] in LOCATIONS else "body"
        path = loc[1:] if loc and loc[0] in LOCATIONS else loc
        kind = str(error.get("type", "value_error"))
        if kind == "json_invalid":
            path = ()  # pydantic names the character position, not a field
        field = ".".join(str(part) for part in path)
        if field:
            message, message_en = (
                gettext("Isian '{field}' {words}.", lang).format(
                    field=field, words=_validation_words(error, lang)
                )
                for lang in ("id", "en")
            )
        else:
            message, message_en = (
                gettext(WHOLE_BODY, lang).format(words=_validation_words(error, lang))
                for lang in ("id", "en")
            )
        item = ProblemError(
            location=location, field=field, code=kind, message=message, message_en=message_en
        )
        if item not in items:
            items.append(item)
    return items


def problem_response(
    status: int,
    detail: str,
    *,
    detail_en: str | None = None,
    errors: list[ProblemError] | None = None,
    permission: str | None = None,
    headers: dict | None = None,
) -> JSONResponse:
    """The API's one error answer: RFC 9457 problem details."""
    title = PROBLEM_TITLES.get(status, "Permintaan tidak dapat diproses")
    problem = Problem(
        title=title,
        status=status,
        detail=detail,
        detail_en=detail_en if detail_en is not None else gettext(detail, "en"),
        errors=errors or [],
        permission=permission,
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _service_problem(exc: ServiceError, headers: dict) -> JSONResponse:
    """A service's refusal: its message, each named field problem, and the other lines."""
    errors = [
        ProblemError(
            location=item.location, field=item.field, code=item.code,
            message=item.message, message_en=gettext(item.message, "en"),
        )
        for item in exc.errors
    ]
    named = {item.message for item in exc.errors}
    errors += [
        ProblemError(
            location="body", field="", code="invalid",
            message=line, message_en=gettext(line, "en"),
        )
        for line in exc.problems
        if line not in named
    ]
    permission = exc.permission if isinstance(exc, Forbidden) else None
    return problem_response(
        exc.status_code, exc.message, errors=errors, permission=permission, headers=headers
    )


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
        return problem_response(status, message)
    return _page(request, status, gettext(message))


def _phrase(status: int) -> str | None:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return None


def install(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, _exc: NotAuthenticated) -> Response:
        if is_api(request):
            return problem_response(
                401, NOT_AUTHENTICATED, headers={"WWW-Authenticate": "Bearer"}
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
            return _service_problem(exc, headers)
        response = _page(request, exc.status_code, gettext(exc.message), exc.problems)
        response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            return problem_response(
                422, HTTP_MESSAGES[422], errors=validation_error_items(exc)
            )
        return _page(request, 422, gettext(HTTP_MESSAGES[422]), _validation_problems(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        headers = getattr(exc, "headers", None)
        message = exc.detail if isinstance(exc.detail, str) and exc.detail else None
        shown = None  # the page's words when they are ours (Starlette's details are English)
        english = None
        errors: list[ProblemError] = []
        if status == 400:
            # The framework could not read the body (bytes that are not JSON or not UTF-8, a
            # broken multipart body) and says so in English; the app itself never raises a
            # 400. Answered like any other invalid input: 422, in Indonesian.
            status, message = 422, BODY_MESSAGE
            shown = gettext(BODY_MESSAGE)
            english = gettext(BODY_MESSAGE, "en")
            errors = [ProblemError(location="body", field="", code="body_unreadable",
                                   message=BODY_MESSAGE, message_en=english)]
        elif isinstance(exc, BodyRefused):  # app.middleware, while the app read the body
            shown = gettext(exc.message).format(**exc.values)
            english = gettext(exc.message, "en").format(**exc.values)
            if status == 422:  # a form that is not UTF-8 text
                errors = [ProblemError(location="body", field="", code="body_unreadable",
                                       message=exc.detail, message_en=english)]
        elif message is not None and message == _phrase(status):
            message = None  # Starlette's English reason phrase: ours instead
        default = HTTP_MESSAGES.get(status, "Permintaan tidak dapat diproses.")
        if is_api(request):
            return problem_response(
                status, message or default, detail_en=english, errors=errors, headers=headers
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
            return problem_response(500, HTTP_MESSAGES[500])
        return _page(request, 500, gettext(HTTP_MESSAGES[500]))
