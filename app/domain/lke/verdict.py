"""Predicate verdict (WBK / WBBM) from a score report and the thresholds in framework data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from app.domain.display import format_id
from app.domain.lke.framework import TOTAL_REF, Framework, ThresholdCheck
from app.domain.lke.scoring import ScoreReport

__all__ = ["CheckResult", "Verdict", "evaluate", "evaluate_scores", "verdict_refs"]


@dataclass(frozen=True)
class CheckResult:
    """One evaluated requirement. ``value``/``threshold`` are None for the predicate-held check."""

    code: str  # "total", "pengungkit", "area:PPA", "ipak", "wbk_held"...
    kind: str  # the ThresholdCheck kind it came from
    label: str  # Indonesian
    value: Fraction | None
    threshold: Fraction | None
    passed: bool
    ref: str | None = None  # node the check is about (None for total / predicate held)

    @property
    def missing(self) -> Fraction | None:
        """Points still missing to reach the threshold (0 when passed); None if not numeric."""
        if self.value is None or self.threshold is None:
            return None
        return max(Fraction(0), self.threshold - self.value)


@dataclass(frozen=True)
class Verdict:
    target: str  # "WBK" | "WBBM"
    passed: bool
    checks: tuple[CheckResult, ...]
    reasons: tuple[str, ...]  # Indonesian, one per failed check, in check order

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def check(self, code: str) -> CheckResult:
        for c in self.checks:
            if c.code == code:
                return c
        raise KeyError(code)


def _percent(share: Fraction) -> str:
    return format_id(share * 100).removesuffix(",00")


@lru_cache(maxsize=1024)
def _area_label(part_name: str, area_name: str, share: Decimal, weight: Decimal) -> str:
    """'Area Pemenuhan - Manajemen Perubahan (minimal 60% dari bobot 4,00)', cached: the
    same labels are built on every verdict."""
    return (
        f"Area {part_name} - {area_name} (minimal {_percent(Fraction(share))}% "
        f"dari bobot {format_id(weight)})"
    )


@dataclass(frozen=True)
class _CheckPlan:
    """One numeric requirement with its exact threshold, or a predicate-held one."""

    code: str
    kind: str
    label: str
    threshold: Fraction | None  # None: predicate_held
    ref: str | None  # node scored (None: the total, or predicate_held)
    predicate: str | None = None


def _plan_checks(framework: Framework, check: ThresholdCheck) -> list[_CheckPlan]:
    if check.kind == "total_min":
        assert check.minimum is not None
        return [_CheckPlan(check.code, check.kind, check.label, Fraction(check.minimum), None)]
    if check.kind == "node_min":
        assert check.minimum is not None and check.ref is not None
        return [
            _CheckPlan(check.code, check.kind, check.label, Fraction(check.minimum), check.ref)
        ]
    if check.kind == "area_share_min":
        assert check.share is not None
        share = Fraction(check.share)
        return [
            _CheckPlan(
                f"{check.code}:{area.ref}",
                check.kind,
                _area_label(part.name, area.name, check.share, area.weight),
                share * Fraction(area.weight),
                area.ref,
            )
            for part in (framework.part(ref) for ref in check.parts)
            for area in part.areas
        ]
    if check.kind == "predicate_held":
        return [_CheckPlan(check.code, check.kind, check.label, None, None, check.predicate)]
    raise AssertionError(f"unexpected check kind {check.kind!r}")


def _plans(framework: Framework) -> dict[str, tuple[_CheckPlan, ...]]:
    """Every predicate's requirements, expanded once per framework (thresholds exact)."""
    return {
        p.code: tuple(plan for check in p.checks for plan in _plan_checks(framework, check))
        for p in framework.predicates
    }


def _result(plan: _CheckPlan, scores: Mapping[str, Fraction], held: set[str]) -> CheckResult:
    if plan.threshold is None:
        passed = plan.predicate in held
        return CheckResult(plan.code, plan.kind, plan.label, None, None, passed)
    if plan.ref is None:
        value = scores[TOTAL_REF]
        return CheckResult(plan.code, plan.kind, plan.label, value, plan.threshold,
                           value >= plan.threshold)
    value = scores[plan.ref]
    return CheckResult(plan.code, plan.kind, plan.label, value, plan.threshold,
                       value >= plan.threshold, ref=plan.ref)


def _reason(result: CheckResult) -> str:
    if result.kind == "predicate_held":
        return f"Syarat belum terpenuhi: {result.label}"
    assert result.value is not None and result.threshold is not None
    return (
        f"{result.label}: nilai {format_id(result.value)} di bawah batas minimal "
        f"{format_id(result.threshold)} (kurang {format_id(result.threshold - result.value)})"
    )


def evaluate(
    framework: Framework, report: ScoreReport, target: str, holds_wbk: bool = False
) -> Verdict:
    """Check ``report`` against every requirement of predicate ``target`` ("WBK" or "WBBM").

    Comparisons are exact (Fraction): exactly 75 passes a ">= 75" requirement, 74.999 fails.
    ``KeyError`` if the framework has no such predicate.
    """
    return evaluate_scores(framework, _Scores(report), target, holds_wbk)


class _Scores(Mapping[str, Fraction]):
    """A report's exact scores by ref, read where a requirement asks (nothing copied)."""

    def __init__(self, report: ScoreReport):
        self._nodes = report.nodes

    def __getitem__(self, ref: str) -> Fraction:
        return self._nodes[ref].score

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


def _refs(framework: Framework) -> frozenset[str]:
    return frozenset(plan.ref or TOTAL_REF
                     for plans in framework.derived("verdict_checks", _plans).values()
                     for plan in plans if plan.threshold is not None)


def verdict_refs(framework: Framework) -> frozenset[str]:
    """The nodes whose scores the verdicts of ``framework`` read (TOTAL for the total)."""
    return framework.derived("verdict_refs", _refs)


def evaluate_scores(
    framework: Framework, scores: Mapping[str, Fraction], target: str, holds_wbk: bool = False
) -> Verdict:
    """``evaluate`` from exact scores by ref (at least those of ``verdict_refs``)."""
    plans = framework.derived("verdict_checks", _plans)
    if target not in plans:
        raise KeyError(target)
    held = {"WBK"} if holds_wbk else set()
    results = [_result(plan, scores, held) for plan in plans[target]]
    reasons = tuple(_reason(r) for r in results if not r.passed)
    return Verdict(
        target=target,
        passed=all(r.passed for r in results),
        checks=tuple(results),
        reasons=reasons,
    )
