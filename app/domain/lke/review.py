"""The review chain of an LKE assessment, as pure rules (no database, no clock).

A unit fills its self-assessment (``draft``), its coordinator submits it, the regional office
(kanwil) reviews it, then the TPI (the eselon I / ministry evaluation team). Each reviewer
accepts or returns it. A return reopens it for the unit (``returned``); the unit fixes the
flagged questions and submits again, which starts the chain again at its first level (the
answers changed, so every level sees the new ones). A TPI acceptance makes it ``final``:
nothing may be written any more.

    draft --submit--> submitted --accept--> in_review --accept--> final
                  (waiting kanwil)         (waiting TPI)
      ^                    |  return                    | return
      |                    v                            v
      +---- (edit) ---- returned <-----------------------+
                           |--submit--> waiting at the first level

A unit without a regional office above it goes straight to TPI; one without an eselon I /
ministry above it has only the regional level. (A unit with neither cannot be submitted.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "DECISIONS",
    "EDITABLE",
    "LEVELS",
    "STATUSES",
    "ChainError",
    "Comparison",
    "ComparisonRow",
    "after_decision",
    "after_submit",
    "check_decision",
    "check_submit",
    "compare",
    "edit_refusal",
    "exact_text",
    "parse_exact",
    "snapshot_scores",
    "is_editable",
    "review_levels",
    "waiting_level",
    "waiting_status",
]

DRAFT = "draft"
# Stored values (app.models.lke.assessments.AssessmentStatus): "submitted" waits for the regional
# office, "in_review" for the TPI (after the regional office accepted, or directly when the
# unit has no regional office above it).
WAITING_REGIONAL = "submitted"
WAITING_TPI = "in_review"
RETURNED = "returned"
FINAL = "final"
STATUSES = (DRAFT, WAITING_REGIONAL, WAITING_TPI, RETURNED, FINAL)
EDITABLE = frozenset({DRAFT, RETURNED})

REGIONAL = "regional"
TPI = "tpi"
LEVELS = (REGIONAL, TPI)
LEVEL_NAMES = {REGIONAL: "Kantor Wilayah", TPI: "TPI"}
STATUS_NAMES = {
    DRAFT: "Penilaian mandiri",
    WAITING_REGIONAL: "Menunggu reviu Kantor Wilayah",
    WAITING_TPI: "Menunggu reviu TPI",
    RETURNED: "Dikembalikan untuk diperbaiki",
    FINAL: "Final",
}

ACCEPT = "accept"
RETURN = "return"
DECISIONS = (ACCEPT, RETURN)

# Unit levels (app.models.units.UnitLevel values) whose reviewers act at each review level.
REVIEWER_UNIT_LEVELS = {REGIONAL: frozenset({"regional"}), TPI: frozenset({"eselon1", "ministry"})}


class ChainError(ValueError):
    """A step the chain does not allow now. ``kind``: "invalid" (bad input, 422) or
    "conflict" (wrong state, 409). Messages are Indonesian, for users."""

    def __init__(self, message: str, *, kind: str = "conflict", problems: Sequence[str] = ()):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.problems = tuple(problems)


def review_levels(ancestor_levels: Iterable[str]) -> tuple[str, ...]:
    """The review levels of a unit from the levels of the units above it."""
    above = set(ancestor_levels)
    return tuple(
        level for level in LEVELS if above & REVIEWER_UNIT_LEVELS[level]
    )


def waiting_status(level: str) -> str:
    return {REGIONAL: WAITING_REGIONAL, TPI: WAITING_TPI}[level]


def waiting_level(status: str) -> str | None:
    """The review level an assessment in ``status`` waits for, or None."""
    return {WAITING_REGIONAL: REGIONAL, WAITING_TPI: TPI}.get(status)


def is_editable(status: str) -> bool:
    """Whether the unit may change answers and evidence links."""
    return status in EDITABLE


def edit_refusal(status: str) -> str | None:
    """Why the unit may not write now (Indonesian), or None when it may."""
    if status == FINAL:
        return (
            "Penilaian ini sudah final (diterima TPI) dan terkunci: jawaban, eviden, dan "
            "reviu tidak dapat diubah lagi."
        )
    level = waiting_level(status)
    if level is not None:
        return (
            f"Penilaian ini sedang direviu oleh {LEVEL_NAMES[level]} dan tidak dapat diubah "
            "sampai dikembalikan."
        )
    return None


def check_submit(
    status: str, *, unanswered: Sequence[str], invalid: Mapping[str, Sequence[str]],
    levels: Sequence[str],
) -> None:
    """Raise ChainError unless the assessment may be submitted now."""
    if status not in EDITABLE:
        raise ChainError(edit_refusal(status) or "Penilaian tidak dapat diajukan sekarang.")
    if not levels:
        raise ChainError(
            "Unit ini tidak berada di bawah Kantor Wilayah maupun Unit Eselon I, sehingga "
            "tidak ada yang dapat mereviu penilaiannya.",
        )
    problems = [f"{ref}: belum dijawab" for ref in unanswered]
    for ref, messages in invalid.items():
        problems.extend(f"{ref}: {m}" for m in messages)
    if problems:
        count = len(unanswered) + len(invalid)
        raise ChainError(
            f"Penilaian belum dapat diajukan: {count} pertanyaan belum lengkap.",
            kind="invalid", problems=problems,
        )


def after_submit(levels: Sequence[str]) -> str:
    """The status after a submission: waiting at the first review level."""
    return waiting_status(levels[0])


def check_decision(
    status: str, *, level: str, decision: str, flagged: Sequence[str], levels: Sequence[str]
) -> None:
    """Raise ChainError unless a reviewer at ``level`` may take ``decision`` now.

    A return must flag at least one question (the unit needs to know what to fix); an
    acceptance must not leave questions flagged."""
    if decision not in DECISIONS:
        raise ChainError(
            f"Keputusan '{decision}' tidak dikenal (pilih accept atau return).", kind="invalid"
        )
    if level not in levels:
        raise ChainError(f"Unit ini tidak direviu di tingkat {LEVEL_NAMES.get(level, level)}.")
    if status == FINAL:
        raise ChainError(edit_refusal(FINAL) or "")
    if waiting_level(status) != level:
        raise ChainError(
            f"Penilaian ini tidak sedang menunggu reviu {LEVEL_NAMES[level]} "
            f"(status: {STATUS_NAMES.get(status, status)})."
        )
    if decision == RETURN and not flagged:
        raise ChainError(
            "Tandai minimal satu pertanyaan yang harus diperbaiki sebelum mengembalikan.",
            kind="invalid",
        )
    if decision == ACCEPT and flagged:
        raise ChainError(
            f"Masih ada {len(flagged)} pertanyaan yang ditandai untuk diperbaiki "
            f"({', '.join(flagged)}). Kembalikan penilaian, atau hapus tandanya lalu terima.",
            kind="invalid",
        )


def after_decision(*, level: str, decision: str, levels: Sequence[str]) -> str:
    """The status after a valid decision."""
    if decision == RETURN:
        return RETURNED
    position = levels.index(level)
    if position + 1 < len(levels):
        return waiting_status(levels[position + 1])
    return FINAL


# --- side by side -----------------------------------------------------------------------

@dataclass(frozen=True)
class ComparisonRow:
    """One node (question, area, part or total) scored by each party (None: not scored)."""

    ref: str
    level: str
    name: str
    weight: Fraction
    scores: Mapping[str, Fraction | None]  # party -> score

    @property
    def differs(self) -> bool:
        """True when two parties that both scored this node disagree."""
        given = {v for v in self.scores.values() if v is not None}
        return len(given) > 1

    def delta(self, party: str, base: str = "self") -> Fraction | None:
        a, b = self.scores.get(party), self.scores.get(base)
        if a is None or b is None:
            return None
        return a - b


@dataclass(frozen=True)
class Comparison:
    parties: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]

    def row(self, ref: str) -> ComparisonRow:
        for row in self.rows:
            if row.ref == ref:
                return row
        raise KeyError(ref)

    @property
    def differing(self) -> tuple[ComparisonRow, ...]:
        return tuple(r for r in self.rows if r.differs)


def compare(reports: Mapping[str, object | None], *, levels: Iterable[str] = (
        "total", "component", "part", "area", "sub_indicator", "question")) -> Comparison:
    """Rows side by side from ``ScoreReport``s keyed by party ("self", "regional", "tpi");
    a party without a report (None) shows None everywhere. Row order follows the first
    report given (document order)."""
    parties = tuple(reports)
    present = [r for r in reports.values() if r is not None]
    if not present:
        return Comparison(parties=parties, rows=())
    wanted = set(levels)
    rows = []
    for ref, node in present[0].nodes.items():  # type: ignore[attr-defined]
        if node.level not in wanted:
            continue
        scores = {
            party: (report.nodes[ref].score if report is not None else None)  # type: ignore[attr-defined]
            for party, report in reports.items()
        }
        rows.append(
            ComparisonRow(
                ref=ref, level=node.level, name=node.name, weight=node.weight, scores=scores
            )
        )
    return Comparison(parties=parties, rows=tuple(rows))


def snapshot_scores(report) -> dict[str, str]:
    """A ScoreReport as {ref: exact decimal string} for total, components, parts, areas and
    sub-indicators (stored with a decision; Fractions as exact ratios when not decimal)."""
    out: dict[str, str] = {}
    for ref, node in report.nodes.items():
        if node.level == "question":
            continue
        out[ref] = exact_text(node.score)
    return out


def exact_text(value: Fraction) -> str:
    """A Fraction as an exact decimal string when it terminates (1/4 -> "0.25"), otherwise
    as a ratio (1/3 -> "1/3"): snapshots never round."""
    value = Fraction(value)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value * 10**places
    assert scaled.denominator == 1
    return str(Decimal(scaled.numerator).scaleb(-places))


def parse_exact(text: str) -> Fraction:
    """The inverse of exact_text."""
    return Fraction(text)
