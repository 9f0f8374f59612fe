"""The assessment summaries (``assessment_summary``) stay equal to a full recomputation
after every kind of change, in the same transaction; hand-worked figures for a few."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlmodel import Session, select

from app.domain.lke import review as rv
from app.models.lke.summary import AssessmentSummary
from app.services import units
from app.services.errors import ServiceError
from app.services.lke import answers, assessments, evidence, evidence_links, review, submission
from app.services.lke import summary as lke_summary
from tests.factories import principal
from tests.support.lke_review import complete_answers, new_assessment


def _stored(db: Session, assessment_id: int) -> dict:
    db.expire_all()
    row = db.get(AssessmentSummary, assessment_id)
    assert row is not None
    return {k: v for k, v in row.model_dump().items() if k != "updated_at"}


def _recomputed(db: Session, assessment_id: int) -> dict:
    db.expire_all()
    a = assessments.get(db, actor=None, assessment_id=assessment_id)
    return lke_summary.compute(db, assessment=a)


def _assert_current(db: Session, assessment_id: int) -> None:
    assert _stored(db, assessment_id) == _recomputed(db, assessment_id)


def test_a_new_assessment_is_summarised_empty(db, world, assessment_a1):
    row = _stored(db, assessment_a1.id)
    # 113 questions in LKE ZI 2021, none answered; 0 of every expected evidence item.
    assert row["questions"] == 113 and row["answered"] == 0 and row["invalid"] == 0
    assert row["self_total"] == "0" and row["self_score"] == 0.0
    assert row["status"] == "draft" and row["review_round"] == 0
    assert row["review_level"] is None and row["regional_total"] is None
    assert row["evidence_covered"] == 0 and row["evidence_expected"] > 0
    assert row["verdict_passed"] is False and row["holds_wbk"] is False
    assert row["node_scores"]["TOTAL"] == "0" and row["node_scores"]["PPA"] == "0"
    _assert_current(db, assessment_a1.id)


def test_answers_are_summarised_with_exact_scores(db, assessment_a1):
    # PPA2 weighs 1.00 over 3 questions: Ya/C/C = 1.00 x (1 + 0 + 0) / 3 = 1/3, and nothing
    # else is answered, so the area PPA, the part PP, the component P and the total are 1/3.
    answers.answer_many(db, actor=None, assessment_id=assessment_a1.id, changes=[
        answers.AnswerChange("PPA2A", option="Ya"),
        answers.AnswerChange("PPA2B", option="C"),
        answers.AnswerChange("PPA2C", option="C"),
    ])
    row = _stored(db, assessment_a1.id)
    assert row["self_total"] == "1/3"
    assert {ref: row["node_scores"][ref] for ref in ("TOTAL", "P", "PP", "PPA", "PRE")} == {
        "TOTAL": "1/3", "P": "1/3", "PP": "1/3", "PPA": "1/3", "PRE": "0"}
    assert row["answered"] == 3
    # WBK needs a total of at least 75: 1/3 fails it, as it fails Pengungkit >= 40.
    failed = {code: (value, threshold) for code, value, threshold in row["verdict_failed"]}
    assert failed["total"] == ("1/3", "75") and failed["pengungkit"] == ("1/3", "40")
    answers.clear_answer(db, actor=None, assessment_id=assessment_a1.id, ref="PPA2A")
    assert _stored(db, assessment_a1.id)["self_total"] == "0"
    _assert_current(db, assessment_a1.id)


def test_target_award_and_delete(db, world, assessment_a1):
    assessments.set_target(db, actor=None, assessment_id=assessment_a1.id, target="WBBM")
    row = _stored(db, assessment_a1.id)
    assert row["target"] == "WBBM"
    assert ["wbk_held", None, None] in row["verdict_failed"]
    units.add_predicate(db, actor=None, unit_id=world.unit("UNIT-A1"), predicate="WBK",
                        year=2022, decree_number="KEP-2/2022", decree_date=date(2022, 12, 9))
    row = _stored(db, assessment_a1.id)
    assert row["holds_wbk"] is True
    assert ["wbk_held", None, None] not in row["verdict_failed"]
    _assert_current(db, assessment_a1.id)
    assessments.delete(db, actor=None, assessment_id=assessment_a1.id)
    db.expire_all()
    assert db.get(AssessmentSummary, assessment_a1.id) is None


def test_review_chain_is_summarised(db, world):
    a = new_assessment(db, world, complete=True)
    coordinator = principal(db, world, "coord_a1")
    submission.submit(db, actor=coordinator, assessment_id=a.id)
    row = _stored(db, a.id)
    assert (row["status"], row["review_round"], row["review_level"]) == (
        "submitted", 1, "regional")
    kanwil = principal(db, world, "reviewer_a")
    framework = assessments.framework_of(db, a)
    first = next(q for q in framework.questions() if q.options)
    review.decide(db, actor=kanwil, assessment_id=a.id, decision=rv.RETURN, changes=[
        review.DraftChange(ref=first.ref, option=first.option_codes[-1], note="Perbaiki",
                           flagged=True)])
    row = _stored(db, a.id)
    assert (row["status"], row["review_round"], row["review_level"]) == ("returned", 1, None)
    assert row["regional_total"] is not None and row["tpi_total"] is None
    # The reviewer's lower value for one question scores below the unit's own.
    assert rv.parse_exact(row["regional_total"]) < rv.parse_exact(row["self_total"])
    _assert_current(db, a.id)
    submission.submit(db, actor=coordinator, assessment_id=a.id)
    assert _stored(db, a.id)["review_round"] == 2
    _assert_current(db, a.id)


def test_summary_equals_a_recomputation_after_random_changes(db, world):
    """Random answers, clears, targets, evidence links, unlinks, evidence deletes, awards,
    submissions and decisions: after each one the stored row equals a full recomputation."""
    rng = random.Random(20261204)
    coordinator = principal(db, world, "coord_a1")
    reviewers = {rv.REGIONAL: principal(db, world, "reviewer_a"),
                 rv.TPI: principal(db, world, "tpi")}
    unit_id = world.unit("UNIT-A1")
    older = new_assessment(db, world, year=2024)
    a = new_assessment(db, world, year=2025)
    framework = assessments.framework_of(db, a)
    questions = list(framework.questions())
    library = [evidence.add_link(db, actor=coordinator, unit_id=unit_id,
                                 url=f"https://example.go.id/doc/{n}", title=f"Dok {n}")
               for n in range(4)]
    full = {c.ref: c for c in complete_answers(framework)}

    def random_answer(q) -> answers.AnswerChange:
        if q.options:
            return answers.AnswerChange(q.ref, option=rng.choice(q.option_codes))
        if q.is_index:
            return answers.AnswerChange(q.ref, index=str(rng.choice(["1", "2.5", "3.62", "4"])))
        values = {i.key: rng.randint(0, 5) for i in q.inputs}
        change = answers.AnswerChange(q.ref, inputs=values)
        _, problems = answers.validate_change(framework, change)
        return change if not problems else full[q.ref]

    def step(kind: str, target) -> None:
        if kind == "answer":
            answers.answer_many(db, actor=coordinator, assessment_id=target.id,
                                changes=[random_answer(q) for q in rng.sample(questions, 5)])
        elif kind == "clear":
            answers.clear_answer(db, actor=coordinator, assessment_id=target.id,
                                 ref=rng.choice(questions).ref)
        elif kind == "target":
            assessments.set_target(db, actor=coordinator, assessment_id=target.id,
                                   target=rng.choice(["WBK", "WBBM"]))
        elif kind == "link":
            q = rng.choice([q for q in questions if q.evidence])
            evidence_links.link(db, actor=coordinator, assessment_id=target.id,
                                evidence_id=rng.choice(library).id, question_ref=q.ref,
                                expected_index=rng.choice([None, *range(len(q.evidence))]))
        elif kind == "unlink":
            live = evidence_links.live_links(db, assessment_id=target.id)
            if live:
                evidence_links.unlink(db, actor=coordinator, link_id=rng.choice(live).id)
        elif kind == "carry":
            evidence_links.carry_over(db, actor=coordinator, assessment_id=target.id)
        elif kind == "delete_evidence":
            live = [e for e in library if e.deleted_at is None]
            if len(live) > 1:
                evidence.delete(db, actor=coordinator, evidence_id=rng.choice(live).id)
        elif kind == "award":
            units.add_predicate(db, actor=None, unit_id=unit_id, predicate="WBK", year=2022,
                                decree_number=f"KEP-{rng.randint(1, 99)}/2022",
                                decree_date=date(2022, 12, 9))
        elif kind == "submit":
            answers.answer_many(db, actor=coordinator, assessment_id=target.id,
                                changes=list(full.values()))
            submission.submit(db, actor=coordinator, assessment_id=target.id)
        elif kind == "decide":
            db.expire_all()
            level = rv.waiting_level(assessments.get(db, actor=None,
                                                     assessment_id=target.id).status)
            if level is None:
                raise ServiceError("nothing waits for a decision")
            q = rng.choice([q for q in questions if q.options])
            decision = rng.choice([rv.ACCEPT, rv.RETURN])
            review.decide(db, actor=reviewers[level], assessment_id=target.id,
                          decision=decision, changes=[review.DraftChange(
                              ref=q.ref, option=rng.choice(q.option_codes), note="Cek",
                              flagged=decision == rv.RETURN)])

    kinds = ["answer"] * 6 + ["clear", "target", "link", "link", "unlink", "unlink", "carry",
                              "delete_evidence", "award", "submit", "decide", "decide"]
    for target in (older, a):
        for _ in range(6):
            step(rng.choice(["answer", "link", "link"]), target)
    done = set()
    for _ in range(70):
        kind = rng.choice(kinds)
        target = rng.choice([older, a])
        try:
            step(kind, target)
        except ServiceError:
            db.rollback()  # refused (e.g. locked under review): nothing changed
        else:
            done.add(kind)
        for x in (older, a):
            _assert_current(db, x.id)
    assert {"answer", "link", "unlink", "submit", "decide", "award"} <= done, " ".join(sorted(done))
    rows = db.exec(select(AssessmentSummary)).all()
    assert {r.assessment_id for r in rows} == {older.id, a.id}


def test_rebuild_and_fill_missing(db, world):
    a = new_assessment(db, world, complete=True)
    before = _stored(db, a.id)
    db.delete(db.get(AssessmentSummary, a.id))
    db.commit()
    assert lke_summary.fill_missing(db) == 1
    db.commit()
    assert _stored(db, a.id) == before
    assert lke_summary.fill_missing(db) == 0
    row = db.get(AssessmentSummary, a.id)
    row.self_total = "1"
    db.add(row)
    db.commit()
    assert lke_summary.rebuild(db) == 1
    db.commit()
    assert _stored(db, a.id) == before


@pytest.mark.parametrize("missing", [True, False])
def test_readers_compute_a_missing_row(db, world, missing):
    a = new_assessment(db, world, complete=True)
    expected = _stored(db, a.id)
    if missing:
        db.delete(db.get(AssessmentSummary, a.id))
        db.commit()
    got = lke_summary.for_assessments(db, [a])[a.id]
    assert {k: v for k, v in got.model_dump().items() if k != "updated_at"} == expected


def test_a_save_moves_the_summary_by_the_area_and_shows_what_a_full_scoring_shows(db, world):
    """One answer at a time (options, numeric inputs, indices, penjelasan only, several
    areas at once, clears): the scores and verdict a save returns for every node it shows
    equal a full scoring of the stored answers, and the row a recomputation."""
    from app.domain.lke import NodeScore
    from app.services.lke import scores

    rng = random.Random(4122026)
    coordinator = principal(db, world, "coord_a1")
    a = new_assessment(db, world, year=2025)
    framework = assessments.framework_of(db, a)
    questions = list(framework.questions())
    full = {c.ref: c for c in complete_answers(framework)}

    def change(q) -> answers.AnswerChange:
        roll = rng.random()
        if roll < 0.15:
            return answers.AnswerChange(q.ref, penjelasan=f"Catatan {rng.randint(1, 9)}")
        if q.options:
            return answers.AnswerChange(q.ref, option=rng.choice(q.option_codes))
        if q.is_index:
            return answers.AnswerChange(q.ref, index=rng.choice(["1", "2,5", "3,62", "4"]))
        values = {i.key: rng.randint(0, 5) for i in q.inputs}
        _, problems = answers.validate_change(framework, answers.AnswerChange(q.ref,
                                                                              inputs=values))
        return answers.AnswerChange(q.ref, inputs=values) if not problems else full[q.ref]

    kinds = set()
    for n in range(60):
        picked = rng.sample(questions, 1 if n % 4 else 3)
        kinds.update("options" if q.options else "index" if q.is_index else "inputs"
                     for q in picked)
        if n % 9 == 8:
            answers.clear_answer(db, actor=coordinator, assessment_id=a.id, ref=picked[0].ref)
            _assert_current(db, a.id)
            continue
        _rows, saved = answers.answer_scored(db, actor=coordinator, assessment_id=a.id,
                                             changes=[change(q) for q in picked])
        db.expire_all()
        stored = assessments.get(db, actor=None, assessment_id=a.id)
        ev = scores.evaluate(db, assessment=stored, rows_for=scores.no_rows)
        shown = saved.scored.nodes
        for q in picked:  # every node of the changed areas, scored in full
            area = framework.area(q.area_ref)
            refs = [area.ref, *(s.ref for s in area.sub_indicators),
                    *(x.ref for x in area.questions)]
            assert {r: shown[r] for r in refs} == {r: ev.report.nodes[r] for r in refs}
            assert saved.rows[q.ref].question_ref == q.ref  # the row the page shows
        assert {r: node.score for r, node in shown.items()} == {
            r: ev.report.nodes[r].score for r in shown}
        assert {r for r, node in shown.items() if not isinstance(node, NodeScore)} >= {
            "TOTAL", "P", "H"}  # the row moved, nothing scored in full
        assert saved.scored.verdict == ev.verdict
        _assert_current(db, a.id)
    assert kinds == {"options", "index", "inputs"}


def test_a_page_reads_the_scores_from_the_summary_as_a_full_scoring_gives_them(db, world):
    """The worksheet and its area fragment read the summarised scores from the row and score
    only the open area: after random changes, every node shown, the verdict and the progress
    equal a full scoring of the stored answers; without a row they are scored in full."""
    from app.domain.lke import NodeScore
    from app.services.lke import scores

    rng = random.Random(5122026)
    coordinator = principal(db, world, "coord_a1")
    a = new_assessment(db, world, year=2025)
    framework = assessments.framework_of(db, a)
    questions = [q for q in framework.questions() if q.options]
    areas = [area.ref for area in framework.areas()]
    for n in range(12):
        picked = rng.sample(questions, 6)
        answers.answer_many(db, actor=coordinator, assessment_id=a.id, changes=[
            answers.AnswerChange(q.ref, option=rng.choice(q.option_codes)) for q in picked])
        db.expire_all()
        stored = assessments.get(db, actor=None, assessment_id=a.id)
        ev = scores.evaluate(db, assessment=stored)
        for area_ref in (areas if n % 4 == 3 else rng.sample(areas, 2)):
            shown = lke_summary.for_area(db, assessment=stored, framework=framework,
                                         area_ref=area_ref)
            assert shown.row is not None  # read from the summary, not scored in full
            area = framework.area(area_ref)
            own = [area.ref, *(s.ref for s in area.sub_indicators),
                   *(q.ref for q in area.questions)]
            assert {r: shown.nodes[r] for r in own} == {r: ev.report.nodes[r] for r in own}
            assert {r: node.score for r, node in shown.nodes.items()} == {
                r: ev.report.nodes[r].score for r in shown.nodes}
            assert {r for r, node in shown.nodes.items() if not isinstance(node, NodeScore)
                    } >= {"TOTAL", "P", "H", *(p.ref for p in framework.parts())} - {area_ref}
            assert shown.verdict == ev.verdict
            assert (shown.answered, shown.questions) == (ev.report.total.answered,
                                                         ev.report.total.questions)
            assert set(shown.rows) == {r for r in own if r in ev.rows}
    assert ev.report.total.answered > 30  # the random answers reached many areas

    db.delete(db.get(AssessmentSummary, a.id))
    db.commit()
    shown = lke_summary.for_area(db, assessment=stored, framework=framework, area_ref=areas[0])
    assert shown.row is None
    assert dict(shown.nodes) == dict(ev.report.nodes) and shown.verdict == ev.verdict
