"""JSON-safe rendering of score reports and verdicts: two-decimal text (half-up) beside the
exact fraction. The API answers with it and review records store it, so both stay identical."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.domain.display import round_half_up
from app.domain.lke.scoring import NodeScore, ScoreReport
from app.domain.lke.verdict import CheckResult, Verdict


def dec2(value: Fraction | Decimal | int | None) -> str | None:
    """'33.33': half-up rounded to 2 places, as a JSON string."""
    if value is None:
        return None
    return str(round_half_up(value, 2))


def frac(value: Fraction | Decimal | int | None) -> str | None:
    """The exact value as 'n/d'."""
    if value is None:
        return None
    f = Fraction(value)
    return f"{f.numerator}/{f.denominator}"


def node_json(node: NodeScore) -> dict[str, Any]:
    out = {
        "ref": node.ref,
        "level": node.level,
        "name": node.name,
        "parent_ref": node.parent_ref,
        "weight": dec2(node.weight),
        "weight_exact": frac(node.weight),
        "score": dec2(node.score),
        "score_exact": frac(node.score),
        "percentage": dec2(node.percentage),
        "percentage_exact": frac(node.percentage),
        "questions": node.questions,
        "answered": node.answered,
    }
    if node.level == "question":
        out["value"] = dec2(node.value)
        out["value_exact"] = frac(node.value)
    return out


_LEVEL_KEYS = {
    "component": "components",
    "part": "parts",
    "area": "areas",
    "sub_indicator": "sub_indicators",
    "question": "questions",
}


def report_json(report: ScoreReport, *, questions: bool = True) -> dict[str, Any]:
    """A score report as JSON: total and every node keyed by ref, grouped by level."""
    out: dict[str, Any] = {"total": node_json(report.total)}
    for key in _LEVEL_KEYS.values():
        if key != "questions" or questions:
            out[key] = {}
    for node in report.nodes.values():
        key = _LEVEL_KEYS.get(node.level)
        if key in out:
            out[key][node.ref] = node_json(node)
    return out


def check_json(check: CheckResult) -> dict[str, Any]:
    return {
        "code": check.code,
        "kind": check.kind,
        "label": check.label,
        "ref": check.ref,
        "value": dec2(check.value),
        "value_exact": frac(check.value),
        "threshold": dec2(check.threshold),
        "threshold_exact": frac(check.threshold),
        "missing": dec2(check.missing),
        "passed": check.passed,
    }


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "target": v.target,
        "passed": v.passed,
        "checks": [check_json(c) for c in v.checks],
        "reasons": list(v.reasons),
    }
