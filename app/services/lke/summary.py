"""Each live assessment's score summary (``assessment_summary``), kept current.

Like the survey tallies (``app.services.surveys.tallies``): rather than scoring an
assessment's answers on every read, every use case that changes what the summary shows
rewrites its row in the same transaction, so at every commit the row equals a full
recomputation (``compute``; the tests check it after random sequences of changes):

- the answers (``answers.answer_many``, ``clear_answer``): scores, verdict, progress;
- evidence links (``evidence_links.link``, ``unlink``, ``carry_over``, ``evidence.delete``):
  coverage;
- status and reviews (``submission.submit``, ``review.decide``): status, round, level, the
  reviewers' totals;
- the target (``assessments.set_target``) and the unit's WBK award (``units.add_predicate``):
  the verdict;
- ``assessments.create`` adds the row, ``assessments.delete`` removes it.

Concurrent writers: each takes the row's lock (``FOR UPDATE`` on PostgreSQL; SQLite has one
writer at a time) before reading what it summarises, so the last to commit summarised
everything committed before it. ``rebuild`` recomputes every row (``zona recount-lke``);
``fill_missing`` adds the rows of assessments stored before the table existed (``zona
migrate``). Readers (``of``, ``for_assessments``) compute a missing row on the fly, unsaved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import bindparam, delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.domain.lke import (
    AreaScore,
    Framework,
    Verdict,
    evaluate_scores,
    rescored,
    score_area,
    verdict_refs,
)
from app.domain.lke.framework import TOTAL_REF
from app.domain.lke.review import exact_text, parse_exact, waiting_level
from app.models.lke.assessments import Assessment, LkeFramework
from app.models.lke.evidence import Evidence, EvidenceLink
from app.models.lke.review import LkeReview, LkeSubmission
from app.models.lke.summary import AssessmentSummary
from app.security.principal import Principal
from app.services.lke import assessments as lke_assessments
from app.services.lke import frameworks, scores

__all__ = [
    "SUMMARY_LEVELS", "AreaShown", "NodeSummary", "Scored", "VerdictSummary", "answers_changed",
    "area_shown", "areas_of", "for_area",
    "compute", "evidence_changed", "fill_missing", "for_assessments", "latest_of_unit", "locked",
    "of",
    "rebuild", "refresh",
    "refresh_unit", "remove", "scores_changed", "status_changed", "total_of", "verdict_of",
]

#: The nodes whose scores a summary keeps.
SUMMARY_LEVELS = frozenset({"total", "component", "part", "area"})

_SCORE_FIELDS = (
    "framework_id", "target", "self_total", "self_score", "node_scores", "holds_wbk",
    "verdict_passed", "verdict_failed", "answered", "questions", "invalid",
)
_EVIDENCE_FIELDS = ("evidence_covered", "evidence_expected")
_STATUS_FIELDS = ("status", "review_round", "review_level", "regional_total", "tpi_total")

# Built once: constructing a statement costs about as much as running it.
_COVERED_ITEMS = (
    sa_select(EvidenceLink.question_ref, EvidenceLink.expected_index)
    .join(Evidence, col(Evidence.id) == col(EvidenceLink.evidence_id))
    .where(
        EvidenceLink.assessment_id == bindparam("assessment_id"),
        col(EvidenceLink.unlinked_at).is_(None),
        col(Evidence.deleted_at).is_(None),
        col(EvidenceLink.expected_index).is_not(None),
    )
    .distinct()
)
_LATEST_ROUND = sa_select(func.max(LkeSubmission.round)).where(
    LkeSubmission.assessment_id == bindparam("assessment_id")
)
_DECISIONS = (
    sa_select(LkeReview.level, LkeReview.review_total)
    .where(LkeReview.assessment_id == bindparam("assessment_id"))
    .order_by(col(LkeReview.id))
)
_LOCKED_ROW = (
    select(AssessmentSummary)
    .where(AssessmentSummary.assessment_id == bindparam("assessment_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _now() -> datetime:
    return datetime.now(UTC)


# --- computing ---------------------------------------------------------------------------

def _score_values(ev: scores.Evaluation) -> dict[str, Any]:
    report, verdict = ev.report, ev.verdict
    total = report.total.score
    return {
        "framework_id": ev.assessment.framework_id,
        "target": verdict.target,
        "self_total": exact_text(total),
        "self_score": float(total),
        "node_scores": {ref: exact_text(node.score) for ref, node in report.nodes.items()
                        if node.level in SUMMARY_LEVELS},
        "holds_wbk": ev.holds_wbk,
        "verdict_passed": verdict.passed,
        "verdict_failed": _failed(verdict),
        "answered": report.total.answered,
        "questions": report.total.questions,
        "invalid": len(report.invalid),
    }


def _failed(verdict: Verdict) -> list[list[str | None]]:
    return [
        [c.code, None if c.value is None else exact_text(c.value),
         None if c.threshold is None else exact_text(c.threshold)]
        for c in verdict.failed
    ]


def _expected_items(framework: Framework) -> dict[str, int]:
    return {q.ref: len(q.evidence) for q in framework.questions()}


def _evidence_values(session: Session, assessment: Assessment,
                     framework: Framework) -> dict[str, Any]:
    """Expected-evidence items covered by a live link to live evidence, as
    ``evidence_links.coverage`` counts them (an index the question does not have covers
    nothing)."""
    expected = framework.derived("evidence_expected_items", _expected_items)
    covered = sum(
        1 for ref, index in session.exec(_COVERED_ITEMS,
                                         params={"assessment_id": assessment.id})
        if 0 <= index < expected.get(ref, 0)
    )
    return {"evidence_covered": covered, "evidence_expected": sum(expected.values())}


def _status_values(session: Session, assessment: Assessment) -> dict[str, Any]:
    latest = session.exec(_LATEST_ROUND, params={"assessment_id": assessment.id}).one()[0]
    totals: dict[str, str] = {}
    for level, total in session.exec(_DECISIONS, params={"assessment_id": assessment.id}):
        totals[level] = total  # decisions oldest first: the last one per level stays
    return {
        "status": assessment.status,
        "review_round": latest or 0,
        "review_level": waiting_level(assessment.status),
        "regional_total": totals.get("regional"),
        "tpi_total": totals.get("tpi"),
    }


def compute(session: Session, *, assessment: Assessment,
            evaluation: scores.Evaluation | None = None) -> dict[str, Any]:
    """Every column of the assessment's summary, recomputed from what is stored (pass
    ``evaluation`` when the caller has just scored the stored answers)."""
    ev = evaluation or scores.evaluate(session, assessment=assessment, rows_for=scores.no_rows)
    return {
        "assessment_id": assessment.id, "unit_id": assessment.unit_id,
        "year": assessment.year,
        **_score_values(ev),
        **_evidence_values(session, assessment, ev.framework),
        **_status_values(session, assessment),
    }


# --- keeping rows current (inside the caller's transaction) ------------------------------

def _locked(session: Session, assessment: Assessment) -> AssessmentSummary | None:
    return session.exec(_LOCKED_ROW, params={"assessment_id": assessment.id}).first()


def _write(session: Session, row: AssessmentSummary, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    row.updated_at = _now()
    session.add(row)


def refresh(session: Session, *, assessment: Assessment,
            evaluation: scores.Evaluation | None = None) -> AssessmentSummary:
    """Recompute the whole row (create it when missing); no commit."""
    row = _locked(session, assessment)
    values = compute(session, assessment=assessment, evaluation=evaluation)
    if row is None:
        row = AssessmentSummary(**values)
        session.add(row)
        return row
    _write(session, row, values)
    return row


def scores_changed(session: Session, *, assessment: Assessment) -> scores.Evaluation:
    """After its answers, target or the unit's WBK award changed: scores, verdict and
    progress. Returns the evaluation of the stored answers (flushed first)."""
    session.flush()
    row = _locked(session, assessment)
    ev = scores.evaluate(session, assessment=assessment, rows_for=scores.no_rows)
    if row is None:
        refresh(session, assessment=assessment, evaluation=ev)
    else:
        _write(session, row, _score_values(ev))
    return ev


@dataclass(frozen=True)
class Scored:
    """The scores after a change of answers, as the worksheet shows them: ``nodes`` holds
    every summarised node (total, components, parts, areas; ``NodeSummary``) and every node
    of the changed areas (``NodeScore``: sub-indicators and questions too), ``verdict`` the
    verdict against the target, ``row`` the summary as written."""

    nodes: Mapping[str, Any]
    verdict: Verdict
    row: AssessmentSummary


def locked(session: Session, *, assessment: Assessment) -> AssessmentSummary | None:
    """The assessment's summary row, locked until the commit (``FOR UPDATE`` on PostgreSQL;
    SQLite has one writer at a time): take it before reading what the row summarises."""
    return _locked(session, assessment)


def _summarised_nodes(framework: Framework, scores_by_ref: Mapping[str, Fraction]
                      ) -> dict[str, NodeSummary]:
    out = {}
    for ref, value in scores_by_ref.items():
        if ref == TOTAL_REF:
            out[ref] = NodeSummary(ref, framework.title, Fraction(framework.weight), value)
        else:
            node = framework.node(ref)
            out[ref] = NodeSummary(ref, node.name, Fraction(node.weight), value)
    return out


def answers_changed(
    session: Session, *, assessment: Assessment, framework: Framework,
    row: AssessmentSummary | None, before: Mapping[str, AreaScore],
    after: Mapping[str, AreaScore],
) -> Scored:
    """After answers of the areas in ``before``/``after`` changed (their scores before and
    after, by area ref), with ``row`` taken by ``locked`` before the answers were read.

    A node's score is the plain sum of its areas', so the row's stored scores of the
    changed areas and of every node above them move by each area's difference, and so do
    its answered and invalid counts: constant work whatever the assessment's size, equal to
    a full recomputation (the row equals one at every commit; the tests check it after
    random changes). A full scoring only when there is no row yet or the verdict reads a
    node the row does not keep."""
    stored = _stored_scores(row, assessment) if row is not None else None
    changed_nodes: dict[str, Any] = {}
    for score in after.values():
        changed_nodes.update(score.nodes)
    if stored is None or not verdict_refs(framework) <= (stored.keys() | changed_nodes.keys()):
        ev = scores_changed(session, assessment=assessment)
        row = _locked(session, assessment) if row is None else row
        return Scored(ev.report.nodes, ev.verdict, row)
    updated = stored
    answered, invalid = row.answered, row.invalid
    for ref, now in after.items():
        was = before[ref]
        updated = rescored(framework, updated, was, now)
        answered += now.area.answered - was.area.answered
        invalid += len(now.invalid) - len(was.invalid)
    verdict = evaluate_scores(framework, {**updated, **{r: n.score for r, n in
                                                         changed_nodes.items()}},
                              assessment.target, holds_wbk=row.holds_wbk)
    total, texts = updated[TOTAL_REF], row.node_scores or {}
    _write(session, row, {
        "self_total": exact_text(total),
        "self_score": float(total),
        # the stored text of each node that did not move
        "node_scores": {ref: texts[ref] if value == stored[ref] else exact_text(value)
                        for ref, value in updated.items()},
        "verdict_passed": verdict.passed,
        "verdict_failed": _failed(verdict),
        "answered": answered,
        "invalid": invalid,
    })
    return Scored({**_summarised_nodes(framework, updated), **changed_nodes}, verdict, row)


def area_shown(session: Session, *, assessment: Assessment, framework: Framework,
               area_ref: str, rows: Mapping[str, Any]) -> Scored | None:
    """The scores a page shows with the questions of one area, read from the summary
    instead of scoring every answer: the summarised nodes as the row keeps them (current at
    every commit), the area's own nodes (sub-indicators, questions) scored from ``rows``, its
    stored answer rows by ref, and the verdict from those exact scores; a full scoring gives
    the same (the tests compare). None when the row cannot serve: missing, of another
    framework or target, or the verdict reads a node it does not keep."""
    from app.services.lke.answers import answer_inputs

    row = session.get(AssessmentSummary, assessment.id)
    stored = _stored_scores(row, assessment) if row is not None else None
    if stored is None:
        return None
    area = score_area(framework, area_ref, answer_inputs(rows))
    if not verdict_refs(framework) <= (stored.keys() | area.nodes.keys()):
        return None
    verdict = evaluate_scores(framework, {**stored, **{r: n.score for r, n in
                                                        area.nodes.items()}},
                              assessment.target, holds_wbk=row.holds_wbk)
    return Scored({**_summarised_nodes(framework, stored), **area.nodes}, verdict, row)


@dataclass(frozen=True)
class AreaShown:
    """What a page showing the questions of one area needs of the scores: ``nodes`` (the
    summarised nodes and every node of the area), the ``verdict``, the area's answer
    ``rows`` by ref, how many questions are ``answered`` of all ``questions``, and the
    summary ``row`` it was read from (None when it was scored in full)."""

    nodes: Mapping[str, Any]
    verdict: Verdict
    rows: Mapping[str, Any]
    answered: int
    questions: int
    row: AssessmentSummary | None


def for_area(session: Session, *, assessment: Assessment, framework: Framework,
             area_ref: str) -> AreaShown:
    """The scores of a page showing the questions of ``area_ref`` (``area_shown``; a full
    scoring of the stored answers when the summary cannot serve)."""
    from app.services.lke.answers import answers_of

    rows = answers_of(session, assessment_id=assessment.id,
                      refs=[q.ref for q in framework.area(area_ref).questions])
    scored = area_shown(session, assessment=assessment, framework=framework,
                        area_ref=area_ref, rows=rows)
    if scored is not None:
        return AreaShown(scored.nodes, scored.verdict, rows, scored.row.answered,
                         scored.row.questions, scored.row)
    ev = scores.evaluate(session, assessment=assessment, rows_for=lambda fw: rows)
    total = ev.report.total
    return AreaShown(ev.report.nodes, ev.verdict, ev.rows, total.answered, total.questions,
                     None)


def _stored_scores(row: AssessmentSummary, assessment: Assessment) -> dict[str, Fraction] | None:
    """The row's exact node scores (None when the row is not of the assessment's framework
    and target: then it is recomputed)."""
    if row.framework_id != assessment.framework_id or row.target != assessment.target:
        return None
    found = {ref: parse_exact(text) for ref, text in (row.node_scores or {}).items()}
    return found if TOTAL_REF in found else None


def evidence_changed(session: Session, *, assessment: Assessment) -> None:
    """After evidence links of the assessment changed: the coverage."""
    session.flush()
    row = _locked(session, assessment)
    if row is None:
        refresh(session, assessment=assessment)
        return
    from app.services.lke.assessments import framework_of

    _write(session, row, _evidence_values(session, assessment, framework_of(session, assessment)))


def status_changed(session: Session, *, assessment: Assessment) -> None:
    """After a submission or a review decision: status, round, level, reviewers' totals."""
    session.flush()
    row = _locked(session, assessment)
    if row is None:
        refresh(session, assessment=assessment)
        return
    _write(session, row, _status_values(session, assessment))


def refresh_unit(session: Session, *, unit_id: int) -> None:
    """After the unit's predicate awards changed: the verdicts of its live assessments."""
    for assessment in session.exec(
        select(Assessment).where(Assessment.unit_id == unit_id,
                                 col(Assessment.deleted_at).is_(None))
    ).all():
        scores_changed(session, assessment=assessment)


def remove(session: Session, *, assessment_id: int) -> None:
    """The assessment is no longer live: no summary."""
    session.execute(
        delete(AssessmentSummary).where(col(AssessmentSummary.assessment_id) == assessment_id)
    )


def _live_assessments(session: Session, *, missing_only: bool) -> list[Assessment]:
    query = select(Assessment).where(col(Assessment.deleted_at).is_(None))
    if missing_only:
        query = query.where(
            ~sa_select(AssessmentSummary.assessment_id)
            .where(AssessmentSummary.assessment_id == Assessment.id).exists()
        )
    return list(session.exec(query.order_by(col(Assessment.id))).all())


def rebuild(session: Session) -> int:
    """Recompute every live assessment's row and drop the others'; in the caller's
    transaction. For repairs and data loaded around the services. Returns the rows."""
    live = _live_assessments(session, missing_only=False)
    session.execute(delete(AssessmentSummary).where(
        col(AssessmentSummary.assessment_id).not_in([a.id for a in live] or [-1])
    ))
    for assessment in live:
        refresh(session, assessment=assessment)
    return len(live)


def fill_missing(session: Session) -> int:
    """Add the rows of live assessments that have none (stored before the table existed);
    in the caller's transaction. Returns how many were added."""
    missing = _live_assessments(session, missing_only=True)
    for assessment in missing:
        refresh(session, assessment=assessment)
    return len(missing)


# --- reading -----------------------------------------------------------------------------

def of(session: Session, *, assessment: Assessment) -> AssessmentSummary:
    """The assessment's summary (computed, not stored, when it has no row yet)."""
    row = session.get(AssessmentSummary, assessment.id)
    return row if row is not None else AssessmentSummary(**compute(session,
                                                                    assessment=assessment))


# Built once (building a statement costs about as much as running it here).
_LATEST_OF_UNIT = (
    select(Assessment, AssessmentSummary, LkeFramework.sha256)
    .join(LkeFramework, col(LkeFramework.id) == Assessment.framework_id)
    .outerjoin(AssessmentSummary, col(AssessmentSummary.assessment_id) == Assessment.id)
    .where(Assessment.unit_id == bindparam("unit_id"), col(Assessment.deleted_at).is_(None))
    .order_by(col(Assessment.year).desc())
)


def latest_of_unit(session: Session, *, actor: Principal | None, unit_id: int
                   ) -> tuple[list[Assessment], AssessmentSummary | None, Framework | None]:
    """The unit's live assessments, newest year first (``assessments.list_for_unit``), with
    the newest one's summary and framework: one statement joins each assessment's stored
    summary and its framework version's content hash."""
    lke_assessments.check_readable(session, actor=actor, unit_id=unit_id)
    rows = session.exec(_LATEST_OF_UNIT, params={"unit_id": unit_id}).all()
    items = [a for a, _s, _h in rows]
    if not rows:
        return items, None, None
    latest, row, sha256 = rows[0]
    if row is None:
        row = AssessmentSummary(**compute(session, assessment=latest))
    framework = frameworks.load_hashed(session, framework_id=latest.framework_id,
                                       sha256=sha256)
    return items, row, framework


def for_assessments(session: Session,
                    assessments: Iterable[Assessment]) -> dict[int, AssessmentSummary]:
    """Summaries of several assessments by id, in one query (missing ones computed)."""
    wanted = {a.id: a for a in assessments}
    if not wanted:
        return {}
    found = {
        row.assessment_id: row for row in session.exec(
            select(AssessmentSummary)
            .where(col(AssessmentSummary.assessment_id).in_(list(wanted)))
        ).all()
    }
    for assessment_id, assessment in wanted.items():
        if assessment_id not in found:
            found[assessment_id] = AssessmentSummary(**compute(session, assessment=assessment))
    return found


def total_of(row: AssessmentSummary, ref: str = "TOTAL") -> Fraction | None:
    """The exact score of one summarised node (None when the framework has no such node)."""
    text = (row.node_scores or {}).get(ref)
    return parse_exact(text) if text is not None else None


@dataclass(frozen=True)
class VerdictSummary:
    """A summary's verdict as lists and dashboards show it (``verdict_badge`` reads
    ``passed`` and ``target``); ``failed``: the codes of the requirements not met."""

    target: str
    passed: bool
    failed: tuple[str, ...]


def verdict_of(row: AssessmentSummary) -> VerdictSummary:
    return VerdictSummary(row.target, row.verdict_passed,
                          tuple(code for code, *_ in row.verdict_failed or ()))


@dataclass(frozen=True)
class NodeSummary:
    """One summarised node with its name and weight from the framework."""

    ref: str
    name: str
    weight: Fraction
    score: Fraction

    @property
    def percentage(self) -> Fraction:
        return self.score / self.weight * 100 if self.weight else Fraction(0)


def areas_of(row: AssessmentSummary, framework: Framework) -> list[NodeSummary]:
    """Every area of the framework with its summarised score, in document order."""
    scores_by_ref = row.node_scores or {}
    return [NodeSummary(a.ref, a.name, Fraction(a.weight),
                        parse_exact(scores_by_ref.get(a.ref, "0")))
            for a in framework.areas()]
