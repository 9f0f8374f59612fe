"""The public survey form `/s/{code}` (anonymous, no JavaScript) and its thank-you page.

The submit (``POST /s/{code}``) is in app.web.surveys.fast_lane and uses the form helpers
here: bad input puts the form back with the person's answers and a clear message; nothing
is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import (
    SessionDep,
    public,
)
from app.domain.surveys.guard import GuardPolicy
from app.domain.surveys.instruments import Instrument
from app.i18n import current_language
from app.i18n import gettext as _
from app.models.surveys.records import SurveyCampaign, SurveyService
from app.models.units import Unit
from app.services.errors import NotFound
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import guard as survey_guard
from app.web.templating import render

router = APIRouter(tags=["public survey"], include_in_schema=False)

FORM = "pages/surveys/public/form.html"
STATUS = "pages/surveys/public/status.html"
THANKS = "pages/surveys/public/thanks.html"
HONEYPOT_FIELD = "website"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600


def guard_policy(request: Request) -> GuardPolicy:
    settings = request.app.state.settings
    return _policy(
        settings.survey_min_fill_seconds, settings.survey_throttle_window_seconds,
        settings.survey_throttle_flag_after, settings.survey_throttle_refuse_after,
        settings.survey_velocity_floor, settings.survey_velocity_factor,
    )


@lru_cache(maxsize=8)
def _policy(min_fill: int, window: int, flag_after: int, refuse_after: int,
            velocity_floor: int, velocity_factor: int) -> GuardPolicy:
    return GuardPolicy(min_fill_seconds=min_fill, window_seconds=window,
                       flag_after=flag_after, refuse_after=refuse_after,
                       velocity_floor=velocity_floor, velocity_factor=velocity_factor)


def _secret(request: Request) -> str:
    return request.app.state.secret_key


# --- page helpers -------------------------------------------------------------------------

STATE_HEADINGS = {
    "closed": "Survei sudah ditutup",
    "ended": "Masa survei sudah berakhir",
    "not_yet": "Survei belum dibuka",
    "draft": "Survei belum dibuka",
}


def _not_found(request: Request) -> Response:
    return render(
        request, STATUS,
        {
            "unit": None, "heading": _("Tautan survei tidak dikenal"),
            "message": _("Maaf, kami tidak menemukan survei pada alamat ini."),
            "detail": _("Periksa kembali alamatnya, atau pindai ulang kode QR di loket layanan."),
        },
        status_code=404,
    )


def _state_page(
    request: Request, campaign: SurveyCampaign, unit: Unit | None, state: str,
    status_code: int = 200,
) -> Response:
    detail = None
    if state == "not_yet":
        detail = _("Survei dibuka mulai {date}.").format(date=_date(campaign.opens_on))
    elif state in ("ended", "closed"):
        detail = _("Survei ini menerima jawaban sampai {date}.").format(
            date=_date(campaign.closes_on)
        )
    return render(
        request, STATUS,
        {
            "unit": unit, "campaign": campaign, "heading": _(STATE_HEADINGS[state]),
            "message": _(survey_campaigns.STATE_MESSAGES[state]), "detail": detail,
        },
        status_code=status_code,
    )


def _date(value) -> str:
    """A date as people write it: "1 Januari 2099" / "1 January 2099"."""
    lang = current_language.get()
    return format_date(value, "d MMMM y", locale="id_ID" if lang == "id" else "en_GB")


def _load(session, code: str) -> tuple[SurveyCampaign, Unit | None] | None:
    if not code or len(code) > 40:
        return None
    try:
        campaign = survey_campaigns.campaign_by_code(session, code=code)
    except NotFound:
        return None
    return campaign, session.get(Unit, campaign.unit_id)


def _profile_fields(instruments: list[Instrument]):
    fields = {}
    for instrument in instruments:
        for field in instrument.profile:
            fields.setdefault(field.code, field)
    return list(fields.values())


def _suggestion_field(instruments: list[Instrument]):
    fields = [i.suggestion for i in instruments if i.suggestion]
    if not fields:
        return None
    return min(fields, key=lambda f: f.max_length)


def _form_page(
    request: Request, campaign: SurveyCampaign, unit: Unit | None,
    instruments: Sequence[Instrument], services: Sequence[SurveyService], *,
    values: dict[str, str], src: str | None,
    field_errors: dict[str, str] | None = None, problems: list[str] | None = None,
    message: str | None = None, status_code: int = 200, headers: dict | None = None,
) -> Response:
    field_errors = field_errors or {}
    profile = _profile_fields(instruments)
    numbered = [f"{i.code}.{item.code}" for i in instruments for item in i.items]
    jump = [(f"q-{name.replace('.', '-')}", n) for n, name in enumerate(numbered, start=1)
            if name in field_errors]
    return render(
        request, FORM,
        {
            "unit": unit, "campaign": campaign, "instruments": instruments,
            "services": services,
            "profile": profile,
            "profile_open": any(k.startswith("profile.") for k in field_errors)
            or any(values.get(f"profile.{f.code}") for f in profile),
            "suggestion": _suggestion_field(instruments),
            "values": values, "src": src, "field_errors": field_errors,
            "problems": problems or [], "message": message, "jump": jump,
            "form_token": survey_guard.form_token(_secret(request), campaign.public_code),
        },
        status_code=status_code, headers=headers,
    )


# --- reading the posted form ------------------------------------------------------------------


def _text(form: Mapping[str, Any], name: str, limit: int = 10_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _int_or_raw(raw: str) -> int | str | None:
    raw = raw.strip()
    if raw == "":
        return None
    # ASCII digits only: "²" and "٣" are digits to str.isdigit, and int() refuses the first.
    if raw.isascii() and raw.lstrip("-").isdigit() and len(raw) < 6:
        return int(raw)
    return raw


def _read_form(form: Mapping[str, Any], instruments: Sequence[Instrument]) -> dict[str, Any]:
    """The submission as record_response wants it, plus the raw values to re-show."""
    values: dict[str, str] = {}
    answers: dict[tuple[str, str], Any] = {}
    for instrument in instruments:
        for item in instrument.items:
            name = f"{instrument.code}.{item.code}"
            raw = form.get(name)
            raw = raw[:20] if isinstance(raw, str) else ""
            values[name] = raw
            # The usual answer, one ASCII digit, without the general parse.
            value = int(raw) if len(raw) == 1 and "0" <= raw <= "9" else _int_or_raw(raw)
            if value is not None:
                answers[(instrument.code, item.code)] = value
    profile: dict[str, str] = {}
    for field in _profile_fields(instruments):
        name = f"profile.{field.code}"
        raw = _text(form, name, 40).strip()
        values[name] = raw
        if raw:
            profile[field.code] = raw
    service_raw = _text(form, "service", 20).strip()
    values["service"] = service_raw
    suggestion = _text(form, "suggestion", 20_000)
    values["suggestion"] = suggestion
    src = _text(form, "src", 60).strip() or None
    return {
        "values": values, "answers": answers, "profile": profile or None,
        "service_id": _int_or_raw(service_raw), "suggestion": suggestion or None, "src": src,
    }


def _field_messages(
    errors: dict[str, str], values: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Per-field messages in the page language, and the summary above the form."""
    fields: dict[str, str] = {}
    missing = 0
    summary: list[str] = []
    for name, text in errors.items():
        if name.startswith("profile."):
            fields[name] = _("Pilihan ini tidak dikenal; pilih dari daftar.")
        elif name == "service":
            fields[name] = _("Layanan ini tidak dikenal; pilih dari daftar.")
        elif name == "source":
            summary.append(_("Tautan survei ini memuat kode loket yang tidak dikenal."))
        elif name == "suggestion":
            fields[name] = _(text)
        elif name == "answers":
            summary.append(_("Formulir memuat pertanyaan yang tidak dikenal. Muat ulang halaman."))
        elif values.get(name, "").strip() == "":
            fields[name] = _("Pertanyaan ini belum dijawab.")
            missing += 1
        else:
            fields[name] = _("Pilih salah satu jawaban yang tersedia.")
    if missing:
        summary.insert(0, _("{n} pertanyaan belum dijawab (ditandai merah).").format(n=missing))
    others = len(fields) - missing
    if others:
        summary.append(_("{n} isian lain perlu diperbaiki (ditandai merah).").format(n=others))
    return fields, summary


# --- routes -------------------------------------------------------------------------------------


@router.get("/s/{code}", dependencies=[Depends(public())])
def survey_form(request: Request, code: str, session: SessionDep, src: str | None = None):
    """The survey form of a campaign (its QR code and short link point here)."""
    loaded = _load(session, code)
    if loaded is None:
        return _not_found(request)
    campaign, unit = loaded
    state = survey_campaigns.campaign_state(campaign)
    if state != "open":
        return _state_page(request, campaign, unit, state)
    instruments = survey_campaigns.instruments_of(session, campaign)
    values: dict[str, str] = {}
    source = None
    if src and len(src) <= 40:
        source = survey_catalogue.source_by_tag(session, campaign_id=campaign.id, tag=src)
    if source is not None and source.service_id is not None:
        values["service"] = str(source.service_id)
    return _form_page(
        request, campaign, unit, instruments,
        survey_catalogue.active_services(session, unit_id=campaign.unit_id),
        values=values, src=source.tag if source else None,
    )


#: More fields than any survey form has: such a body is not read (parse_qsl's limit too).


@router.get("/s/{code}/terima-kasih", dependencies=[Depends(public())])
def survey_thanks(request: Request, code: str, session: SessionDep) -> Response:
    """The thank-you page after a response."""
    loaded = _load(session, code)
    if loaded is None:
        return _not_found(request)
    campaign, unit = loaded
    return render(request, THANKS, {"unit": unit, "campaign": campaign})
