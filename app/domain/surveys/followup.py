"""The follow-up of survey findings: the weakest elements, whether an element improved from one
period to the next, and the LKE answer the follow-up plan supports.

Pure and exact (Fractions): the services feed it the NRRs of ``app.domain.surveys.indices``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from app.domain.surveys.indices import ElementNrr

#: How many of the lowest elements a report names as its findings.
WEAKEST_COUNT = 3
#: LKE ZI 2021: "Dilakukan tindak lanjut atas hasil survei kepuasan masyarakat".
FOLLOWUP_LKE_REF = "PPF4C"

#: The action plan's statuses (``app.domain.programme.ItemStatus`` values).
DONE = "selesai"
CANCELLED = "batal"


def weakest_elements(
    elements: Sequence[ElementNrr], count: int = WEAKEST_COUNT
) -> tuple[ElementNrr, ...]:
    """The ``count`` elements with the lowest NRR, lowest first; a tie keeps element order
    (U1 before U9), so the list is the same every time it is drawn."""
    if count < 0:
        raise ValueError(f"count cannot be negative, got {count!r}")
    order = {e.code: n for n, e in enumerate(elements)}
    return tuple(sorted(elements, key=lambda e: (e.nrr, order[e.code]))[:count])


@dataclass(frozen=True)
class ElementChange:
    """One element's NRR in a period and in the next one (``after`` None: not measured)."""

    code: str
    before: Fraction
    after: Fraction | None

    @property
    def change(self) -> Fraction | None:
        return None if self.after is None else self.after - self.before

    @property
    def direction(self) -> Literal["up", "down", "flat"] | None:
        change = self.change
        if change is None:
            return None
        return "up" if change > 0 else "down" if change < 0 else "flat"

    @property
    def improved(self) -> bool | None:
        """True when the next period's NRR is strictly higher (exact comparison); None when
        the next period has no answers to this element."""
        change = self.change
        return None if change is None else change > 0


def compare_elements(
    before: Iterable[ElementNrr], after: Iterable[ElementNrr]
) -> dict[str, ElementChange]:
    """element code -> its change from ``before`` to ``after``, in ``before``'s order."""
    later = {e.code: e.nrr for e in after}
    return {e.code: ElementChange(e.code, e.nrr, later.get(e.code)) for e in before}


@dataclass(frozen=True)
class Finding:
    """A weak element of one campaign that the unit must follow up."""

    campaign_id: Hashable
    element_code: str


@dataclass(frozen=True)
class FollowupAction:
    id: Hashable
    campaign_id: Hashable
    element_code: str
    status: str


@dataclass(frozen=True)
class FollowupSuggestion:
    """The PPF4C option the plan supports, the counts behind it and the actions to cite."""

    ref: str
    option: str
    followed_up: int
    findings: int
    evidence_ids: tuple[Hashable, ...]


def suggest_followup_answer(
    findings: Iterable[Finding], actions: Iterable[FollowupAction]
) -> FollowupSuggestion | None:
    """PPF4C from the follow-up plan: a finding is followed up when at least one of its actions
    is done. All findings -> A ("seluruh"), more than half -> B ("sebagian besar"), some -> C
    ("sebagian kecil"), none -> D. No findings (no results yet): no suggestion."""
    keys = list(dict.fromkeys((f.campaign_id, f.element_code) for f in findings))
    if not keys:
        return None
    done = [a for a in actions if a.status == DONE and (a.campaign_id, a.element_code) in keys]
    followed = {(a.campaign_id, a.element_code) for a in done}
    share = Fraction(len(followed), len(keys))
    option = "A" if share == 1 else "B" if share > Fraction(1, 2) else "C" if followed else "D"
    return FollowupSuggestion(
        ref=FOLLOWUP_LKE_REF, option=option, followed_up=len(followed), findings=len(keys),
        evidence_ids=tuple(a.id for a in done),
    )
