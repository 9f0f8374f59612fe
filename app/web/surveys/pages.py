"""Survey pages for the unit team: services, campaigns, results, trend, responses, exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from app.deps import SessionDep, requires
from app.domain.surveys.guard import describe_reason
from app.domain.surveys.indices import IKM_2017_BANDS, to_fraction
from app.i18n import format_number
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services import charts, units
from app.services.errors import Invalid, NotFound
from app.services.integration import lke_from_surveys
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import export as survey_export
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import publication as survey_publication
from app.services.surveys import results as survey_results
from app.services.surveys import review as survey_review
from app.services.surveys.inputs import (
    CampaignIn,
    PublicationIn,
    ReviewIn,
    ServiceIn,
    SourceIn,
    StatusIn,
)
from app.services.surveys.qr import results_link
from app.web.confirm import Step, confirmation_step
from app.web.dashboard_panels import survey_headline_row as _headline_row
from app.web.surveys.qr import public_base
from app.web.templating import render
from app.web.undo import notice

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("surveys.write"))]
ManageUnit = Annotated[Principal, Depends(requires("surveys.manage"))]
DeleteUnit = Annotated[Principal, Depends(requires("surveys.delete"))]
ReviewUnit = Annotated[Principal, Depends(requires("surveys.review"))]

KIND_NAMES = {"ikm": "IKM", "spkp": "IPKP", "spak": "IPAK"}
PERIOD_KIND_NAMES = {"quarter": "Triwulan", "semester": "Semester", "year": "Tahun"}
STATE_NAMES = {
    "open": "Dibuka", "draft": "Draf", "not_yet": "Belum dibuka", "ended": "Masa isi berakhir",
    "closed": "Ditutup",
}


def format_id(value, places: int = 2) -> str:
    """An index or score as the page's language writes it ('88,39' / '88.39'), half up."""
    return format_number(to_fraction(value), places)


def _campaign(session, unit_id: int, campaign_id: int, actor: Principal | None = None):
    return survey_campaigns.campaign_for(
        session, actor=actor, campaign_id=campaign_id, unit_id=unit_id
    )


def _int_or_none(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise Invalid("Filter tidak valid.") from None


def _base(session, unit_id: int) -> dict:
    unit = units.get(session, unit_id=unit_id)
    return {"unit": unit, "ancestors": units.ancestors(session, unit=unit),
            "kind_names": KIND_NAMES, "period_kind_names": PERIOD_KIND_NAMES,
            "state_names": STATE_NAMES, "campaign_state": survey_campaigns.campaign_state}


# --------------------------------------------------------------------------- overview


@router.get("/units/{unit_id}/surveys")
def overview(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int) -> Response:
    ctx = _base(session, unit_id)
    campaigns = survey_campaigns.list_campaigns(session, unit_id=unit_id, actor=principal)
    headline = survey_results.latest_headline(session, unit_id=unit_id, actor=principal)
    counts = survey_campaigns.response_counts(session, campaign_ids=[c.id for c in campaigns])
    ctx.update(
        campaigns=[(c, [i.kind for i in survey_campaigns.instruments_of(session, c)],
                    counts[c.id]) for c in campaigns],
        services=survey_catalogue.list_services(session, unit_id=unit_id, actor=principal),
        headline=[_headline_row(kind, row) for kind, row in headline.items()],
        publication={
            "published": survey_publication.is_published(session, unit_id=unit_id,
                                                         actor=principal),
            "link": results_link(public_base(request), ctx["unit"].code),
        },
    )
    return render(request, "pages/surveys/index.html", ctx)


@router.post("/units/{unit_id}/surveys/publication")
async def set_publication(request: Request, session: SessionDep, principal: ManageUnit,
                          unit_id: int) -> Response:
    """Turn the unit's public results page (/hasil/<unit code>) on or off."""
    data = PublicationIn.parse(await request.form())
    survey_publication.set_published(session, actor=principal, unit_id=unit_id,
                                     published=data.published)
    return RedirectResponse(f"/units/{unit_id}/surveys#publikasi", status_code=303)


# --------------------------------------------------------------------------- services


@router.get("/units/{unit_id}/surveys/services")
def services_page(request: Request, session: SessionDep, principal: ReadUnit,
                  unit_id: int) -> Response:
    ctx = _base(session, unit_id)
    ctx.update(services=survey_catalogue.list_services(session, unit_id=unit_id, actor=principal),
               problems=None, form={})
    ctx.update(_service_undo(request, session, principal, unit_id))
    return render(request, "pages/surveys/services.html", ctx)


def _service_undo(request: Request, session, principal: Principal, unit_id: int) -> dict:
    def named(row_id: int, find) -> str:
        return _("Layanan") + f" '{find(session, actor=principal, service_id=row_id, unit_id=unit_id).name}'"

    return notice(
        request,
        deleted=lambda i: named(i, survey_catalogue.deleted_service),
        restored=lambda i: named(i, survey_catalogue.service_for),
        action=lambda i: f"/units/{unit_id}/surveys/services/{i}/restore")


@router.post("/units/{unit_id}/surveys/services")
async def create_service(request: Request, session: SessionDep, principal: WriteUnit,
                         unit_id: int) -> Response:
    form = await request.form()
    try:
        survey_catalogue.create_service(
            session, actor=principal, unit_id=unit_id, **ServiceIn.parse(form).model_dump()
        )
    except Invalid as exc:
        ctx = _base(session, unit_id)
        ctx.update(services=survey_catalogue.list_services(session, unit_id=unit_id, actor=principal),
                   problems=exc.problems or [exc.message], form=dict(form))
        return render(request, "pages/surveys/services.html", ctx, status_code=422)
    return RedirectResponse(f"/units/{unit_id}/surveys/services", status_code=303)


@router.post("/units/{unit_id}/surveys/services/{service_id}/active")
async def toggle_service(request: Request, session: SessionDep, principal: WriteUnit,
                         unit_id: int, service_id: int) -> Response:
    service = survey_catalogue.service_for(session, actor=principal, service_id=service_id,
                                           permission="surveys.write", unit_id=unit_id)
    survey_catalogue.update_service(session, actor=principal, service_id=service_id,
                                    active=not service.active)
    return RedirectResponse(f"/units/{unit_id}/surveys/services", status_code=303)


@router.post("/units/{unit_id}/surveys/services/{service_id}/delete")
async def delete_service(request: Request, session: SessionDep, principal: DeleteUnit,
                         unit_id: int, service_id: int) -> Response:
    service = survey_catalogue.service_for(session, actor=principal, service_id=service_id,
                                           permission="surveys.delete", unit_id=unit_id)
    back = f"/units/{unit_id}/surveys/services"
    step = await confirmation_step(request, Step(
        title=_("Hapus layanan") + f" '{service.name}'?",
        consequence=_("Layanan ini tidak lagi dapat dipilih responden. Jawaban yang sudah "
                      "masuk tetap tersimpan, dan Anda dapat membatalkan penghapusan "
                      "sesudahnya."),
        action=_("Ya, hapus"), cancel=back), context=_base(session, unit_id))
    if step is not None:
        return step
    survey_catalogue.delete_service(session, actor=principal, service_id=service_id,
                                    unit_id=unit_id)
    return RedirectResponse(f"{back}?deleted={service_id}", status_code=303)


@router.post("/units/{unit_id}/surveys/services/{service_id}/restore")
def restore_service(session: SessionDep, principal: DeleteUnit, unit_id: int,
                    service_id: int) -> Response:
    """Undo a delete (Invalid when another live service now has its code)."""
    survey_catalogue.restore_service(session, actor=principal, service_id=service_id,
                                     unit_id=unit_id)
    return RedirectResponse(f"/units/{unit_id}/surveys/services?restored={service_id}",
                            status_code=303)


# --------------------------------------------------------------------------- campaigns


def _form_ctx(session, unit_id: int, campaign=None, form=None, problems=None) -> dict:
    ctx = _base(session, unit_id)
    rows = survey_instruments.latest(session)
    if form is None:
        if campaign is not None:
            form = {
                "title": campaign.title, "period_kind": campaign.period_kind,
                "period_label": campaign.period_label, "opens_on": campaign.opens_on.isoformat(),
                "closes_on": campaign.closes_on.isoformat(),
                "population": campaign.population,
                "instruments": [i.code for i in survey_campaigns.instruments_of(session, campaign)],
            }
        else:
            form = {"period_kind": "semester", "instruments": [r.code for r in rows]}
    ctx.update(campaign=campaign, form=form, problems=problems,
               instruments=[(r.code, r.kind, survey_instruments.parsed(r).title.id, r.version)
                            for r in rows])
    return ctx


def _form_dict(form) -> dict:
    data = {k: str(v) for k, v in form.items()}
    data["instruments"] = [str(v) for v in form.getlist("instruments")]
    return data


@router.get("/units/{unit_id}/surveys/campaigns/new")
def new_campaign(request: Request, session: SessionDep, principal: WriteUnit,
                 unit_id: int) -> Response:
    return render(request, "pages/surveys/campaign_form.html", _form_ctx(session, unit_id))


@router.post("/units/{unit_id}/surveys/campaigns")
async def create_campaign(request: Request, session: SessionDep, principal: WriteUnit,
                          unit_id: int) -> Response:
    form = await request.form()
    try:
        campaign = survey_campaigns.create_campaign(
            session, actor=principal, unit_id=unit_id, data=CampaignIn.parse(form)
        )
    except Invalid as exc:
        ctx = _form_ctx(session, unit_id, form=_form_dict(form),
                        problems=exc.problems or [exc.message])
        return render(request, "pages/surveys/campaign_form.html", ctx, status_code=422)
    return RedirectResponse(f"/units/{unit_id}/surveys/campaigns/{campaign.id}", status_code=303)


@router.get("/units/{unit_id}/surveys/campaigns/{campaign_id}/edit")
def edit_campaign(request: Request, session: SessionDep, principal: WriteUnit, unit_id: int,
                  campaign_id: int) -> Response:
    campaign = _campaign(session, unit_id, campaign_id, principal)
    return render(request, "pages/surveys/campaign_form.html",
                  _form_ctx(session, unit_id, campaign=campaign))


@router.post("/units/{unit_id}/surveys/campaigns/{campaign_id}/edit")
async def update_campaign(request: Request, session: SessionDep, principal: WriteUnit,
                          unit_id: int, campaign_id: int) -> Response:
    campaign = _campaign(session, unit_id, campaign_id, principal)
    form = await request.form()
    try:
        survey_campaigns.update_campaign(session, actor=principal, campaign_id=campaign.id,
                                data=CampaignIn.parse(form))
    except Invalid as exc:
        ctx = _form_ctx(session, unit_id, campaign=campaign, form=_form_dict(form),
                        problems=exc.problems or [exc.message])
        return render(request, "pages/surveys/campaign_form.html", ctx, status_code=422)
    return RedirectResponse(f"/units/{unit_id}/surveys/campaigns/{campaign.id}", status_code=303)


@router.post("/units/{unit_id}/surveys/campaigns/{campaign_id}/status")
async def campaign_status(request: Request, session: SessionDep, principal: ManageUnit,
                          unit_id: int, campaign_id: int) -> Response:
    campaign = _campaign(session, unit_id, campaign_id)
    form = await request.form()
    status = StatusIn.parse(form).status
    back = f"/units/{unit_id}/surveys/campaigns/{campaign.id}"
    if status == "closed" and campaign.status != "closed":
        preview = lke_from_surveys.close_preview(session, actor=principal,
                                                 campaign_id=campaign.id, unit_id=unit_id)
        step = await confirmation_step(request, _close_step(preview, back),
                                       context=_base(session, unit_id))
        if step is not None:
            return step
    lke_from_surveys.set_campaign_status(session, actor=principal, campaign_id=campaign.id,
                                         status=status)
    return RedirectResponse(back, status_code=303)


def _close_step(preview, back: str) -> Step:
    """The confirmation before a close: the sample, and what the LKE receives."""
    details = []
    if not preview.sample_reached:
        details.append(_("Sampel belum mencapai jumlah minimum: ")
                       + f"{preview.respondents} " + _("dari") + f" {preview.minimum_sample} "
                       + _("responden. Indeks yang dihasilkan kurang dapat diandalkan."))
    else:
        details.append(_("Sampel sudah mencapai minimum: ") + f"{preview.respondents} "
                       + _("dari") + f" {preview.minimum_sample} " + _("responden."))
    if preview.fills:
        details.append(_("Jawaban LKE") + f" {preview.year} " + ", ".join(preview.fills) + " "
                       + _("akan diisi dari hasil survei ini."))
    return Step(
        title=_("Tutup survei") + f" '{preview.campaign.title}'?",
        consequence=_("Survei tidak lagi menerima jawaban."),
        action=_("Ya, tutup survei") if preview.sample_reached
        else _("Tutup walau sampel kurang"),
        cancel=back, details=tuple(details),
    )


@router.post("/units/{unit_id}/surveys/campaigns/{campaign_id}/sources")
async def create_source(request: Request, session: SessionDep, principal: WriteUnit,
                        unit_id: int, campaign_id: int) -> Response:
    campaign = _campaign(session, unit_id, campaign_id, principal)
    form = await request.form()
    survey_catalogue.create_source(
        session, actor=principal, campaign_id=campaign.id, **SourceIn.parse(form).model_dump()
    )
    return RedirectResponse(
        f"/units/{unit_id}/surveys/campaigns/{campaign.id}#sources", status_code=303
    )


@router.post("/units/{unit_id}/surveys/campaigns/{campaign_id}/sources/{source_id}/delete")
async def delete_source(request: Request, session: SessionDep, principal: DeleteUnit,
                        unit_id: int, campaign_id: int, source_id: int) -> Response:
    campaign = _campaign(session, unit_id, campaign_id, principal)
    source = _live_source(survey_catalogue.list_sources(
        session, campaign_id=campaign.id, actor=principal), source_id)
    back = f"/units/{unit_id}/surveys/campaigns/{campaign.id}"
    step = await confirmation_step(request, Step(
        title=_("Hapus sumber") + f" '{source.label}' ({source.tag})?",
        consequence=_("Tautan sumber ini tidak lagi menandai jawaban baru. Jawaban yang sudah "
                      "masuk tetap tersimpan, dan Anda dapat membatalkan penghapusan "
                      "sesudahnya."),
        action=_("Ya, hapus"), cancel=back + "#sources"), context=_base(session, unit_id))
    if step is not None:
        return step
    survey_catalogue.delete_source(session, actor=principal, source_id=source_id,
                                   campaign_id=campaign.id)
    return RedirectResponse(f"{back}?deleted={source_id}#sources", status_code=303)


@router.post("/units/{unit_id}/surveys/campaigns/{campaign_id}/sources/{source_id}/restore")
def restore_source(session: SessionDep, principal: DeleteUnit, unit_id: int, campaign_id: int,
                   source_id: int) -> Response:
    """Undo a delete: the source tag marks new answers again."""
    campaign = _campaign(session, unit_id, campaign_id, principal)
    survey_catalogue.restore_source(session, actor=principal, source_id=source_id,
                                    campaign_id=campaign.id)
    return RedirectResponse(
        f"/units/{unit_id}/surveys/campaigns/{campaign.id}?restored={source_id}#sources",
        status_code=303)


# --------------------------------------------------------------------------- results


def _nrr_chart(result: survey_results.InstrumentResult, chart_id: str) -> Markup:
    inst = result.instrument
    bars = [
        charts.Bar(
            label=f"{e.code} {inst.item(e.code).name.get('id')}", value=e.nrr,
            shown=format_id(e.nrr), highlight=e.code == result.priority,
        )
        for e in result.elements
    ]
    title = _("Nilai rata-rata (NRR) per unsur") if inst.kind == "ikm" else \
        _("Nilai rata-rata per butir")
    desc = "; ".join(f"{b.label}: {b.shown}" for b in bars)
    return Markup(charts.bar_chart(
        bars, scale_min=0, scale_max=inst.scale_max, title=f"{title} · {inst.title.id}",
        desc=desc, chart_id=chart_id,
        note=_("Jingga: prioritas perbaikan") if result.priority else None,
    ))


def _result_view(result: survey_results.InstrumentResult, chart_id: str) -> dict:
    inst = result.instrument
    view = {
        "code": inst.code, "kind": inst.kind, "name": KIND_NAMES[inst.kind],
        "title": inst.title.id, "has_data": result.has_data,
        "scale": f"{inst.scale_min}-{inst.scale_max}",
    }
    if not result.has_data:
        return view
    view.update(
        value=format_id(result.value), value_1_4=format_id(result.value_1_4),
        grade=result.ikm.grade if result.ikm else None,
        priority=result.priority,
        priority_name=inst.item(result.priority).name.id if result.priority else None,
        weakest=result.weakest,
        elements=[{"code": e.code, "name": inst.item(e.code).name.id, "nrr": format_id(e.nrr, 3),
                   "count": e.count, "weighted": format_id(e.nrr * 25) if inst.kind == "ikm"
                   else None,
                   "priority": e.code == result.priority} for e in result.elements],
        chart=_nrr_chart(result, chart_id),
    )
    return view


@router.get("/units/{unit_id}/surveys/campaigns/{campaign_id}")
def results_page(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                 campaign_id: int, service_id: str | None = None,
                 source: str | None = None) -> Response:
    campaign = _campaign(session, unit_id, campaign_id, principal)
    sid = _int_or_none(service_id)
    res = survey_results.campaign_results(session, campaign=campaign, service_id=sid,
                                          source=source or None, actor=principal)
    ctx = _base(session, unit_id)
    services = survey_catalogue.list_services(session, unit_id=unit_id, actor=principal)
    ctx.update(
        campaign=campaign, res=res, state=survey_campaigns.campaign_state(campaign),
        results=[_result_view(r, f"c{n}") for n, r in enumerate(res.instruments)],
        service_rows=[
            {"id": s.service_id, "name": s.name, "respondents": s.respondents,
             "values": [(KIND_NAMES[r.kind], format_id(r.value) if r.has_data else None,
                         r.ikm.grade.letter if r.ikm else None) for r in s.results]}
            for s in res.services
        ],
        services=services,
        sources=survey_catalogue.list_sources(session, campaign_id=campaign.id, actor=principal),
        filters={"service_id": service_id or "", "source": source or ""},
        service_names={s.id: s.name for s in services},
        minimum_sample=res.minimum_sample,
    )

    def source_name(row) -> str:
        return _("Sumber") + f" '{row.label}' ({row.tag})"

    ctx.update(notice(
        request,
        deleted=lambda i: source_name(survey_catalogue.deleted_source(
            session, actor=principal, source_id=i, campaign_id=campaign.id)),
        restored=lambda i: source_name(_live_source(ctx["sources"], i)),
        action=lambda i: f"/units/{unit_id}/surveys/campaigns/{campaign.id}/sources/{i}/restore"))
    if campaign.status != "closed" and principal.can("surveys.manage", unit_id):
        ctx["close_question"] = _close_question(lke_from_surveys.close_preview(
            session, actor=principal, campaign_id=campaign.id, unit_id=unit_id))
    return render(request, "pages/surveys/results.html", ctx)


def _live_source(sources, source_id: int):
    for source in sources:
        if source.id == source_id:
            return source
    raise NotFound("Sumber tidak ditemukan pada survei ini.")


def _close_question(preview) -> str:
    """The browser's confirm text for the close button (JavaScript on)."""
    step = _close_step(preview, "")
    return " ".join([step.title, step.consequence, *step.details])


def trend_chart(kind: str, points: list[tuple[str, survey_results.InstrumentResult]], *,
                chart_id: str = "trend", width: int = 640, height: int = 260) -> Markup:
    """The line of one index over periods (the IKM over its grade bands), inline SVG."""
    if kind == "ikm":
        hi = 100
        lo = 50 if min(r.value for _p, r in points) >= 50 else 25
        bands = [charts.Band(b.lower, b.upper, f"{b.letter} · {_(b.label_id)}",
                             charts.IKM_BAND_FILLS.get(b.letter, "#ffffff"))
                 for b in IKM_2017_BANDS]
    else:
        inst = points[0][1].instrument
        lo, hi, bands = inst.scale_min, inst.scale_max, []
    shown = [(period, r.value, format_id(r.value)) for period, r in points]
    return Markup(charts.line_chart(
        shown, y_min=lo, y_max=hi, bands=bands,
        title=_("Tren {name}").replace("{name}", KIND_NAMES[kind]),
        desc="; ".join(f"{p}: {s}" for p, _v, s in shown), chart_id=chart_id,
        width=width, height=height,
    ))


@router.get("/units/{unit_id}/surveys/trend")
def trend_page(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
               kind: str = "ikm", service_id: str | None = None) -> Response:
    if kind not in KIND_NAMES:
        raise Invalid("Jenis indeks tidak dikenal.")
    sid = _int_or_none(service_id)
    rows = survey_results.unit_trend(session, unit_id=unit_id, kind=kind, service_id=sid,
                                     actor=principal)
    ctx = _base(session, unit_id)
    chart = None
    if rows:
        chart = trend_chart(kind, [(r.period, r.result) for r in rows])
    ctx.update(
        kind=kind, chart=chart,
        services=survey_catalogue.list_services(session, unit_id=unit_id, actor=principal),
        service_id=service_id or "",
        rows=[{"period": r.period, "campaign": r.campaign, "respondents": r.respondents,
               "value": format_id(r.result.value), "value_1_4": format_id(r.result.value_1_4),
               "grade": r.result.ikm.grade if r.result.ikm else None,
               "direction": r.step.direction if r.step else None,
               "change": format_id(r.step.change) if r.step and r.step.change is not None
               else None} for r in rows],
    )
    return render(request, "pages/surveys/trend.html", ctx)


# --------------------------------------------------------------------------- responses


def _bool_filter(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def reason_text(code: str) -> str:
    """A stored suspect reason as the coordinator reads it, in the page language."""
    label, values = describe_reason(code)
    if "usual" in values:
        usual = values["usual"]
        values = {**values, "usual": format_number(usual, 0 if usual == int(usual) else 1)}
    return _(label).format(**values) if values else _(label)


@router.get("/units/{unit_id}/surveys/campaigns/{campaign_id}/responses")
def responses_page(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
                   campaign_id: int, service_id: str | None = None, source: str | None = None,
                   suspect: str | None = None, page: int = 1) -> Response:
    campaign = _campaign(session, unit_id, campaign_id, principal)
    result = survey_review.list_responses(
        session, campaign_id=campaign.id, service_id=_int_or_none(service_id),
        source=source or None, suspect=_bool_filter(suspect), page=page, per_page=50,
        actor=principal,
    )
    instruments = survey_campaigns.instruments_of(session, campaign)
    ctx = _base(session, unit_id)
    services = survey_catalogue.list_services(session, unit_id=unit_id, actor=principal)
    ctx.update(
        campaign=campaign, result=result, instruments=instruments,
        services=services, service_names={s.id: s.name for s in services},
        sources=survey_catalogue.list_sources(session, campaign_id=campaign.id, actor=principal),
        filters={"service_id": service_id or "", "source": source or "",
                 "suspect": suspect or ""},
        pages=max((result.total + 49) // 50, 1),
        can_review=principal.can("surveys.review", unit_id),
        query=request.url.query,
        reasons={r.id: [reason_text(code) for code in r.suspect_reasons or ()]
                 for r in result.responses},
    )
    return render(request, "pages/surveys/responses.html", ctx)


@router.post("/units/{unit_id}/surveys/responses/{response_id}/review")
async def review_response(request: Request, session: SessionDep, principal: ReviewUnit,
                          unit_id: int, response_id: int) -> Response:
    form = await request.form()
    response = survey_review.review_response(
        session, actor=principal, response_id=response_id,
        decision=ReviewIn.parse(form).decision, unit_id=unit_id,
    )
    back = str(form.get("back", ""))
    target = f"/units/{unit_id}/surveys/campaigns/{response.campaign_id}/responses"
    if back and all(ch.isalnum() or ch in "=&_-" for ch in back):
        target += "?" + back
    return RedirectResponse(target, status_code=303)


@router.get("/units/{unit_id}/surveys/campaigns/{campaign_id}/export.{fmt}")
def export(request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
           campaign_id: int, fmt: str, service_id: str | None = None,
           source: str | None = None, suspect: str | None = None) -> Response:
    campaign = _campaign(session, unit_id, campaign_id, principal)
    table = survey_export.rows(
        session, actor=principal, campaign=campaign, service_id=_int_or_none(service_id),
        source=source or None,
        suspect=_bool_filter(suspect),
    )
    name = f"survei-{campaign.id}-{campaign.period_label}"
    if fmt == "csv":
        return Response(survey_export.to_csv(table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        return Response(
            survey_export.to_xlsx(table),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    raise NotFound("Format ekspor tidak dikenal (csv atau xlsx).")
