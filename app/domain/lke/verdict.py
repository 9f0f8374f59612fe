"""Predicate verdict (WBK / WBBM) from a score report and the thresholds in framework data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from app.domain.display import format_id
from app.domain.lke.framework import Framework, ThresholdCheck
from app.domain.lke.scoring import ScoreReport

__all__ = ["CheckResult", "Verdict", "evaluate"]


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


def _expand(
    framework: Framework, report: ScoreReport, check: ThresholdCheck, held: set[str]
) -> list[CheckResult]:
    if check.kind == "total_min":
        assert check.minimum is not None
        value, threshold = report.total.score, Fraction(check.minimum)
        return [
            CheckResult(check.code, check.kind, check.label, value, threshold, value >= threshold)
        ]
    if check.kind == "node_min":
        assert check.minimum is not None and check.ref is not None
        value, threshold = report.score_of(check.ref), Fraction(check.minimum)
        return [
            CheckResult(
                check.code,
                check.kind,
                check.label,
                value,
                threshold,
                value >= threshold,
                ref=check.ref,
            )
        ]
    if check.kind == "area_share_min":
        assert check.share is not None
        share = Fraction(check.share)
        results = []
        for part_ref in check.parts:
            part = framework.part(part_ref)
            for area in part.areas:
                value = report.score_of(area.ref)
                threshold = share * Fraction(area.weight)
                label = _area_label(part.name, area.name, check.share, area.weight)
                results.append(
                    CheckResult(
                        f"{check.code}:{area.ref}",
                        check.kind,
                        label,
                        value,
                        threshold,
                        value >= threshold,
                        ref=area.ref,
                    )
                )
        return results
    if check.kind == "predicate_held":
        passed = check.predicate in held
        return [CheckResult(check.code, check.kind, check.label, None, None, passed)]
    raise AssertionError(f"unexpected check kind {check.kind!r}")


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
    predicate = framework.predicate(target)
    held = {"WBK"} if holds_wbk else set()
    results: list[CheckResult] = []
    for check in predicate.checks:
        results.extend(_expand(framework, report, check, held))
    reasons = tuple(_reason(r) for r in results if not r.passed)
    return Verdict(
        target=target,
        passed=all(r.passed for r in results),
        checks=tuple(results),
        reasons=reasons,
    )
