"""The survey catalogue of a unit: its service types (jenis layanan) and a campaign's source
tags (a counter or a service desk, carried by its QR code).

``service_for`` loads a service addressed by id and checks the actor's permission at its unit
(``Forbidden`` otherwise).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.db import get_row
from app.domain.surveys.submission import CODE_RE
from app.models.surveys.records import SurveyService, SurveySource
from app.security.principal import Principal
from app.services import audit
from app.services.errors import FieldProblem, Invalid, NotFound
from app.services.surveys.campaigns import campaign_for, forbid, utc_now


def list_services(
    session: Session, *, unit_id: int, include_inactive: bool = True,
    actor: Principal | None = None,
) -> list[SurveyService]:
    """A unit's live service types, ordered by name."""
    forbid(actor, "unit.read", unit_id)
    query = select(SurveyService).where(
        SurveyService.unit_id == unit_id, col(SurveyService.deleted_at).is_(None)
    )
    if not include_inactive:
        query = query.where(SurveyService.active == True)  # noqa: E712
    return list(session.exec(query.order_by(SurveyService.name)).all())


def active_services(session: Session, *, unit_id: int) -> list[SurveyService]:
    """The services a respondent may choose on the public form."""
    return list_services(session, unit_id=unit_id, include_inactive=False)


def service_for(
    session: Session, *, actor: Principal | None, service_id: int, permission: str = "unit.read",
    unit_id: int | None = None,
) -> SurveyService:
    """One live service; NotFound, or Forbidden when the actor lacks the permission at its unit.

    With ``unit_id`` (a page addressed through a unit), a service of another unit is NotFound,
    in the same words as one that does not exist.
    """
    service = get_row(session, SurveyService, service_id)
    if service is None or service.deleted_at is not None or (
        unit_id is not None and service.unit_id != unit_id
    ):
        raise NotFound(f"Jenis layanan {service_id} tidak ditemukan.")
    forbid(actor, permission, service.unit_id)
    return service


def _service_problems(
    session: Session, *, unit_id: int, code: str, name: str, exclude_id: int | None
) -> list[FieldProblem]:
    problems = []
    if not CODE_RE.match(code):
        problems.append(FieldProblem(
            "code", "missing" if not code else "invalid_format",
            "Kode layanan wajib diisi: huruf, angka, titik, garis bawah atau tanda hubung "
            "(maksimal 40)."
        ))
    if not name:
        problems.append(FieldProblem("name", "missing", "Nama layanan wajib diisi."))
    elif len(name) > 200:
        problems.append(FieldProblem("name", "too_long",
                                     "Nama layanan paling banyak 200 karakter."))
    if code:
        query = select(SurveyService.id).where(
            SurveyService.unit_id == unit_id, SurveyService.code == code,
            col(SurveyService.deleted_at).is_(None),
        )
        if exclude_id is not None:
            query = query.where(SurveyService.id != exclude_id)
        if session.exec(query).first() is not None:
            problems.append(FieldProblem("code", "taken",
                                         f"Kode layanan '{code}' sudah dipakai di unit ini."))
    return problems


def create_service(
    session: Session, *, actor: Principal | None, unit_id: int, code: str, name: str,
    description: str = "", active: bool = True,
) -> SurveyService:
    """Add a service type (jenis layanan) to a unit."""
    forbid(actor, "surveys.write", unit_id)
    code, name, description = code.strip(), name.strip(), (description or "").strip()
    problems = _service_problems(session, unit_id=unit_id, code=code, name=name, exclude_id=None)
    if len(description) > 1000:
        problems.append(FieldProblem("description", "too_long",
                                     "Keterangan paling banyak 1000 karakter."))
    if problems:
        raise Invalid("Jenis layanan tidak dapat disimpan.", errors=problems)
    service = SurveyService(
        unit_id=unit_id, code=code, name=name, description=description, active=active
    )
    session.add(service)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="survey_service", entity_id=service.id,
        unit_id=unit_id, after=audit.snapshot(service),
    )
    session.commit()
    return service


def update_service(
    session: Session, *, actor: Principal | None, service_id: int, code: str | None = None,
    name: str | None = None, description: str | None = None, active: bool | None = None,
    unit_id: int | None = None,
) -> SurveyService:
    """Change a service type; fields left None keep their value."""
    service = service_for(session, actor=actor, service_id=service_id, permission="surveys.write",
                          unit_id=unit_id)
    before = audit.snapshot(service)
    new_code = service.code if code is None else code.strip()
    new_name = service.name if name is None else name.strip()
    problems = _service_problems(
        session, unit_id=service.unit_id, code=new_code, name=new_name, exclude_id=service.id
    )
    new_description = service.description if description is None else description.strip()
    if len(new_description) > 1000:
        problems.append(FieldProblem("description", "too_long",
                                     "Keterangan paling banyak 1000 karakter."))
    if problems:
        raise Invalid("Jenis layanan tidak dapat disimpan.", errors=problems)
    service.code, service.name, service.description = new_code, new_name, new_description
    if active is not None:
        service.active = active
    audit.save(
        session, service, actor=actor, action="update", entity="survey_service",
        before=before,
    )
    return service


def delete_service(
    session: Session, *, actor: Principal | None, service_id: int, unit_id: int | None = None
) -> None:
    """Soft-delete a service type; its past responses keep pointing at it."""
    service = service_for(session, actor=actor, service_id=service_id,
                          permission="surveys.delete", unit_id=unit_id)
    before = audit.snapshot(service)
    service.deleted_at = utc_now()
    service.active = False
    audit.save(
        session, service, actor=actor, action="delete", entity="survey_service",
        before=before,
    )


def list_sources(
    session: Session, *, campaign_id: int, actor: Principal | None = None
) -> list[SurveySource]:
    """A campaign's live source tags, by tag."""
    if actor is not None:
        campaign_for(session, actor=actor, campaign_id=campaign_id)
    return list(session.exec(
        select(SurveySource).where(
            SurveySource.campaign_id == campaign_id, col(SurveySource.deleted_at).is_(None)
        ).order_by(SurveySource.tag)
    ).all())


def source_by_tag(session: Session, *, campaign_id: int, tag: str) -> SurveySource | None:
    """The live source of a campaign with that tag, or None."""
    return session.exec(
        select(SurveySource).where(
            SurveySource.campaign_id == campaign_id, SurveySource.tag == tag,
            col(SurveySource.deleted_at).is_(None),
        )
    ).first()


def create_source(
    session: Session, *, actor: Principal | None, campaign_id: int, tag: str, label: str,
    service_id: int | None = None,
) -> SurveySource:
    """Add a source tag (a counter or a service desk) whose QR code carries it."""
    campaign = campaign_for(
        session, actor=actor, campaign_id=campaign_id, permission="surveys.write"
    )
    tag, label = tag.strip(), label.strip()
    problems = []
    if not CODE_RE.match(tag):
        problems.append("Tag sumber: huruf, angka, titik, garis bawah atau tanda hubung (maks. 40).")
    if not label:
        problems.append("Nama sumber wajib diisi.")
    if tag and session.exec(select(SurveySource.id).where(
        SurveySource.campaign_id == campaign.id, SurveySource.tag == tag
    )).first() is not None:
        problems.append(f"Tag sumber '{tag}' sudah dipakai pada survei ini.")
    if service_id is not None:
        service = get_row(session, SurveyService, service_id)
        if service is None or service.unit_id != campaign.unit_id or service.deleted_at:
            problems.append("Jenis layanan tidak dikenal di unit ini.")
    if problems:
        raise Invalid("Sumber tidak dapat disimpan.", problems=problems)
    source = SurveySource(campaign_id=campaign.id, tag=tag, label=label, service_id=service_id)
    session.add(source)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="survey_source", entity_id=source.id,
        unit_id=campaign.unit_id, after=audit.snapshot(source),
    )
    session.commit()
    return source


def delete_source(
    session: Session, *, actor: Principal | None, source_id: int, campaign_id: int | None = None
) -> None:
    """Soft-delete a source tag; responses keep their tag.

    With ``campaign_id`` (a page addressed through a campaign), a source of another campaign
    is NotFound.
    """
    source = session.get(SurveySource, source_id)
    if campaign_id is not None and (
        source is None or source.deleted_at is not None or source.campaign_id != campaign_id
    ):
        raise NotFound("Sumber tidak ditemukan pada survei ini.")
    if source is None or source.deleted_at is not None:
        raise NotFound(f"Sumber {source_id} tidak ditemukan.")
    campaign = campaign_for(
        session, actor=actor, campaign_id=source.campaign_id, permission="surveys.delete"
    )
    before = audit.snapshot(source)
    source.deleted_at = utc_now()
    audit.save(
        session, source, actor=actor, action="delete", entity="survey_source",
        before=before, unit_id=campaign.unit_id,
    )


def deleted_service(
    session: Session, *, actor: Principal | None, service_id: int, unit_id: int | None = None
) -> SurveyService:
    """A soft-deleted service (of the unit, when given): what an undo would bring back, or
    NotFound."""
    service = get_row(session, SurveyService, service_id)
    if service is None or service.deleted_at is None or (
            unit_id is not None and service.unit_id != unit_id):
        raise NotFound(f"Jenis layanan {service_id} tidak ditemukan di antara yang dihapus.")
    forbid(actor, "surveys.delete", service.unit_id)
    return service


def restore_service(
    session: Session, *, actor: Principal | None, service_id: int, unit_id: int | None = None
) -> SurveyService:
    """Undo a delete: the service is live again, active as it was before (Invalid when its
    code is now used by another live service). Audited as "restore"."""
    service = deleted_service(session, actor=actor, service_id=service_id, unit_id=unit_id)
    problems = _service_problems(session, unit_id=service.unit_id, code=service.code,
                                 name=service.name, exclude_id=service.id)
    if problems:
        raise Invalid("Jenis layanan tidak dapat dipulihkan.", errors=problems)
    before = audit.snapshot(service)
    was = audit.last_before(session, entity="survey_service", entity_id=service.id)
    service.deleted_at = None
    service.active = bool(was.get("active", True))
    audit.save(session, service, actor=actor, action="restore", entity="survey_service",
               before=before)
    return service


def deleted_source(
    session: Session, *, actor: Principal | None, source_id: int, campaign_id: int
) -> SurveySource:
    """A soft-deleted source of the campaign, or NotFound."""
    source = session.get(SurveySource, source_id)
    if source is None or source.campaign_id != campaign_id or source.deleted_at is None:
        raise NotFound(f"Sumber {source_id} tidak ditemukan di antara yang dihapus.")
    campaign_for(session, actor=actor, campaign_id=campaign_id, permission="surveys.delete")
    return source


def restore_source(
    session: Session, *, actor: Principal | None, source_id: int, campaign_id: int
) -> SurveySource:
    """Undo a delete: the source tag marks new answers again (a tag is never reused on its
    campaign, so nothing can have taken its place). Audited as "restore"."""
    source = deleted_source(session, actor=actor, source_id=source_id, campaign_id=campaign_id)
    campaign = campaign_for(session, actor=actor, campaign_id=campaign_id,
                            permission="surveys.delete")
    before = audit.snapshot(source)
    source.deleted_at = None
    audit.save(session, source, actor=actor, action="restore", entity="survey_source",
               before=before, unit_id=campaign.unit_id)
    return source
