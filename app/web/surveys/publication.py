"""The public results page ``/hasil/{unit_code}`` (anonymous, no JavaScript); the unit
team's switch and QR codes for it are on the surveys overview (app.web.surveys.pages, .qr).

The page is the same for everyone who opens the same address, so browsers and shared caches
may keep it (``Cache-Control: public``) and ask again with ``If-None-Match``: the ETag is
the SHA-256 of the page itself, so it changes exactly when a counted answer, a service name,
a follow-up or a translation changes what is shown. Its language comes from the address
alone (``?lang=en``), never from the language cookie, and it sets no cookie: a cache keyed
on the address gives everyone the right page.
"""

from __future__ import annotations

import gzip
import hashlib

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import SessionDep, public
from app.i18n import LANGUAGES, current_language
from app.i18n import gettext as _
from app.services.errors import NotFound
from app.services.surveys import publication
from app.web.surveys.pages import KIND_NAMES, format_id, trend_chart
from app.web.templating import render

router = APIRouter(tags=["public survey"], include_in_schema=False)

PAGE = "pages/surveys/public/results.html"
STATUS = "pages/surveys/public/status.html"


def _page_language(request: Request) -> str:
    """``?lang=en`` or Indonesian: the address alone decides (see the module's docstring)."""
    lang = request.query_params.get("lang")
    lang = lang if lang in LANGUAGES else "id"
    request.state.language = lang
    current_language.set(lang)
    return lang


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): a proxy that compressed the page may send W/"...".
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        coding, _sep, params = part.strip().partition(";")
        if coding.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def cacheable(request: Request, page: Response, max_age: int) -> Response:
    """The page with its ETag and public caching, gzipped when the browser takes it (a
    third of a phone's download on a slow link), or an empty 304 when the browser's copy is
    this very page."""
    body = page.body
    etag = hashlib.sha256(body).hexdigest()[:32]
    headers = {"Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if _accepts_gzip(request):
        # mtime=0: the same page gives the same bytes (and a shared cache one copy).
        body, etag = gzip.compress(body, compresslevel=6, mtime=0), etag + "-gz"
        headers["Content-Encoding"] = "gzip"
    headers["ETag"] = f'"{etag}"'
    if _etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        headers.pop("Content-Encoding", None)
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=page.status_code, headers=headers,
                    media_type="text/html; charset=utf-8")


# --------------------------------------------------------------------------- view


def _index(result) -> dict:
    inst = result.instrument
    return {
        "kind": result.kind, "name": KIND_NAMES[result.kind], "value": format_id(result.value),
        "scale": f"{inst.scale_min}-{inst.scale_max}" if result.kind != "ikm" else "25-100",
        "grade": result.ikm.grade if result.ikm else None,
    }


def _indices(results) -> list[dict]:
    return [_index(r) for r in results if r.has_data]


def _elements(result) -> list[dict]:
    """The IKM's elements (U1-U9) with their mean score, the weakest marked."""
    inst = result.instrument
    lang = current_language.get()
    return [{"code": e.code, "name": inst.item(e.code).name.get(lang), "nrr": format_id(e.nrr),
             "weakest": e.code in result.weakest} for e in result.elements]


def _view(found: publication.PublicResults) -> dict:
    periods = []
    for p in found.periods:
        c = p.campaign
        periods.append({
            "id": c.id, "label": c.period_label, "title": c.title, "is_demo": c.is_demo,
            "opens_on": c.opens_on, "closes_on": c.closes_on, "shown": p.shown,
            "respondents": p.respondents, "indices": _indices(p.results),
            "services": [{"name": g.name, "respondents": g.respondents,
                          "indices": {i["kind"]: i for i in _indices(g.results)}}
                         for g in p.services],
            "held_services": p.held_services,
        })
    # The IKM's line only (IPKP and IPAK are in the table below it): a light page.
    ikm_trend = found.trends.get("ikm", [])
    chart = trend_chart(
        "ikm", [(e.period.campaign.period_label, e.result) for e in ikm_trend],
        chart_id="trend-ikm", width=480, height=240,
    ) if len(ikm_trend) > 1 else None
    trend_rows = {}
    for kind, entries in found.trends.items():
        for e in entries:
            row = trend_rows.setdefault(e.period.campaign.id, {"label": e.period.campaign.period_label,
                                                               "values": {}})
            row["values"][kind] = {
                "value": format_id(e.result.value),
                "grade": e.result.ikm.grade if e.result.ikm else None,
                "direction": e.step.direction,
                "change": format_id(abs(e.step.change)) if e.step.change is not None else None,
            }
    lang = current_language.get()
    actions = []
    for a in found.actions:
        f = a.followup
        change = a.change
        actions.append({
            "index": f.index_name, "period": f.period, "element": f.element_code,
            "element_name": f.element_name_en if lang == "en" else f.element_name,
            "action": f.action, "due_on": f.due_on, "status": f.status,
            "status_label": f.status_label(lang),
            "before": format_id(a.nrr_before) if a.nrr_before is not None else None,
            "after": format_id(a.nrr_after) if a.nrr_after is not None else None,
            "direction": None if change is None else
            "up" if change > 0 else "down" if change < 0 else "flat",
        })
    latest = found.latest
    ikm = latest.result("ikm") if latest else None
    return {
        "periods": periods, "chart": chart, "kinds": found.kinds, "kind_names": KIND_NAMES,
        "trend_rows": list(trend_rows.values())[::-1],
        "latest": periods[found.periods.index(latest)] if latest else None,
        "elements": _elements(ikm) if ikm else [],
        "running": found.running, "minimum": found.minimum, "actions": actions,
    }


# --------------------------------------------------------------------------- routes


@router.get("/hasil/{unit_code}", dependencies=[Depends(public())])
def results_page(request: Request, unit_code: str, session: SessionDep) -> Response:
    """A unit's survey results for the public: IKM, IPKP, IPAK per period and service type,
    their trend and the follow-up taken."""
    _page_language(request)
    settings = request.app.state.settings
    try:
        found = publication.public_results(
            session, unit_code=unit_code, minimum=settings.survey_public_min_respondents
        )
    except NotFound:
        return render(request, STATUS, {
            "unit": None, "heading": _("Halaman hasil survei tidak ditemukan"),
            "message": _("Maaf, tidak ada hasil survei yang diterbitkan pada alamat ini."),
            "detail": _("Periksa kembali alamatnya, atau pindai ulang kode QR di loket layanan."),
        }, status_code=404)
    page = render(request, PAGE, {"unit": found.unit, "indexable": True, **_view(found)})
    return cacheable(request, page, settings.survey_public_max_age_seconds)
