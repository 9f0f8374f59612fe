"""LKE ZI pages: assessments of a unit, the worksheet (htmx saves with out-of-band summary
updates), verdict, gap planner with what-if, revisions, year comparison, reviewer oversight."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from app.deps import SessionDep, requires
from app.domain.lke import Framework, Question
from app.models.lke.assessments import Assessment
from app.models.units import Unit
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid, NotFound
from app.services.lke import answers as lke_answers
from app.services.lke import assessments as svc
from app.services.lke import evidence_links, overview, review_records, scores
from app.services.lke import report as lke_report
from app.services.lke import summary as lke_summary
from app.services.lke.inputs import AssessmentIn
from app.services.season import calendar as season_calendar
from app.web.integration import lke as integration_pages
from app.web.lke import display
from app.web.templating import is_htmx, render

router = APIRouter(tags=["pages"])

ReadUnit = Annotated[Principal, Depends(requires("unit.read"))]
WriteUnit = Annotated[Principal, Depends(requires("indicators.write"))]
ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
WriteAny = Annotated[Principal, Depends(requires("indicators.write", unit_param=None))]

WORKSHEET = "pages/lke/worksheet.html"
GAPS = "pages/lke/gaps.html"


# --- helpers -----------------------------------------------------------------------------


def _unit(session: Session, assessment: Assessment) -> Unit:
    return units.get(session, unit_id=assessment.unit_id)


def _can_edit(principal: Principal, assessment: Assessment) -> bool:
    return principal.can("indicators.write", assessment.unit_id) and svc.is_editable(assessment)


def _worksheet_context(
    session: Session, principal: Principal, assessment: Assessment, **extra
) -> dict:
    fw = svc.framework_of(session, assessment)
    open_area = _open_area(fw, extra.pop("area", None))
    refs = [q.ref for q in fw.area(open_area).questions]
    # Answer rows (penjelasan, revision...) and evidence only for the questions rendered:
    # those of the open area (a save renders one question of it); the scores above them
    # and the progress from the assessment's summary.
    shown = lke_summary.for_area(session, assessment=assessment, framework=fw,
                                 area_ref=open_area)
    if shown.row is not None:
        per_question = evidence_links.question_evidence(session, assessment=assessment,
                                                        framework=fw, refs=refs)
        progress = overview.progress_of(shown.row)
    else:  # scored in full: the coverage counted over every question
        per_question = evidence_links.question_evidence(session, assessment=assessment,
                                                        framework=fw)
        progress = overview.Progress(answered=shown.answered, total=shown.questions,
                                     evidence=evidence_links.coverage_of(per_question))
    # Reviewer flags; the Hasil-from-surveys plan and the names of the shown answers'
    # source campaigns (integration).
    extra = {"evidence_by_ref": per_question,
             "review_flags": review_records.open_flags(session, assessment=assessment),
             **integration_pages.worksheet_context(session, principal, assessment,
                                                   shown.rows),
             **extra}
    return {
        "open_area": open_area,
        "unit": _unit(session, assessment),
        "assessment": assessment,
        "fw": fw,
        "fd": display.of(fw),  # its printed text, prepared once per version and language
        "nodes": shown.nodes,
        "verdict": shown.verdict,
        "rows": shown.rows,
        "progress": progress,
        "can_edit": _can_edit(principal, assessment),
        # What is due next in the evaluation calendar (app.services.season).
        "season": season_calendar.season_of(session, unit=_unit(session, assessment),
                                            year=assessment.year),
        "errors": {},
        "drafts": {},
        **extra,
    }


def _area_context(
    session: Session, principal: Principal, assessment: Assessment, area_ref: str,
    **extra
) -> dict:
    """What the questions of one area need and nothing of the page around them (the htmx
    fragment of an area): answer rows, evidence and source names of that area's questions,
    the scores (the summary block reads the progress from the assessment's summary)."""
    fw = svc.framework_of(session, assessment)
    shown = lke_summary.for_area(session, assessment=assessment, framework=fw,
                                 area_ref=area_ref)
    return _questions_context(
        session, principal, assessment, fw, area_ref,
        [q.ref for q in fw.area(area_ref).questions], nodes=shown.nodes,
        verdict=shown.verdict, rows=shown.rows,
        summary_row=shown.row or lke_summary.of(session, assessment=assessment), **extra)


def _questions_context(
    session: Session, principal: Principal, assessment: Assessment, fw: Framework,
    area_ref: str, refs: list[str], *, nodes, verdict, rows, summary_row, **extra
) -> dict:
    """The context of questions ``refs`` of one area and the out-of-band scores."""
    return {
        "open_area": area_ref,
        "assessment": assessment,
        "fw": fw,
        "fd": display.of(fw),  # its printed text, prepared once per version and language
        "nodes": nodes,
        "verdict": verdict,
        "rows": rows,
        "progress": overview.progress_of(summary_row),
        "can_edit": _can_edit(principal, assessment),
        "evidence_by_ref": evidence_links.question_evidence(
            session, assessment=assessment, framework=fw, refs=refs),
        "review_flags": review_records.open_flags(session, assessment=assessment),
        **integration_pages.area_context(session, principal, assessment,
                                         {r: rows[r] for r in refs if r in rows}),
        "errors": {},
        "drafts": {},
        **extra,
    }


def _open_area(fw: Framework, ref: str | None) -> str:
    """The area whose questions the page carries (the others load when opened): the one
    asked for, else the first."""
    if ref and any(a.ref == ref for a in fw.areas()):
        return ref
    return next(fw.areas()).ref


def _ancestors(q: Question) -> list[str]:
    """The scores shown on the page above a question, swapped out of band after an answer
    (a component's score is not on the page: swapping it was htmx's oobErrorNoTarget)."""
    return [q.sub_indicator_ref, q.area_ref, q.part_ref, "TOTAL"]


# --- assessments of a unit ---------------------------------------------------------------


@router.get("/units/{unit_id}/assessments")
def assessment_list(
    request: Request, session: SessionDep, principal: ReadUnit, unit_id: int
) -> Response:
    unit = units.get(session, unit_id=unit_id)
    items = [{"a": x.assessment, "total": x.total, "verdict": x.verdict, "progress": x.progress}
             for x in overview.listed(
                 session, svc.list_for_unit(session, actor=principal, unit_id=unit_id))]
    below = units.descendants(units.children_map(session), unit_id)
    oversight_rows = []
    if below:
        oversight_rows = [
            r for r in overview.oversight(session, actor=principal) if r.unit.id in below
        ]
    return render(request, "pages/lke/list.html", {
        "unit": unit, "items": items, "oversight_rows": oversight_rows,
        "can_create": principal.can("indicators.write", unit_id),
        "years": [i["a"].year for i in items],
        "defaults": svc.new_defaults(session, unit_id=unit_id,
                                     taken=[i["a"].year for i in items]),
    })


@router.post("/units/{unit_id}/assessments")
async def assessment_create(
    request: Request,
    session: SessionDep,
    principal: WriteUnit,
    unit_id: int,
) -> Response:
    body = AssessmentIn.parse(await request.form())
    a = svc.create(session, actor=principal, unit_id=unit_id, year=body.year,
                   target=str(body.target), framework_id=body.framework_id)
    location = f"/assessments/{a.id}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


# --- the worksheet -----------------------------------------------------------------------


@router.get("/assessments/{assessment_id}")
def worksheet(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int,
    area: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The worksheet: every part and area with its score; the questions of one area (the
    first, or ``?area=REF``) in the page, the others' loaded by htmx when opened."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    return render(request, WORKSHEET, _worksheet_context(session, principal, a, area=area))


@router.get("/assessments/{assessment_id}/areas/{area_ref}")
def worksheet_area(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int,
    area_ref: str,
) -> Response:
    """The questions of one area (htmx, when its <details> is first opened); a browser
    without htmx gets the worksheet with that area in it."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    fw = svc.framework_of(session, a)
    try:
        area = fw.area(area_ref)
    except KeyError:
        raise NotFound(f"Area '{area_ref}' tidak ada dalam LKE.") from None
    if not is_htmx(request):
        return RedirectResponse(f"/assessments/{a.id}?area={area.ref}#a-{area.ref}",
                                status_code=303)
    ctx = _area_context(session, principal, a, area.ref, area=area)
    return render(request, WORKSHEET, ctx, block="area_body")


def _form_change(q: Question, form) -> lke_answers.AnswerChange:
    text = form.get("penjelasan")
    penjelasan = text if isinstance(text, str) else None
    if q.options:
        option = form.get("option")
        return lke_answers.AnswerChange(q.ref, option=option or None, penjelasan=penjelasan)
    if q.is_index:
        index = (form.get("index") or "").strip()
        return lke_answers.AnswerChange(q.ref, index=index or None, penjelasan=penjelasan)
    inputs = {i.key: (form.get(f"in_{i.key}") or "").strip() for i in q.inputs}
    if not any(inputs.values()):
        return lke_answers.AnswerChange(q.ref, penjelasan=penjelasan)
    return lke_answers.AnswerChange(
        q.ref, inputs={k: (v if v else None) for k, v in inputs.items()}, penjelasan=penjelasan
    )


@router.post("/assessments/{assessment_id}/answers/{ref}")
async def save_answer(
    request: Request, session: SessionDep, principal: WriteAny, assessment_id: int, ref: str
) -> Response:
    """Save one question from its form; htmx gets the question back plus OOB score updates."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id,
                permission="indicators.write")
    fw = svc.framework_of(session, a)
    if not fw.has_question(ref):
        raise Invalid(f"Pertanyaan '{ref}' tidak ada dalam LKE.")
    q = fw.question(ref)
    form = await request.form()
    change = _form_change(q, form)
    if is_htmx(request) and change.inputs and not all(change.inputs.values()):
        # A numeric question is being filled in: wait for every input before saving, so the
        # form is not swapped (and typing lost) on each field. The save button still reports.
        if form.get("_explicit") is None:
            return Response(status_code=204)
    errors: dict[str, list[str]] = {}
    drafts: dict[str, dict] = {}
    try:
        _rows, saved = lke_answers.answer_scored(session, actor=principal,
                                                 assessment_id=a.id, changes=[change])
    except Invalid as exc:
        if not is_htmx(request):
            raise
        # Refused: nothing changed, the session was rolled back. The question with its
        # problems and what was typed, scored as stored.
        errors[ref] = [p.split(": ", 1)[-1] for p in exc.problems] or [exc.message]
        drafts[ref] = {k: v for k, v in form.items() if isinstance(v, str)}
        a = svc.get(session, actor=principal, assessment_id=a.id)
        ctx = _area_context(session, principal, a, q.area_ref, errors=errors, drafts=drafts,
                            q=q, saved=False, oob_refs=_ancestors(q))
        return render(request, WORKSHEET, ctx, block="question", status_code=422)
    if not is_htmx(request):
        return RedirectResponse(f"/assessments/{a.id}?area={q.area_ref}#q-{ref}",
                                status_code=303)
    # The saved question and the scores above it, from what the save wrote: no reads but
    # the question's evidence.
    scored = saved.scored
    ctx = _questions_context(session, principal, a, fw, q.area_ref, [ref],
                             nodes=scored.nodes, verdict=scored.verdict, rows=saved.rows,
                             summary_row=scored.row, q=q, saved=True,
                             oob_refs=_ancestors(q))
    html = render(request, WORKSHEET, ctx, block="question").body.decode()
    html += render(request, WORKSHEET, ctx, block="oob").body.decode()
    return Response(html, status_code=200, media_type="text/html")


@router.get("/assessments/{assessment_id}/answers/{ref}/revisions")
def answer_revisions(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int, ref: str
) -> Response:
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    revs = lke_answers.revisions(session, actor=principal, assessment_id=a.id, ref=ref)
    fw = svc.framework_of(session, a)
    q = fw.question(ref) if fw.has_question(ref) else None
    labels = {i.key: i.label for i in q.inputs} if q else {}
    return render(request, "pages/lke/revisions.html", {
        "assessment": a, "ref": ref, "revisions": revs, "unit": _unit(session, a),
        "labels": labels, "area_ref": q.area_ref if q else None,
    }, block="revlist" if is_htmx(request) else None)


# --- verdict and gap planner -------------------------------------------------------------


def _target(target: str | None, a: Assessment) -> str:
    return target if target in svc.TARGETS else a.target


@router.get("/assessments/{assessment_id}/gaps")
def gaps_page(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int,
    target: str | None = None,
) -> Response:
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    target = _target(target, a)
    plan = scores.gap_plan(session, assessment=a, target=target)
    fw = svc.framework_of(session, a)
    return render(request, GAPS, {
        "unit": _unit(session, a), "assessment": a, "fw": fw, "plan": plan, "target": target,
        "holds_wbk": scores.holds_wbk(session, unit_id=a.unit_id),
        "rows": lke_answers.answers_of(session, assessment_id=a.id),
        # the same SVG as in the PDF report
        "area_chart": Markup(lke_report.area_chart(
            fw, plan.report, lang=getattr(request.state, "language", "id"))),
    })


@router.post("/assessments/{assessment_id}/what-if")
async def what_if(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int
) -> Response:
    """Score and verdict with the hypothetical answers of the form; nothing is stored."""
    a = svc.get(session, actor=principal, assessment_id=assessment_id)
    fw = svc.framework_of(session, a)
    form = await request.form()
    target = _target(form.get("target") if isinstance(form.get("target"), str) else None, a)
    changes = []
    for q in fw.questions():
        if q.options:
            value = form.get(f"opt_{q.ref}")
            if value:
                changes.append(lke_answers.AnswerChange(q.ref, option=str(value)))
        elif q.is_index:
            value = (form.get(f"idx_{q.ref}") or "").strip()
            if value:
                changes.append(lke_answers.AnswerChange(q.ref, index=value))
        else:
            inputs = {i.key: (form.get(f"in_{q.ref}_{i.key}") or "").strip() for i in q.inputs}
            if any(inputs.values()):
                changes.append(lke_answers.AnswerChange(
                    q.ref, inputs={k: (v or None) for k, v in inputs.items()}))
    before = scores.evaluate(session, assessment=a, target=target)
    ctx = {"assessment": a, "target": target, "before": before, "changes": changes,
           "unit": _unit(session, a), "problems": []}
    if not changes:
        ctx["problems"] = ["Pilih minimal satu jawaban hipotetis."]
    else:
        try:
            report, verdict = scores.what_if(session, assessment=a, changes=changes, target=target)
            ctx.update(report=report, verdict=verdict)
        except Invalid as exc:
            ctx["problems"] = exc.problems or [exc.message]
    if is_htmx(request):
        return render(request, GAPS, ctx, block="whatif_result")
    plan = scores.gap_plan(session, assessment=a, target=target)
    ctx.update(plan=plan, fw=fw, holds_wbk=before.holds_wbk,
               rows=lke_answers.answers_of(session, assessment_id=a.id))
    return render(request, GAPS, ctx)


# --- year over year and oversight --------------------------------------------------------


@router.get("/units/{unit_id}/assessments/compare")
def compare_page(
    request: Request, session: SessionDep, principal: ReadUnit, unit_id: int,
    base: int | None = None, other: int | None = None,
) -> Response:
    unit = units.get(session, unit_id=unit_id)
    items = svc.list_for_unit(session, actor=principal, unit_id=unit_id)
    comparison = None
    if len(items) >= 2:
        by_id = {a.id: a for a in items}
        other_a = by_id.get(other) or items[0]
        base_a = by_id.get(base) or next((a for a in items if a.id != other_a.id), items[1])
        comparison = overview.compare(session, actor=principal, base_id=base_a.id,
                                      other_id=other_a.id)
    return render(request, "pages/lke/compare.html", {
        "unit": unit, "items": items, "comparison": comparison,
    })


@router.get("/oversight")
def oversight_page(
    request: Request, session: SessionDep, principal: ReadAny, year: int | None = None
) -> Response:
    rows = overview.oversight(session, actor=principal, year=year)
    return render(request, "pages/lke/oversight.html", {"rows": rows, "year": year})
