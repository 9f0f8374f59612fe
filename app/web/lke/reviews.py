"""Review-chain pages: submission status and submit, the reviewer's queue, the review
workspace (the reviewer's own value and note per question, totals updating), and the
self / regional office / TPI comparison."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SessionDep, requires
from app.domain.lke import review as rv
from app.i18n import gettext as _
from app.security.principal import Principal
from app.services import units
from app.services.errors import NotFound
from app.services.lke import (
    answers,
    assessments,
    evidence_links,
    overview,
    review_page,
    review_records,
)
from app.services.lke import review as svc
from app.services.lke import submission as lke_submission
from app.services.lke.inputs import DecisionFields, SubmitFields
from app.web.confirm import Step, confirmation_step
from app.web.templating import is_htmx, render

router = APIRouter(tags=["pages"])

ReadAny = Annotated[Principal, Depends(requires("unit.read", unit_param=None))]
SubmitAny = Annotated[Principal, Depends(requires("indicators.submit", unit_param=None))]
ReviewUnit = Annotated[Principal, Depends(requires("review.write"))]
ReviewAny = Annotated[Principal, Depends(requires("review.write", unit_param=None))]

REVIEW_PAGE = "pages/lke/reviews/review.html"
PARTIES = ("self", rv.REGIONAL, rv.TPI)


# --- submission -------------------------------------------------------------------------

def _submission_context(session, principal, assessment_id: int, *,
                        require_evidence: bool = False) -> dict[str, Any]:
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id)
    unit = units.get(session, unit_id=assessment.unit_id)
    framework = assessments.framework_of(session, assessment)
    readiness = lke_submission.readiness(session, assessment=assessment,
                                         require_evidence=require_evidence)
    return {
        "unit": unit, "assessment": assessment, "framework": framework,
        "readiness": readiness,
        "flags": review_records.open_flags(session, assessment=assessment),
        "returned_by": review_records.latest_return(session, assessment=assessment),
        "submissions": lke_submission.submissions(
            session, actor=principal, assessment_id=assessment.id
        ),
        "decisions": review_records.reviews(session, actor=principal, assessment_id=assessment.id),
        "progress": overview.progress(session, assessment=assessment),
        "editable": assessments.is_editable(assessment),
        "can_submit": principal.can("indicators.submit", unit.id) and principal.kind == "user",
        "can_write": principal.can("indicators.write", unit.id),
        "previous": evidence_links.previous_assessment(session, assessment=assessment),
        "next_reviewers": review_page.next_reviewers(session, assessment=assessment),
    }


def _require_evidence(request: Request) -> bool:
    return request.app.state.settings.require_evidence_on_submit


@router.get("/assessments/{assessment_id}/submission")
def submission_page(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int
) -> Response:
    return render(request, "pages/lke/reviews/submission.html",
                  _submission_context(session, principal, assessment_id,
                                      require_evidence=_require_evidence(request)))


@router.post("/assessments/{assessment_id}/submit")
def submit(
    request: Request,
    session: SessionDep,
    principal: SubmitAny,
    assessment_id: int,
    form: Annotated[SubmitFields, Form()],
) -> Response:
    required = _require_evidence(request)
    lke_submission.submit(session, actor=principal, assessment_id=assessment_id,
                          note=form.note, require_evidence=required)
    context = _submission_context(session, principal, assessment_id, require_evidence=required)
    context["flash"] = _("Penilaian diajukan untuk direviu.")
    if is_htmx(request):
        return render(request, "pages/lke/reviews/submission.html", context, block="status")
    return RedirectResponse(f"/assessments/{assessment_id}/submission", status_code=303)


# --- queue ------------------------------------------------------------------------------

@router.get("/units/{unit_id}/reviews")
def queue_page(
    request: Request, session: SessionDep, principal: ReviewUnit, unit_id: int
) -> Response:
    unit = units.get(session, unit_id=unit_id)
    tree = units.children_map(session)
    scope = units.descendants(tree, unit.id) | {unit.id}
    entries = [e for e in lke_submission.queue(session, actor=principal) if e.unit.id in scope]
    return render(request, "pages/lke/reviews/queue.html", {"unit": unit, "entries": entries})


# --- the review workspace ---------------------------------------------------------------

def _area_of(framework, ref: str) -> str | None:
    return next((a.ref for a in framework.areas() if any(q.ref == ref for q in a.questions)),
                None)


def _workspace(session, principal, assessment_id: int, *, area: str | None = None,
               only: str | None = None) -> dict[str, Any]:
    opening = review_page.open_review(session, actor=principal, assessment_id=assessment_id)
    assessment, level = opening.assessment, opening.level
    unit = units.get(session, unit_id=assessment.unit_id)
    if opening.decision is not None:  # read-only: what the last decision recorded
        scoring, drafts = svc.decided_scoring(session, assessment=assessment,
                                              decision=opening.decision)
    else:
        scoring, drafts = svc.working_scoring(session, assessment=assessment, level=level)
    framework = scoring.framework
    rows = answers.answers_of(session, assessment_id=assessment.id)
    evidence = evidence_links.question_evidence(session, assessment=assessment,
                                                framework=framework)
    submission = lke_submission.current_submission(session, assessment_id=assessment.id)
    focus = review_page.focus(scoring=scoring, drafts=drafts, evidence=evidence,
                              submission=submission, area=area, only=only)
    context = {
        "unit": unit, "assessment": assessment, "level": level,
        "position": opening.position, "readonly": opening.readonly, "why": opening.why,
        "framework": framework, "scoring": scoring, "drafts": drafts, "rows": rows,
        "evidence": evidence, "focus": focus, "filters": review_page.FILTERS,
        "reviewed": review_page.reviewed_refs(drafts, submission),
        "flagged": [q.ref for q in framework.questions()
                    if q.ref in drafts and drafts[q.ref].flagged],
        "area_of": {q.ref: a.ref for a in framework.areas() for q in a.questions},
        "submission": submission,
    }
    if not opening.readonly:
        context["confirm_accept"] = review_page.consequence(
            session, assessment=assessment, level=level, decision="accept")
        context["confirm_return"] = review_page.consequence(
            session, assessment=assessment, level=level, decision="return")
    return context


@router.get("/assessments/{assessment_id}/review")
def review_page_view(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int,
    area: str | None = None, only: str | None = None,
) -> Response:
    return render(request, REVIEW_PAGE,
                  _workspace(session, principal, assessment_id, area=area, only=only))


def _form_answer(form, question) -> dict[str, Any]:
    """The reviewer's value from a row form: option, numeric inputs or index."""
    if question.options:
        return {"option": (form.get("option") or "").strip() or None}
    if question.is_index:
        return {"index": (form.get("index") or "").strip() or None}
    inputs = {i.key: (form.get(f"in_{i.key}") or "").strip() for i in question.inputs}
    if all(v == "" for v in inputs.values()):
        return {"inputs": None}
    return {"inputs": {k: v for k, v in inputs.items() if v != ""}}


@router.post("/assessments/{assessment_id}/review/{ref}")
async def save_value(
    request: Request, session: SessionDep, principal: ReviewAny, assessment_id: int, ref: str
) -> Response:
    """Save one question's reviewer value / note / flag; returns its status and the totals."""
    form = await request.form()
    assessment = assessments.get(session, actor=principal, assessment_id=assessment_id,
                                 permission="review.write")
    framework = assessments.framework_of(session, assessment)
    if not framework.has_question(ref):
        raise NotFound(f"Pertanyaan '{ref}' tidak ada dalam LKE.")
    question = framework.question(ref)
    note = form.get("note")
    change = svc.DraftChange(
        ref=ref, **_form_answer(form, question),
        note=note if isinstance(note, str) else None,
        flagged=form.get("flagged") in ("1", "on", "true"),
    )
    svc.save_values(session, actor=principal, assessment_id=assessment_id, changes=[change])
    area = _area_of(framework, ref)
    context = _workspace(session, principal, assessment_id, area=area)
    context.update(q=question, saved=True)
    if not is_htmx(request):
        return RedirectResponse(f"/assessments/{assessment_id}/review?area={area}#r-{ref}",
                                status_code=303)
    context["oob"] = True
    # Only the row's status, the totals, the area strip and the decision panel are swapped
    # (out of band): the reviewer may already be typing in the same row.
    parts = [render(request, REVIEW_PAGE, context, block=name).body.decode()
             for name in ("row_status", "totals", "areas", "decision")]
    return HTMLResponse("".join(parts))


@router.post("/assessments/{assessment_id}/review-decision")
async def decide(
    request: Request,
    session: SessionDep,
    principal: ReviewAny,
    assessment_id: int,
    form: Annotated[DecisionFields, Form()],
) -> Response:
    opening = review_page.open_review(session, actor=principal, assessment_id=assessment_id)
    if not opening.readonly and form.decision in ("accept", "return"):
        unit = units.get(session, unit_id=opening.assessment.unit_id)
        accept = form.decision == "accept"
        step = await confirmation_step(request, Step(
            title=(_("Terima penilaian ini?") if accept
                   else _("Kembalikan penilaian ini ke unit?")),
            consequence=_(review_page.consequence(
                session, assessment=opening.assessment, level=opening.level,
                decision=form.decision)),
            action=_("Ya, terima") if accept else _("Ya, kembalikan"),
            cancel=f"/assessments/{assessment_id}/review", danger=not accept,
            details=(f"{unit.name} · LKE {opening.assessment.year} · {_('Target')} "
                     f"{opening.assessment.target}",),
        ), context={"unit": unit})
        if step is not None:
            return step
    review = svc.decide(session, actor=principal, assessment_id=assessment_id,
                        decision=form.decision, note=form.note)
    target = f"/assessments/{assessment_id}/comparison?decided={review.id}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# --- side by side -----------------------------------------------------------------------

@router.get("/assessments/{assessment_id}/comparison")
def comparison_page(
    request: Request, session: SessionDep, principal: ReadAny, assessment_id: int,
    all: int = 0, decided: int | None = None,
) -> Response:
    sbs = review_records.side_by_side(session, actor=principal, assessment_id=assessment_id)
    unit = units.get(session, unit_id=sbs.assessment.unit_id)
    decision = None
    if decided:
        decision = next((d for d in sbs.decisions.values() if d and d.id == decided), None)
    rows = sbs.comparison.rows
    summary = [r for r in rows if r.level in ("total", "part", "area")]
    questions = [r for r in rows if r.level == "question" and (all or r.differs)]
    return render(request, "pages/lke/reviews/comparison.html", {
        "unit": unit, "assessment": sbs.assessment, "sbs": sbs, "summary": summary,
        "questions": questions, "show_all": bool(all), "parties": PARTIES,
        "decision": decision,
    })
