"""Demo LKE worksheets for KPPN Tanjungpandan (invented figures, labelled demo)."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from app.domain.lke import Framework, Question
from app.domain.lke import review as rv
from app.services.accounts import users
from app.services.demo.base import DemoResult
from app.services.lke import answers, assessments, frameworks, review, submission

DEMO_SOURCE = "demo"
NOTE = "Contoh data demo (bukan penilaian sebenarnya)."

NUMERIC_2018 = {
    "PRA1A": {"change_agents": 6, "changes_made": 5},
    "PRA1B": {"changes_made": 5, "changes_integrated": 4},
    "PRC3A": {"violations_last_year": 2, "violations_this_year": 1, "violations_sanctioned": 1},
    "PRD1A": {"targets_total": 12, "targets_reached": 11},
    "PRE2A": {"complaints_to_follow_up": 9, "complaints_in_process": 1,
              "complaints_finished": 8},
    "PRE3A": {"must_head_of_unit": 1, "must_lhkpn_officials": 4, "must_others": 0,
              "reported": 5},
    "PRE3B": {"must_administrators": 3, "must_supervisors": 6, "must_functional_and_staff": 18,
              "reported": 25},
    "PRF1B": {"services_registered": 6, "services_simplified": 5},
}
HASIL_2018 = {"HBA1A": "3.70", "HBB1A": "B", "HPA1A": "3.62"}
HASIL_2019 = {"HBA1A": "3.78", "HBB1A": "A"}


def _pick(q: Question, year: int) -> int:
    """A stable, plausible option index: mostly the best answer, sometimes the next one."""
    roll = int(hashlib.sha256(f"{year}:{q.ref}".encode()).hexdigest()[:4], 16) % 100
    if roll < (72 if year == 2018 else 80):
        return 0
    if roll < 96 or len(q.options) == 2:
        return min(1, len(q.options) - 1) if len(q.options) > 2 else 0
    return len(q.options) - 2


def _changes(fw: Framework, year: int, limit: int | None) -> list[answers.AnswerChange]:
    out = []
    hasil = HASIL_2018 if year == 2018 else HASIL_2019
    for q in fw.questions():
        if limit is not None and len(out) >= limit and q.ref not in hasil:
            continue
        if q.ref in hasil:
            value = hasil[q.ref]
            change = (answers.AnswerChange(q.ref, option=value, penjelasan=NOTE)
                      if q.options else answers.AnswerChange(q.ref, index=value,
                                                                 penjelasan=NOTE))
        elif q.options:
            change = answers.AnswerChange(
                q.ref, option=q.options[_pick(q, year)].code, penjelasan=NOTE
            )
        elif q.ref in NUMERIC_2018:
            change = answers.AnswerChange(q.ref, inputs=NUMERIC_2018[q.ref], penjelasan=NOTE)
        else:
            continue
        out.append(change)
    return out


def demo_assessments(session: Session, result: DemoResult) -> None:
    """KPPN-TJP: 2018 (target WBK, filled) and 2019 (target WBBM, partly filled)."""
    frameworks.ensure_loaded(session)
    unit_id = result.unit_ids["KPPN-TJP"]
    for year, target, limit in ((2018, "WBK", None), (2019, "WBBM", 70)):
        if assessments.find(session, unit_id=unit_id, year=year) is not None:
            continue
        a = assessments.create(session, actor=None, unit_id=unit_id, year=year, target=target)
        fw = assessments.framework_of(session, a)
        answers.answer_many(
            session, actor=None, assessment_id=a.id, changes=_changes(fw, year, limit),
            source=DEMO_SOURCE,
        )
        result.created.append(f"LKE assessment {year} (demo)")


def finalise_2018(session: Session, result: DemoResult) -> None:
    """The 2018 WBK assessment went through the whole chain: submitted, accepted by the
    Kanwil and by the TPI, final. Runs last, after the survey demo filled its Hasil items."""
    unit_id = result.unit_ids["KPPN-TJP"]
    a = assessments.find(session, unit_id=unit_id, year=2018)
    if a is None or a.status != rv.DRAFT:
        return
    if not submission.readiness(session, assessment=a).ready:
        return  # the demo answers left a question open: keep it a draft rather than fail
    submission.submit(session, actor=None, assessment_id=a.id, note=NOTE)
    for username in ("kanwil", "tpi"):
        user = users.get_by_username(session, username=username)
        if user is None:
            return
        review.decide(session, actor=users.principal_for_user(session, user), assessment_id=a.id,
                      decision=rv.ACCEPT, note="Diterima (data demo).")
    result.created.append("LKE assessment 2018 final (demo)")
