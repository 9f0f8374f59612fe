"""The public survey submit, ``POST /s/{code}``, and the fast lane that serves it.

Why a fast lane: this is the one request a crowd sends at once (a queue at a service counter,
a QR code on a poster), and it is anonymous and reads no session. Behind FastAPI's exception,
exit-stack and routing layers it paid about 25 us of a 210 us request, its dependency solving
and parameter handling about a tenth more, and the general form parser a fifth (measured in
process). So here:

- the submit is a plain Starlette route (no dependency solving), stating its permission as
  ``survey_submit.permission = "public"`` for the route walk;
- :class:`DirectRoutesMiddleware` serves it before the router (the route is still registered
  on the app, so the route walk and the permission test see it);
- a browser's urlencoded body is parsed by :func:`parse_urlencoded`, and the thank-you
  redirect writes its headers directly.

What it keeps, and where from: the middleware is the innermost of the app's own, so
everything outside it still applies to this route (server errors, the request id and the
language, the security headers and the CSRF cookie, the body-size limit); the app's
exception handlers apply through the same ExceptionMiddleware the app uses; and the route
itself checks the CSRF token (``csrf_matches``) and applies the abuse guard (IP throttle,
honeypot, minimum fill time, single-use form token, device cookie, campaign velocity)
before anything is stored. The route-walk test
(tests/platform/test_route_permissions.py) proves each of these with real requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.deps import CSRF_FIELD, CSRF_HEADER, client_ip, csrf_matches
from app.domain.surveys.guard import fill_time_reason, honeypot_tripped
from app.i18n import gettext as _
from app.models.base import utcnow
from app.services.errors import TooManyAttempts
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import guard as survey_guard
from app.services.surveys import intake as survey_intake
from app.services.surveys import responses as survey_responses
from app.services.surveys.intake import SubmitContext, SurveyIntake
from app.web.surveys.public import (
    DEVICE_COOKIE_MAX_AGE,
    HONEYPOT_FIELD,
    _field_messages,
    _form_page,
    _not_found,
    _read_form,
    _secret,
    _state_page,
    _text,
    guard_policy,
)


class DirectRoutesMiddleware:
    """Serve a few plain routes right here, before the router (see the module docstring).

    Added innermost of the app's middleware, so the request id, security headers and body
    limit still wrap it; the app's exception handlers apply through ExceptionMiddleware.
    """

    def __init__(self, app: ASGIApp, routes: Sequence[Route],
                 exception_handlers: Mapping[Any, Any]):
        self.app = app
        self.routes = tuple(routes)
        self._handled = ExceptionMiddleware(self._serve, handlers=dict(exception_handlers))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    scope["route"] = route
                    await self._handled(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
        await scope["route"].handle(scope, receive, send)


MAX_FORM_FIELDS = 500


def parse_urlencoded(body: str) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (the last of repeated names).

    The same result as ``dict(parse_qsl(body, keep_blank_values=True))``, in about a quarter
    of the time: most names and values of this form (``ikm-2017.U1=4``) need no unquoting,
    so only those holding ``%`` or ``+`` go through ``unquote``. ValueError for a body with
    more than MAX_FORM_FIELDS fields.
    """
    if body.count("&") >= MAX_FORM_FIELDS:
        raise ValueError("too many fields")
    fields: dict[str, str] = {}
    for pair in body.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = unquote(name.replace("+", " "), errors="replace")
        if "%" in value or "+" in value:
            value = unquote(value.replace("+", " "), errors="replace")
        fields[name] = value
    return fields


async def _posted_form(request: Request) -> Mapping[str, Any]:
    """The posted fields. A browser sends this form urlencoded, read here directly (the
    general multipart-capable parser measured about a fifth of the whole request); anything
    else goes through that parser."""
    if not request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        return await request.form()
    try:
        return parse_urlencoded((await request.body()).decode("utf-8", "replace"))
    except ValueError:  # more fields than any form of ours has
        return {}


async def survey_submit(request: Request) -> Response:
    """Receive one response: check it, guard it, store it; then the thank-you page.

    Reads no database itself: the campaign's context comes from the intake's short cache
    and the response is stored by the intake writer together with others sent at the same
    moment (app.services.surveys.intake).
    """
    code = request.path_params["code"]
    intake: SurveyIntake = request.app.state.survey_intake
    form = await _posted_form(request)
    csrf_ok = csrf_matches(
        request, request.headers.get(CSRF_HEADER) or _text(form, CSRF_FIELD, 200)
    )
    context = intake.cached(code) or await run_in_threadpool(intake.load, code)
    if context is None:
        return _not_found(request)
    campaign = context.campaign
    state = survey_campaigns.campaign_state(campaign)
    if state != "open":
        return _state_page(request, campaign, context.unit, state, status_code=409)
    sent = _read_form(form, context.instruments)

    def again(status: int, **kwargs) -> Response:
        return _form_page(
            request, campaign, context.unit, context.instruments, context.services,
            values=sent["values"], src=sent["src"], status_code=status, **kwargs,
        )

    if not csrf_ok:
        return again(
            403, problems=[_(
                "Halaman ini sudah terlalu lama terbuka atau peramban Anda menolak cookie. "
                "Jawaban Anda masih ada di bawah: tekan Kirim sekali lagi."
            )], message=_("Jawaban belum terkirim."),
        )
    try:
        checked = _check(context, sent)
    except survey_responses.SubmissionInvalid as exc:
        fresh = None
        if "service" in exc.fields or "source" in exc.fields:
            # Perhaps added in the last seconds: ask the database before refusing.
            fresh = await run_in_threadpool(partial(intake.load, code, refresh=True))
        try:
            if fresh is None:
                raise exc
            checked = _check(fresh, sent)
        except survey_responses.SubmissionInvalid as final:
            fields, summary = _field_messages(final.fields, sent["values"])
            return again(422, field_errors=fields, problems=summary)

    secret = _secret(request)
    policy = guard_policy(request)
    now = utcnow()
    token = survey_guard.read_form_token(secret, _text(form, "t", 400), campaign.public_code)
    served = token.served_at if token else None
    device = survey_guard.read_device(secret, request.cookies.get(survey_guard.DEVICE_COOKIE))
    submission = survey_intake.Submission(
        campaign_id=campaign.id, checked=checked,
        meta=survey_responses.ResponseMeta(
            ip_hash=survey_guard.hash_ip(secret, client_ip(request)),
            device_hash=survey_guard.hash_device(secret, device.id),
            fill_seconds=_fill_seconds(served, now),
        ),
        submitted_at=now, policy=policy,
        honeypot=honeypot_tripped(_text(form, HONEYPOT_FIELD, 500)),
        fill_time=fill_time_reason(served, now, policy),
        repeat_device=device.has_answered(campaign.id),
        form_nonce=token.nonce if token else None,
    )
    try:
        await intake.writer.submit(submission)
    except TooManyAttempts as exc:
        return again(
            429, problems=[_(exc.message)], message=_("Jawaban belum terkirim."),
            headers={"Retry-After": str(exc.retry_after)},
        )
    except survey_campaigns.CampaignClosed:
        fresh = await run_in_threadpool(partial(intake.load, code, refresh=True))
        if fresh is None:
            return _not_found(request)
        state = survey_campaigns.campaign_state(fresh.campaign)
        return _state_page(
            request, fresh.campaign, fresh.unit, "closed" if state == "open" else state, 409
        )
    return _thanks_redirect(
        campaign.public_code,
        survey_guard.device_cookie_value(secret, device.with_answer(campaign.id)),
        secure=request.scope.get("scheme") == "https",
    )


survey_submit.permission = "public"  # read by the route walk, like public()'s dependency
#: The plain Starlette route: listed in the app's routes (app.web.public_routers), and served
#: ahead of them by DirectRoutesMiddleware (app.web.direct_routes).
submit_route = Route("/s/{code}", survey_submit, methods=["POST"], include_in_schema=False)
router = APIRouter(include_in_schema=False)
router.routes.append(submit_route)


def _thanks_redirect(code: str, device_cookie: str, *, secure: bool) -> Response:
    """The 303 to the thank-you page with the device cookie, its headers written directly
    (RedirectResponse and set_cookie's general cookie formatting took 8 us of a submit).
    The code and the signed cookie value are URL- and cookie-safe characters only."""
    response = Response(status_code=303)
    response.raw_headers = [
        (b"location", f"/s/{code}/terima-kasih".encode("ascii")),
        (b"content-length", b"0"),
        (b"set-cookie", (
            f"{survey_guard.DEVICE_COOKIE}={device_cookie}; HttpOnly; "
            f"Max-Age={DEVICE_COOKIE_MAX_AGE}; Path=/s/; SameSite=lax"
            f"{'; Secure' if secure else ''}"
        ).encode("ascii")),
    ]
    return response


def _check(context: SubmitContext, sent: dict[str, Any]) -> survey_responses.CheckedSubmission:
    """The submission checked against the campaign's context (no database)."""
    return survey_responses.check_submission(
        None, campaign=context.campaign, answers=sent["answers"],
        service_id=sent["service_id"], source=sent["src"], profile=sent["profile"],
        suggestion=sent["suggestion"], instruments=context.instruments,
        choices=context.choices,
    )


def _fill_seconds(served: datetime | None, now: datetime) -> int | None:
    if served is None:
        return None
    return max(0, min(int((now - served).total_seconds()), 10**8))
