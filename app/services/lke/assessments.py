"""LKE ZI assessments: one per unit and year, bound to a framework version.

The lifecycle (create, read, retarget, soft-delete) and the editability rule the answer,
evidence and XLSX services share. Answers live in ``answers``, scores in ``scores``, progress
and comparisons in ``overview``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db import get_row
from app.domain.lke import Framework
from app.models.lke.assessments import (
    EDITABLE_STATUSES,
    Assessment,
    AssessmentStatus,
)
from app.models.units import Predicate
from app.security.principal import Principal, missing
from app.services import audit, units
from app.services.errors import Conflict, FieldProblem, Forbidden, Invalid, Locked, NotFound
from app.services.lke import frameworks

MIN_YEAR, MAX_YEAR = 2010, 2100
TARGETS = (Predicate.WBK.value, Predicate.WBBM.value)

STATUS_LABELS = {
    AssessmentStatus.draft.value: "Draf",
    AssessmentStatus.submitted.value: "Diajukan",
    AssessmentStatus.in_review.value: "Dalam reviu",
    AssessmentStatus.returned.value: "Dikembalikan",
    AssessmentStatus.final.value: "Final",
}


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


def _check(actor: Principal | None, permission: str, unit_id: int) -> None:
    if actor is not None and not actor.can(permission, unit_id):
        name, message = missing(actor, permission, unit_id)
        raise Forbidden(message, permission=name)


def get(
    session: Session,
    *,
    actor: Principal | None,
    assessment_id: int,
    permission: str = "unit.read",
    unit_id: int | None = None,
) -> Assessment:
    """One live assessment; NotFound if absent (or not of ``unit_id`` when given: the same
    answer, so ids cannot be probed), Forbidden without ``permission`` at its unit."""
    assessment = get_row(session, Assessment, assessment_id)
    if assessment is None or assessment.deleted_at is not None or (
        unit_id is not None and assessment.unit_id != unit_id
    ):
        raise NotFound(f"Penilaian LKE {assessment_id} tidak ditemukan.")
    _check(actor, permission, assessment.unit_id)
    return assessment


def check_readable(session: Session, *, actor: Principal | None, unit_id: int) -> None:
    """NotFound for a unit that does not exist, Forbidden when the actor may not read it."""
    units.get(session, unit_id=unit_id)
    _check(actor, "unit.read", unit_id)


def list_for_unit(session: Session, *, actor: Principal | None, unit_id: int) -> list[Assessment]:
    """The unit's live assessments, newest year first."""
    check_readable(session, actor=actor, unit_id=unit_id)
    return list(
        session.exec(
            select(Assessment)
            .where(Assessment.unit_id == unit_id, col(Assessment.deleted_at).is_(None))
            .order_by(col(Assessment.year).desc())
        ).all()
    )


def list_for_units(
    session: Session, *, unit_ids: set[int] | None, year: int | None = None
) -> list[Assessment]:
    """Live assessments of the given units (None = every unit), by unit then newest year."""
    query = select(Assessment).where(col(Assessment.deleted_at).is_(None))
    if unit_ids is not None:
        query = query.where(col(Assessment.unit_id).in_(unit_ids or {-1}))
    if year is not None:
        query = query.where(Assessment.year == year)
    return list(
        session.exec(query.order_by(Assessment.unit_id, col(Assessment.year).desc())).all()
    )


def framework_of(session: Session, assessment: Assessment) -> Framework:
    """The framework version the assessment is bound to (never a newer one)."""
    return frameworks.load(session, framework_id=assessment.framework_id)


def is_editable(assessment: Assessment) -> bool:
    return assessment.status in EDITABLE_STATUSES


def assert_editable(assessment: Assessment) -> None:
    """Refuse writes to answers unless the assessment is a draft or was returned."""
    if assessment.deleted_at is not None:
        raise Locked("Penilaian LKE ini sudah dihapus.")
    if assessment.status == AssessmentStatus.final:
        raise Locked(
            "Penilaian LKE ini sudah final dan terkunci: jawaban tidak dapat diubah lagi."
        )
    if assessment.status in (AssessmentStatus.submitted, AssessmentStatus.in_review):
        raise Locked(
            "Penilaian LKE ini sedang direviu: jawaban tidak dapat diubah sampai "
            "dikembalikan oleh reviewer."
        )
    if not is_editable(assessment):
        raise Locked(f"Penilaian LKE berstatus '{assessment.status}' tidak dapat diubah.")


# --------------------------------------------------------------------------------------------
# Assessments
# --------------------------------------------------------------------------------------------


def new_problems(*, year: Any = None, target: Any = None) -> list[FieldProblem]:
    """What is wrong with a new assessment's year and target (None: not given, e.g. refused
    by its type on a page, which says so itself)."""
    problems = []
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)
                             or not MIN_YEAR <= year <= MAX_YEAR):
        problems.append(FieldProblem("year", "out_of_range",
                                     f"Tahun penilaian harus antara {MIN_YEAR} dan {MAX_YEAR}."))
    if target is not None and target not in TARGETS:
        problems.append(FieldProblem("target", "unknown", "Target predikat harus WBK atau WBBM."))
    return problems


def create(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    year: int,
    target: str,
    framework_id: int | None = None,
) -> Assessment:
    """Start the unit's assessment for a year (one per unit and year) on a framework version."""
    unit = units.get(session, unit_id=unit_id)
    _check(actor, "indicators.write", unit.id)
    problems = new_problems(year=year, target=target)
    if problems:
        raise Invalid("Penilaian LKE tidak dapat dibuat.", errors=problems)
    row = (
        frameworks.get_row(session, framework_id=framework_id)
        if framework_id is not None
        else frameworks.ensure_loaded(session)
    )
    if _live(session, unit_id=unit.id, year=year) is not None:
        raise Conflict(f"Penilaian LKE {unit.name} tahun {year} sudah ada.")
    assessment = Assessment(
        unit_id=unit.id,
        year=year,
        framework_id=row.id,
        target=target,
        status=AssessmentStatus.draft.value,
        created_by=actor.user_id if actor else None,
    )
    session.add(assessment)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"Penilaian LKE {unit.name} tahun {year} sudah ada.") from None
    audit.record(
        session, actor=actor, action="create", entity="assessment", entity_id=assessment.id,
        unit_id=unit.id, after=audit.snapshot(assessment),
    )
    _summary().refresh(session, assessment=assessment)
    session.commit()
    return assessment


def _summary():
    # The summary scores through the modules that import this one.
    from app.services.lke import summary

    return summary


def _live(session: Session, *, unit_id: int, year: int) -> Assessment | None:
    return session.exec(
        select(Assessment).where(
            Assessment.unit_id == unit_id,
            Assessment.year == year,
            col(Assessment.deleted_at).is_(None),
        )
    ).first()


def find(session: Session, *, unit_id: int, year: int) -> Assessment | None:
    """The unit's live assessment for a year, or None (no access check)."""
    return _live(session, unit_id=unit_id, year=year)


def set_target(
    session: Session, *, actor: Principal | None, assessment_id: int, target: str
) -> Assessment:
    """Change the target predicate of an editable assessment."""
    assessment = get(session, actor=actor, assessment_id=assessment_id,
                     permission="indicators.write")
    assert_editable(assessment)
    if target not in TARGETS:
        raise Invalid("Target predikat harus WBK atau WBBM.")
    before = audit.snapshot(assessment)
    assessment.target = target
    assessment.updated_at = _now()
    _summary().scores_changed(session, assessment=assessment)
    audit.save(
        session, assessment, actor=actor, action="update", entity="assessment",
        before=before,
    )
    return assessment


def delete(session: Session, *, actor: Principal | None, assessment_id: int) -> None:
    """Soft-delete an assessment that is still a draft."""
    assessment = get(session, actor=actor, assessment_id=assessment_id,
                     permission="indicators.delete")
    if assessment.status != AssessmentStatus.draft:
        raise Locked("Hanya penilaian berstatus draf yang dapat dihapus.")
    before = audit.snapshot(assessment)
    assessment.deleted_at = _now()
    _summary().remove(session, assessment_id=assessment.id)
    audit.save(
        session, assessment, actor=actor, action="delete", entity="assessment",
        before=before,
    )


def new_defaults(session: Session, *, unit_id: int, taken: list[int]) -> tuple[int, str]:
    """What a new assessment form offers: this year in the unit's time zone (the next year
    without an assessment when this one has one) and the unit's next target (WBBM once it
    holds WBK)."""
    unit = units.get(session, unit_id=unit_id)
    year = datetime.now(ZoneInfo(unit.timezone or "Asia/Jakarta")).year
    while year in taken:
        year += 1
    holds = any(units.holds_predicate(session, unit_id=unit_id, predicate=p.value)
                for p in (Predicate.WBK, Predicate.WBBM))
    return year, (Predicate.WBBM.value if holds else Predicate.WBK.value)
