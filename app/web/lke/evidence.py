"""Evidence pages: the unit's evidence library, downloads, and the per-question evidence
panel of the worksheet (checklist of expected evidence, attach, upload, detach)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from app.deps import SessionDep, SettingsDep, requires, stored_file_response
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services import units
from app.services.errors import Conflict, Invalid, Locked, NotFound
from app.services.lke import assessments, evidence_links
from app.services.lke import evidence as svc
from app.services.lke.inputs import EvidenceLinkIn, LinkIn, ValidityIn
from app.services.season import calendar as season_calendar
from app.services.storage import from_settings as store_from_settings
from app.web.confirm import Step, confirmation_step
from app.web.templating import is_htmx, render
from app.web.undo import notice

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("indicators.write"))]
ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
WriteAny = Annotated[Principal, Depends(requires("indicators.write", unit_param=None))]


PANEL = "components/evidence_panel.html"


def _human_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def _library_context(session, principal, unit_id: int, q: str | None = None) -> dict:
    unit = units.get(session, unit_id=unit_id)
    rows = svc.list_for_unit(session, actor=principal, unit_id=unit_id, search=q)
    usage = svc.usage_counts(session, evidence_ids=[r.id for r in rows])
    today = season_calendar.local_today(unit.timezone)
    return {
        "unit": unit, "items": rows, "usage": usage, "q": q or "", "human_size": _human_size,
        "can_write": principal.can("indicators.write", unit.id),
        "expired": {r.id for r in rows if svc.is_expired(r, today)},
    }


@router.get("/units/{unit_id}/evidence")
def library(
    request: Request, session: SessionDep, settings: SettingsDep, principal: ReadUnit,
    unit_id: int, q: str | None = None,
) -> Response:
    context = _library_context(session, principal, unit_id, q)
    context["max_mb"] = settings.max_upload_mb
    context.update(_undo(request, session, principal, unit_id))
    if is_htmx(request) and request.headers.get("hx-target") == "evidence-list":
        return render(request, "pages/lke/evidence/library.html", context, block="list")
    return render(request, "pages/lke/evidence/library.html", context)


@router.post("/units/{unit_id}/evidence")
def library_upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WriteUnit,
    unit_id: int,
    file: Annotated[UploadFile, File()],
    title: Annotated[str | None, Form(max_length=svc.MAX_TITLE)] = None,
    valid_until: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    validity = ValidityIn.parse({"valid_until": valid_until or ""})
    row = svc.upload_file(
        session, actor=principal, unit_id=unit_id, filename=file.filename, stream=file.file,
        store=store_from_settings(settings),
        max_bytes=settings.max_upload_mb * 1024 * 1024, title=title,
        valid_until=validity.valid_until,
    )
    return _library_after(request, session, settings, principal, unit_id,
                          _("Berkas tersimpan: ") + row.title)


@router.post("/units/{unit_id}/evidence/links")
async def library_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WriteUnit,
    unit_id: int,
) -> Response:
    body = LinkIn.parse(await request.form())
    row = svc.add_link(session, actor=principal, unit_id=unit_id, url=body.url, title=body.title,
                       valid_until=getattr(body, "valid_until", None))
    return _library_after(request, session, settings, principal, unit_id,
                          _("Tautan tersimpan: ") + row.title)


@router.post("/evidence/{evidence_id}/validity")
async def library_validity(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WriteAny,
    evidence_id: int,
) -> Response:
    """Change or clear (empty field) the last day an evidence is valid."""
    body = ValidityIn.parse(await request.form())
    row = svc.set_valid_until(session, actor=principal, evidence_id=evidence_id,
                              valid_until=getattr(body, "valid_until", None))
    return _library_after(request, session, settings, principal, row.unit_id,
                          _("Tanggal berlaku disimpan: ") + row.title)


@router.post("/evidence/{evidence_id}/delete")
async def library_delete(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WriteAny,
    evidence_id: int,
) -> Response:
    row = svc.get(session, actor=principal, evidence_id=evidence_id,
                  permission="indicators.write")
    step = await confirmation_step(request, Step(
        title=_("Hapus eviden") + f" '{row.title}'?",
        consequence=_("Eviden dihapus dari pustaka; tautannya ke pertanyaan yang masih dapat "
                      "diubah juga dilepas. Penilaian yang sudah final tetap menyimpannya. "
                      "Anda dapat membatalkan penghapusan sesudahnya (eviden kembali ke "
                      "pustaka, tautannya tidak)."),
        action=_("Ya, hapus"), cancel=f"/units/{row.unit_id}/evidence"),
        context={"unit": units.get(session, unit_id=row.unit_id)})
    if step is not None:
        return step
    row = svc.delete(session, actor=principal, evidence_id=evidence_id)
    return _library_after(request, session, settings, principal, row.unit_id, _named(row),
                          deleted=row.id)


def _named(row) -> str:
    return _("Eviden") + f" '{row.title}'"


def _undo(request: Request, session, principal, unit_id: int) -> dict:
    return notice(
        request,
        deleted=lambda i: _named(svc.deleted(session, actor=principal, evidence_id=i,
                                             unit_id=unit_id)),
        restored=lambda i: _named(svc.get(session, actor=principal, evidence_id=i)),
        action=lambda i: f"/evidence/{i}/restore",
        note=_("Tautannya ke pertanyaan tidak dipasang kembali; lampirkan lagi bila perlu."))


@router.post("/evidence/{evidence_id}/restore")
def library_restore(session: SessionDep, settings: SettingsDep, principal: WriteAny,
                    evidence_id: int) -> Response:
    """Undo a delete: the evidence is back in the library (a file only while it is stored)."""
    row = svc.restore(session, actor=principal, evidence_id=evidence_id,
                      store=store_from_settings(settings))
    return RedirectResponse(f"/units/{row.unit_id}/evidence?restored={row.id}", status_code=303)


def _library_after(request, session, settings, principal, unit_id: int, message: str,
                   deleted: int | None = None):
    if not is_htmx(request):
        query = f"?deleted={deleted}" if deleted is not None else ""
        return RedirectResponse(f"/units/{unit_id}/evidence{query}", status_code=303)
    context = _library_context(session, principal, unit_id)
    context.update(max_mb=settings.max_upload_mb, block_flash=message)
    if deleted is not None:
        context.update(block_flash=None, block_undo={
            "text": message, "action": f"/evidence/{deleted}/restore"})
    return render(request, "pages/lke/evidence/library.html", context, block="library")


@router.get("/evidence/{evidence_id}/download")
def download(
    session: SessionDep, settings: SettingsDep, principal: ReadAny, evidence_id: int
) -> Response:
    file = svc.download(
        session, actor=principal, evidence_id=evidence_id,
        store=store_from_settings(settings),
    )
    return stored_file_response(file)


# --- the per-question panel -------------------------------------------------------------

def panel_context(
    session, principal, assessment, ref: str, *, max_mb: int, flash: str | None = None
):
    """Everything the evidence panel of one question shows."""
    framework = assessments.framework_of(session, assessment)
    if not framework.has_question(ref):
        raise NotFound(f"Pertanyaan '{ref}' tidak ada dalam LKE.")
    per_question = evidence_links.question_evidence(session, assessment=assessment, framework=framework)
    qe = per_question[ref]
    editable = assessments.is_editable(assessment) and principal.can(
        "indicators.write", assessment.unit_id
    )
    linked_ids = {le.evidence.id for le in qe.links}
    library = (
        [e for e in svc.list_for_unit(session, actor=principal, unit_id=assessment.unit_id)]
        if editable else []
    )
    return {
        "max_mb": max_mb,
        "assessment": assessment, "question": framework.question(ref), "qe": qe,
        "editable": editable, "library": library, "linked_ids": linked_ids,
        "human_size": _human_size, "panel_flash": flash,
        "today": season_calendar.local_today(
            units.get(session, unit_id=assessment.unit_id).timezone),
    }


def _panel(request, session, principal, assessment, ref, flash=None):
    """The panel for htmx (with the question's evidence count out of band), or a page."""
    if request.method == "POST" and not is_htmx(request):
        return RedirectResponse(
            f"/assessments/{assessment.id}/questions/{ref}/evidence", status_code=303
        )
    context = panel_context(session, principal, assessment, ref, flash=flash,
                            max_mb=request.app.state.settings.max_upload_mb)
    if is_htmx(request):
        return render(request, PANEL, {**context, "oob_summary": True})
    context["unit"] = units.get(session, unit_id=assessment.unit_id)
    return render(request, "pages/lke/evidence/question.html", context)


def _panel_refusal(request, session, principal, assessment, ref, exc) -> Response:
    """A refused attach / upload / link: the panel again (its forms empty), with the reason
    at its top, next to the upload; status 422. Nothing was stored."""
    context = panel_context(session, principal, assessment, ref,
                            max_mb=request.app.state.settings.max_upload_mb)
    context.update(panel_error=exc.message, panel_problems=list(exc.problems or ()))
    if is_htmx(request):
        return render(request, PANEL, {**context, "oob_summary": True}, status_code=422)
    context["unit"] = units.get(session, unit_id=assessment.unit_id)
    return render(request, "pages/lke/evidence/question.html", context, status_code=422)


REFUSALS = (Invalid, Conflict, Locked)


@router.get("/assessments/{assessment_id}/questions/{ref}/evidence")
def question_panel(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int, ref: str
) -> Response:
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id)
    return _panel(request, session, principal, assessment, ref)


def _expected(form, ref: str) -> int | None:
    """The expected-evidence item a new evidence will cover, read (before the evidence is
    stored) as the link's input model reads it; the evidence id is not known yet."""
    return EvidenceLinkIn.parse(form, evidence_id=0, question_ref=ref).expected_index


@router.post("/assessments/{assessment_id}/questions/{ref}/evidence/link")
async def question_link(
    request: Request,
    session: SessionDep,
    principal: WriteAny,
    assessment_id: int,
    ref: str,
) -> Response:
    body = EvidenceLinkIn.parse(await request.form(), question_ref=ref)
    evidence_links.link(
        session, actor=principal, assessment_id=assessment_id, evidence_id=body.evidence_id,
        question_ref=body.question_ref, expected_index=body.expected_index,
    )
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id)
    return _panel(request, session, principal, assessment, ref, _("Eviden ditautkan."))


@router.post("/assessments/{assessment_id}/questions/{ref}/evidence/upload")
def question_upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WriteAny,
    assessment_id: int,
    ref: str,
    file: Annotated[UploadFile, File()],
    title: Annotated[str | None, Form(max_length=svc.MAX_TITLE)] = None,
    expected_index: Annotated[str | None, Form()] = None,
    valid_until: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    """Upload a file to the library and link it to this question (checked first)."""
    assessment = assessments.get(
        session, actor=principal, assessment_id=assessment_id, permission="indicators.write"
    )
    assessments.assert_editable(assessment)
    framework = assessments.framework_of(session, assessment)
    if not framework.has_question(ref):
        raise NotFound(f"Pertanyaan '{ref}' tidak ada dalam LKE.")
    try:
        index = _expected({"expected_index": expected_index or ""}, ref)
        validity = ValidityIn.parse({"valid_until": valid_until or ""})
        row = svc.upload_file(
            session, actor=principal, unit_id=assessment.unit_id, filename=file.filename,
            stream=file.file, store=store_from_settings(settings),
            max_bytes=settings.max_upload_mb * 1024 * 1024, title=title,
            valid_until=getattr(validity, "valid_until", None),
        )
        evidence_links.link(session, actor=principal, assessment_id=assessment.id,
                            evidence_id=row.id, question_ref=ref, expected_index=index)
    except REFUSALS as exc:
        return _panel_refusal(request, session, principal, assessment, ref, exc)
    return _panel(request, session, principal, assessment, ref,
                  _("Berkas diunggah dan ditautkan: ") + row.title)


@router.post("/assessments/{assessment_id}/questions/{ref}/evidence/url")
async def question_url(
    request: Request,
    session: SessionDep,
    principal: WriteAny,
    assessment_id: int,
    ref: str,
) -> Response:
    form = await request.form()
    assessment = assessments.get(
        session, actor=principal, assessment_id=assessment_id, permission="indicators.write"
    )
    assessments.assert_editable(assessment)
    try:
        index = _expected(form, ref)
        link = LinkIn.parse(form)
        row = svc.add_link(session, actor=principal, unit_id=assessment.unit_id, url=link.url,
                           title=link.title, valid_until=getattr(link, "valid_until", None))
        evidence_links.link(session, actor=principal, assessment_id=assessment.id,
                            evidence_id=row.id, question_ref=ref, expected_index=index)
    except REFUSALS as exc:
        return _panel_refusal(request, session, principal, assessment, ref, exc)
    return _panel(request, session, principal, assessment, ref,
                  _("Tautan ditambahkan: ") + row.title)


@router.post("/evidence-links/{link_id}/unlink")
def question_unlink(
    request: Request, session: SessionDep, principal: WriteAny, link_id: int
) -> Response:
    row = evidence_links.unlink(session, actor=principal, link_id=link_id)
    assessment = assessments.get(session, actor=principal, assessment_id=row.assessment_id)
    return _panel(request, session, principal, assessment, row.question_ref,
                  _("Eviden dilepas dari pertanyaan ini."))


@router.post("/assessments/{assessment_id}/evidence/carry-over")
def carry_over(
    request: Request, session: SessionDep, principal: WriteAny, assessment_id: int
) -> Response:
    result = evidence_links.carry_over(session, actor=principal, assessment_id=assessment_id)
    message = _("Eviden tahun {year} dibawa: {n} tautan baru.").format(
        year=result.source.year if result.source else "-", n=result.linked
    )
    target = request.headers.get("hx-current-url") or f"/assessments/{assessment_id}/submission"
    if is_htmx(request):
        return render(request, "components/flash.html", {"message": message, "level": "ok"})
    return RedirectResponse(target, status_code=303)
