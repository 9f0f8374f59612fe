"""Gap planner and what-if: where the missing points for a predicate can come from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from app.domain.lke.framework import Framework, Question
from app.domain.lke.scoring import AnswerInput, ScoreReport, answered_option, score
from app.domain.lke.verdict import CheckResult, Verdict, evaluate

__all__ = ["GapItem", "GapPlan", "plan_gaps", "what_if"]

# Failed checks of these kinds say something about one part of the worksheet, so the questions
# under their node are blockers. "total_min" and a node_min on a whole component (Pengungkit)
# can be fixed anywhere, so they block nothing in particular.
_LOCAL_KINDS = ("node_min", "area_share_min")


@dataclass(frozen=True)
class GapItem:
    """A question below its maximum and what improving it would add to the total."""

    ref: str
    area_ref: str
    part_ref: str
    answered: bool
    current_option: str | None  # option code when answered with an option
    current_value: Fraction  # 0 when unanswered
    score: Fraction
    max_score: Fraction
    next_option: str | None  # next better option (options questions only)
    gain_next: Fraction | None  # points added by the next better option
    gain_max: Fraction  # points added by the best answer
    blocks: tuple[str, ...]  # codes of failed local checks this question counts toward

    @property
    def blocker(self) -> bool:
        return bool(self.blocks)


@dataclass(frozen=True)
class GapPlan:
    target: str
    report: ScoreReport
    verdict: Verdict
    items: tuple[GapItem, ...]  # blockers first, then by gain_max desc, gain_next desc, order

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        """Every requirement with ``missing`` points (0 when passed)."""
        return self.verdict.checks

    @property
    def missing(self) -> dict[str, Fraction | None]:
        """Check code -> points missing to its threshold (None for non-numeric checks)."""
        return {c.code: c.missing for c in self.verdict.checks}


def _ancestors(q: Question) -> set[str]:
    return {q.ref, q.sub_indicator_ref, q.area_ref, q.part_ref, q.component_ref}


def _next_option(q: Question, current: Fraction) -> tuple[str | None, Fraction | None]:
    better = [o for o in q.options if Fraction(o.value) > current]
    if not better:
        return None, None
    best = min(better, key=lambda o: o.value)
    return best.code, Fraction(best.value)


def _local_blockers(framework: Framework, verdict: Verdict) -> list[CheckResult]:
    out = []
    for c in verdict.failed:
        if c.kind not in _LOCAL_KINDS or c.ref is None:
            continue
        if c.kind == "node_min" and c.ref in {comp.ref for comp in framework.components}:
            continue
        out.append(c)
    return out


def plan_gaps(
    framework: Framework,
    answers: Mapping[str, AnswerInput],
    target: str,
    holds_wbk: bool = False,
) -> GapPlan:
    """Every question below its maximum for reaching ``target``, blockers first.

    A blocker is a question under a node whose own requirement fails (an area under its minimum
    share, IPAK / capaian kinerja / IPKP / Birokrasi bersih under their minimums).
    """
    report = score(framework, answers)
    verdict = evaluate(framework, report, target, holds_wbk=holds_wbk)
    blockers = _local_blockers(framework, verdict)
    order = {q.ref: i for i, q in enumerate(framework.questions())}
    items: list[GapItem] = []
    for q in framework.questions():
        node = report.node(q.ref)
        current = node.value if node.value is not None else Fraction(0)
        max_value = q.max_value
        if current >= max_value:
            continue
        next_code, next_value = _next_option(q, current) if q.options else (None, None)
        gain_next = (next_value - current) * q.weight if next_value is not None else None
        anc = _ancestors(q)
        items.append(
            GapItem(
                ref=q.ref,
                area_ref=q.area_ref,
                part_ref=q.part_ref,
                answered=node.answered == 1,
                current_option=answered_option(q, answers.get(q.ref)),
                current_value=current,
                score=node.score,
                max_score=max_value * q.weight,
                next_option=next_code,
                gain_next=gain_next,
                gain_max=(max_value - current) * q.weight,
                blocks=tuple(c.code for c in blockers if c.ref in anc),
            )
        )
    items.sort(
        key=lambda i: (
            not i.blocker,
            -i.gain_max,
            -(i.gain_next or Fraction(0)),
            order[i.ref],
        )
    )
    return GapPlan(target=target, report=report, verdict=verdict, items=tuple(items))


def what_if(
    framework: Framework,
    answers: Mapping[str, AnswerInput],
    overrides: Mapping[str, AnswerInput | None],
    target: str = "WBK",
    holds_wbk: bool = False,
) -> tuple[ScoreReport, Verdict]:
    """Score and judge ``answers`` with ``overrides`` applied (None removes an answer).

    Pure: neither mapping is changed.
    """
    merged: dict[str, AnswerInput] = dict(answers)
    for ref, answer in overrides.items():
        if answer is None:
            merged.pop(ref, None)
        else:
            merged[ref] = answer
    report = score(framework, merged)
    return report, evaluate(framework, report, target, holds_wbk=holds_wbk)
