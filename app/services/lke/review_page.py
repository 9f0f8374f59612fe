"""What the review page shows: one area at a time, filters, progress per area, the
consequence of a decision before it is taken, and a read-only view once nothing waits for
the reader. Reads only; the writes stay in ``review`` (one core for both faces)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.domain.lke import review as rv
from app.models.accounts import Membership, Role
from app.models.lke.assessments import Assessment
from app.models.lke.review import LkeReview, LkeReviewDraft, LkeSubmission
from app.models.units import Unit
from app.security.principal import Principal
from app.services import units
from app.services.errors import Forbidden, Invalid, Locked
from app.services.lke import assessments
from app.services.lke import review as review_svc
from app.services.lke.submission import (
    LEVEL_NAMES,
    LEVEL_OF_UNIT,
    chain_levels,
    current_submission,
)

# Filter name -> what the reviewer reads on its button (Indonesian; translated in the page).
FILTERS: dict[str, str] = {
    "differs": "Hanya yang berbeda dari unit",
    "no_evidence": "Tanpa eviden",
    "flagged": "Ditandai",
    "unreviewed": "Belum direviu",
}


@dataclass(frozen=True)
class AreaProgress:
    ref: str
    name: str
    total: int
    reviewed: int
    flagged: int
    differs: int

    @property
    def done(self) -> bool:
        return self.reviewed == self.total


@dataclass(frozen=True)
class ReviewFocus:
    """The area shown, the filter, the questions that pass it, and every area's progress."""

    area: str
    only: str | None
    refs: tuple[str, ...]
    areas: tuple[AreaProgress, ...]

    @property
    def reviewed(self) -> int:
        return sum(a.reviewed for a in self.areas)

    @property
    def total(self) -> int:
        return sum(a.total for a in self.areas)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def reviewed_refs(drafts: Mapping[str, LkeReviewDraft],
                  submission: LkeSubmission | None) -> set[str]:
    """Questions the reviewer has looked at in this round: saved anything (a value, a note,
    a flag, or "checked") since the current submission."""
    since = _aware(submission.submitted_at) if submission is not None else None
    return {ref for ref, d in drafts.items()
            if since is None or _aware(d.updated_at) >= since}


def focus(*, scoring, drafts: Mapping[str, LkeReviewDraft], evidence: Mapping,
          submission: LkeSubmission | None, area: str | None, only: str | None) -> ReviewFocus:
    """One area (the first when none or an unknown one is asked) filtered by ``only``."""
    if only not in (None, "") and only not in FILTERS:
        raise Invalid("Saringan tidak dikenal.", problems=[f"Pilihan: {', '.join(FILTERS)}"])
    framework = scoring.framework
    reviewed = reviewed_refs(drafts, submission)

    def differs(ref: str) -> bool:
        return scoring.self_report.nodes[ref].score != scoring.review_report.nodes[ref].score

    def flagged(ref: str) -> bool:
        return ref in drafts and drafts[ref].flagged

    tests = {
        "differs": differs,
        "no_evidence": lambda ref: not evidence[ref].links,
        "flagged": flagged,
        "unreviewed": lambda ref: ref not in reviewed,
    }
    progress = []
    for a in framework.areas():
        refs = [q.ref for q in a.questions]
        progress.append(AreaProgress(
            a.ref, a.name, len(refs), sum(r in reviewed for r in refs),
            sum(flagged(r) for r in refs), sum(differs(r) for r in refs)))
    known = {p.ref for p in progress}
    chosen = area if area in known else progress[0].ref
    questions = next(a for a in framework.areas() if a.ref == chosen).questions
    keep = tests[only] if only else (lambda ref: True)
    return ReviewFocus(chosen, only or None, tuple(q.ref for q in questions if keep(q.ref)),
                       tuple(progress))


def consequence(session: Session, *, assessment: Assessment, level: str,
                decision: str) -> str:
    """What a decision at ``level`` will do, in words (for the confirmation)."""
    submission = current_submission(session, assessment_id=assessment.id)
    levels = tuple(submission.levels.split()) if submission else (level,)
    after = rv.after_decision(level=level, decision=decision, levels=levels)
    if decision == rv.RETURN:
        first = LEVEL_NAMES[levels[0]] if levels else LEVEL_NAMES[level]
        return ("Penilaian dikembalikan ke unit untuk diperbaiki. Pengajuan ulangnya direviu "
                f"lagi dari awal, mulai {first}.")
    if after == rv.FINAL:
        return ("Penilaian menjadi FINAL dan terkunci untuk selamanya: jawaban, eviden, dan "
                "reviu tidak dapat diubah lagi oleh siapa pun.")
    return (f"Penilaian diterima {LEVEL_NAMES[level]} dan diteruskan ke "
            f"{LEVEL_NAMES[rv.waiting_level(after)]}. Keputusan ini tidak dapat diubah.")


@dataclass(frozen=True)
class Opening:
    """How the review page opens for this reader: to work (``level`` waiting for them) or
    read-only (``level`` of the last decision, ``why`` in words)."""

    assessment: Assessment
    level: str
    position: object | None
    readonly: bool
    why: str = ""
    decision: LkeReview | None = None  # read-only: the decision whose values are shown


def open_review(session: Session, *, actor: Principal | None, assessment_id: int) -> Opening:
    """The reviewer's workspace, or, when nothing waits for this reader (final, returned,
    waiting at another level or at a level the reader does not review), the last decision's
    recorded values read-only instead of a refusal (a refusal only before any decision)."""
    try:
        assessment, level, position = review_svc._acting(session, actor, assessment_id)
        return Opening(assessment, level, position, False)
    except (Locked, Forbidden) as exc:
        refusal = exc
    assessment = assessments.get(session, actor=actor, assessment_id=assessment_id)
    last = session.exec(
        select(LkeReview).where(LkeReview.assessment_id == assessment.id)
        .order_by(col(LkeReview.id).desc())
    ).first()
    if last is None:  # nothing decided yet: no settled values to show
        raise refusal
    why = refusal.message
    if last.level == rv.waiting_level(assessment.status):
        # A re-review at the level that decided last: its working values are unfinished, so
        # the reader sees what that level decided before (from the decision's record).
        why = (f"{LEVEL_NAMES[last.level]} sedang mereviu ulang penilaian ini; nilai yang "
               "sedang dikerjakan reviewer belum ditampilkan.")
    return Opening(assessment, last.level, None, True, why, last)


def reviewer_home(session: Session, *, actor: Principal | None) -> int | None:
    """The unit whose review queue a reviewer lands on after signing in (None: not one)."""
    if actor is None or actor.user_id is None or actor.is_admin:
        return None
    row = session.exec(
        select(Unit.id).join(Membership, col(Membership.unit_id) == col(Unit.id))
        .where(Membership.user_id == actor.user_id, Membership.role == Role.reviewer.value,
               col(Unit.deleted_at).is_(None))
        .order_by(col(Unit.id))
    ).first()
    return row


def next_reviewers(session: Session, *, assessment: Assessment) -> list[tuple[str, str]]:
    """(level name, reviewing unit's name) in the order a (re)submission is reviewed."""
    unit = units.get(session, unit_id=assessment.unit_id)
    nearest: dict[str, Unit] = {}
    for above in reversed(units.ancestors(session, unit=unit)):  # nearest first
        level = LEVEL_OF_UNIT.get(above.level)
        if level and level not in nearest:
            nearest[level] = above
    return [(LEVEL_NAMES[level], nearest[level].name if level in nearest else "-")
            for level in chain_levels(session, unit=unit)]
