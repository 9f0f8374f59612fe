"""Survey use cases: service types, campaigns and their sources, recording and reviewing responses.

Public API used by the public form (``/s/{code}``) and the JSON API:

- :func:`campaign_by_code`, :func:`campaign_state`, :func:`instruments_of`,
  :func:`active_services`, :func:`source_by_tag` to render the form;
- :func:`check_submission` to validate without storing (field-level errors);
- :func:`record_response` (one response, SQLAlchemy Core, one transaction) and
  :func:`record_batch` (API, per-item idempotency keys).

Authorisation is the caller's job for unit-addressed routes (``requires(...)``); the helpers
``campaign_for`` / ``service_for`` / ``response_for`` load an entity addressed by id and check
the actor's permission at its unit (``Forbidden`` otherwise).
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.db import get_row, insert_rows
from app.domain.surveys.instruments import Instrument
from app.models.surveys.records import (
    NO_SERVICE,
    CampaignStatus,
    PeriodKind,
    ReviewDecision,
    SurveyAnswer,
    SurveyCampaign,
    SurveyInstrument,
    SurveyResponse,
    SurveyService,
    SurveySource,
)
from app.models.units import Unit
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import tallies as survey_tallies

# --------------------------------------------------------------------------- errors


class CampaignClosed(ServiceError):
    """The campaign does not take responses now (draft, not open yet, closed, past its dates)."""

    status_code = 409


class SubmissionInvalid(Invalid):
    """A submission with problems; ``fields`` maps a form field name to its message.

    Field names: ``"<instrument code>.<item code>"`` (e.g. ``"ikm-2017.U3"``),
    ``"profile.<field>"``, ``"service"``, ``"source"``, ``"suggestion"``, ``"answers"``.
    """

    def __init__(self, message: str, *, fields: dict[str, str]):
        super().__init__(message, problems=[f"{k}: {v}" for k, v in fields.items()])
        self.fields = fields


def _now() -> datetime:
    return datetime.now(UTC)


def _forbid(actor: Principal | None, permission: str, unit_id: int) -> None:
    if actor is not None and not actor.can(permission, unit_id):
        raise Forbidden("Anda tidak berwenang untuk tindakan ini.")


_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")

# --------------------------------------------------------------------------- services


def list_services(
    session: Session, *, unit_id: int, include_inactive: bool = True
) -> list[SurveyService]:
    """A unit's live service types, ordered by name."""
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
    session: Session, *, actor: Principal | None, service_id: int, permission: str = "unit.read"
) -> SurveyService:
    """One live service; NotFound, or Forbidden when the actor lacks the permission at its unit."""
    service = get_row(session, SurveyService, service_id)
    if service is None or service.deleted_at is not None:
        raise NotFound(f"Jenis layanan {service_id} tidak ditemukan.")
    _forbid(actor, permission, service.unit_id)
    return service


def _service_problems(
    session: Session, *, unit_id: int, code: str, name: str, exclude_id: int | None
) -> list[str]:
    problems = []
    if not _CODE_RE.match(code):
        problems.append(
            "Kode layanan wajib diisi: huruf, angka, titik, garis bawah atau tanda hubung "
            "(maksimal 40)."
        )
    if not name:
        problems.append("Nama layanan wajib diisi.")
    elif len(name) > 200:
        problems.append("Nama layanan paling banyak 200 karakter.")
    if code:
        query = select(SurveyService.id).where(
            SurveyService.unit_id == unit_id, SurveyService.code == code,
            col(SurveyService.deleted_at).is_(None),
        )
        if exclude_id is not None:
            query = query.where(SurveyService.id != exclude_id)
        if session.exec(query).first() is not None:
            problems.append(f"Kode layanan '{code}' sudah dipakai di unit ini.")
    return problems


def create_service(
    session: Session, *, actor: Principal | None, unit_id: int, code: str, name: str,
    description: str = "", active: bool = True,
) -> SurveyService:
    """Add a service type (jenis layanan) to a unit."""
    _forbid(actor, "surveys.write", unit_id)
    code, name, description = code.strip(), name.strip(), (description or "").strip()
    problems = _service_problems(session, unit_id=unit_id, code=code, name=name, exclude_id=None)
    if len(description) > 1000:
        problems.append("Keterangan paling banyak 1000 karakter.")
    if problems:
        raise Invalid("Jenis layanan tidak dapat disimpan.", problems=problems)
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
) -> SurveyService:
    """Change a service type; fields left None keep their value."""
    service = service_for(session, actor=actor, service_id=service_id, permission="surveys.write")
    before = audit.snapshot(service)
    new_code = service.code if code is None else code.strip()
    new_name = service.name if name is None else name.strip()
    problems = _service_problems(
        session, unit_id=service.unit_id, code=new_code, name=new_name, exclude_id=service.id
    )
    new_description = service.description if description is None else description.strip()
    if len(new_description) > 1000:
        problems.append("Keterangan paling banyak 1000 karakter.")
    if problems:
        raise Invalid("Jenis layanan tidak dapat disimpan.", problems=problems)
    service.code, service.name, service.description = new_code, new_name, new_description
    if active is not None:
        service.active = active
    session.add(service)
    audit.record(
        session, actor=actor, action="update", entity="survey_service", entity_id=service.id,
        unit_id=service.unit_id, before=before, after=audit.snapshot(service),
    )
    session.commit()
    return service


def delete_service(session: Session, *, actor: Principal | None, service_id: int) -> None:
    """Soft-delete a service type; its past responses keep pointing at it."""
    service = service_for(session, actor=actor, service_id=service_id, permission="surveys.manage")
    before = audit.snapshot(service)
    service.deleted_at = _now()
    service.active = False
    session.add(service)
    audit.record(
        session, actor=actor, action="delete", entity="survey_service", entity_id=service.id,
        unit_id=service.unit_id, before=before, after=audit.snapshot(service),
    )
    session.commit()


# --------------------------------------------------------------------------- campaigns

PERIOD_PATTERNS = {
    PeriodKind.quarter: re.compile(r"^(\d{4})-Q([1-4])$"),
    PeriodKind.semester: re.compile(r"^(\d{4})-S([12])$"),
    PeriodKind.year: re.compile(r"^(\d{4})$"),
}
PERIOD_HINTS = {
    PeriodKind.quarter: "2019-Q1 sampai 2019-Q4",
    PeriodKind.semester: "2019-S1 atau 2019-S2",
    PeriodKind.year: "2019",
}
_PUBLIC_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud, typed by hand
PUBLIC_CODE_LENGTH = 8


def period_label(kind: str, year: int, number: int | None = None) -> str:
    """The label of a period: ``("semester", 2019, 1) -> "2019-S1"``, ``("year", 2019) -> "2019"``."""
    if kind == PeriodKind.quarter:
        return f"{year}-Q{number}"
    if kind == PeriodKind.semester:
        return f"{year}-S{number}"
    return f"{year}"


def period_sort_key(label: str) -> tuple[int, int, int]:
    """Order periods of mixed kinds: by year, then start month, then length (shorter first)."""
    year = int(label[:4])
    if "-Q" in label:
        q = int(label[-1])
        return (year, (q - 1) * 3 + 1, 3)
    if "-S" in label:
        s = int(label[-1])
        return (year, (s - 1) * 6 + 1, 6)
    return (year, 1, 12)


def new_public_code() -> str:
    """A short, random, URL-safe code for /s/{code} (31^8, about 8.5e11 values)."""
    return "".join(secrets.choice(_PUBLIC_ALPHABET) for _ in range(PUBLIC_CODE_LENGTH))


@dataclass
class CampaignInput:
    """What a person or a system gives to create or change a campaign."""

    title: str
    instrument_codes: Sequence[str]
    period_kind: str
    period_label: str
    opens_on: date
    closes_on: date
    population: int


def _campaign_problems(session: Session, data: CampaignInput) -> tuple[list[str], list[int], int]:
    problems: list[str] = []
    title = (data.title or "").strip()
    if not title:
        problems.append("Judul survei wajib diisi.")
    elif len(title) > 200:
        problems.append("Judul survei paling banyak 200 karakter.")
    codes = [c.strip() for c in data.instrument_codes if c and c.strip()]
    instrument_ids: list[int] = []
    if not codes:
        problems.append("Pilih sedikitnya satu instrumen (IKM, SPKP atau SPAK).")
    kinds_seen: set[str] = set()
    for code in dict.fromkeys(codes):
        try:
            row = survey_instruments.latest_by_code(session, code=code)
        except NotFound as exc:
            problems.append(exc.message)
            continue
        if row.kind in kinds_seen:
            problems.append(f"Satu survei hanya memuat satu instrumen jenis {row.kind.upper()}.")
            continue
        kinds_seen.add(row.kind)
        instrument_ids.append(row.id)
    year = 0
    try:
        kind = PeriodKind(data.period_kind)
    except ValueError:
        problems.append("Jenis periode harus triwulan, semester atau tahun.")
        kind = None
    label = (data.period_label or "").strip()
    if kind is not None:
        match = PERIOD_PATTERNS[kind].match(label)
        if not match:
            problems.append(f"Label periode '{label}' tidak sesuai; contoh: {PERIOD_HINTS[kind]}.")
        else:
            year = int(match.group(1))
            if not 2000 <= year <= 2100:
                problems.append("Tahun periode tidak masuk akal.")
    if not isinstance(data.opens_on, date) or not isinstance(data.closes_on, date):
        problems.append("Tanggal buka dan tanggal tutup wajib diisi.")
    elif data.closes_on < data.opens_on:
        problems.append("Tanggal tutup tidak boleh sebelum tanggal buka.")
    if isinstance(data.population, bool) or not isinstance(data.population, int) \
            or data.population < 1:
        problems.append("Perkiraan populasi pengguna layanan minimal 1.")
    elif data.population > 100_000_000:
        problems.append("Perkiraan populasi tidak masuk akal.")
    return problems, instrument_ids, year


def campaign_for(
    session: Session, *, actor: Principal | None, campaign_id: int, permission: str = "unit.read"
) -> SurveyCampaign:
    """One live campaign; NotFound, or Forbidden when the actor lacks the permission there."""
    campaign = session.get(SurveyCampaign, campaign_id)
    if campaign is None or campaign.deleted_at is not None:
        raise NotFound(f"Survei {campaign_id} tidak ditemukan.")
    _forbid(actor, permission, campaign.unit_id)
    return campaign


def list_campaigns(
    session: Session, *, unit_id: int, year: int | None = None
) -> list[SurveyCampaign]:
    """A unit's live campaigns, newest period first."""
    query = select(SurveyCampaign).where(
        SurveyCampaign.unit_id == unit_id, col(SurveyCampaign.deleted_at).is_(None)
    )
    if year is not None:
        query = query.where(SurveyCampaign.year == year)
    rows = list(session.exec(query).all())
    rows.sort(key=lambda c: (period_sort_key(c.period_label), c.opens_on, c.id), reverse=True)
    return rows


def create_campaign(
    session: Session, *, actor: Principal | None, unit_id: int, data: CampaignInput,
    status: str = CampaignStatus.open, is_demo: bool = False,
) -> SurveyCampaign:
    """Create a campaign with a fresh public code; it opens on its dates unless left a draft."""
    _forbid(actor, "surveys.write", unit_id)
    unit = session.get(Unit, unit_id)
    if unit is None or unit.deleted_at is not None:
        raise NotFound(f"Unit {unit_id} tidak ditemukan.")
    problems, instrument_ids, year = _campaign_problems(session, data)
    if status not in (CampaignStatus.draft, CampaignStatus.open):
        problems.append("Survei baru berstatus draf atau dibuka.")
    if problems:
        raise Invalid("Survei tidak dapat disimpan.", problems=problems)
    code = new_public_code()
    while session.exec(
        select(SurveyCampaign.id).where(SurveyCampaign.public_code == code)
    ).first() is not None:  # pragma: no cover - 1 in 10^11
        code = new_public_code()
    campaign = SurveyCampaign(
        unit_id=unit_id, title=data.title.strip(), instrument_ids=instrument_ids,
        period_kind=data.period_kind, period_label=data.period_label.strip(), year=year,
        opens_on=data.opens_on, closes_on=data.closes_on, population=data.population,
        public_code=code, status=status, timezone=unit.timezone, is_demo=is_demo,
        created_by=actor.user_id if actor else None,
    )
    session.add(campaign)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="survey_campaign", entity_id=campaign.id,
        unit_id=unit_id, after=audit.snapshot(campaign),
    )
    session.commit()
    return campaign


def response_count(session: Session, *, campaign_id: int) -> int:
    """Every stored response of a campaign (suspect ones included)."""
    return session.exec(
        select(func.count()).select_from(SurveyResponse)
        .where(SurveyResponse.campaign_id == campaign_id)
    ).one()


def update_campaign(
    session: Session, *, actor: Principal | None, campaign_id: int, data: CampaignInput
) -> SurveyCampaign:
    """Change a campaign; its instruments are fixed once it has responses."""
    campaign = campaign_for(
        session, actor=actor, campaign_id=campaign_id, permission="surveys.write"
    )
    before = audit.snapshot(campaign)
    problems, instrument_ids, year = _campaign_problems(session, data)
    if (
        not problems
        and instrument_ids != list(campaign.instrument_ids or [])
        and response_count(session, campaign_id=campaign.id)
    ):
        problems.append("Instrumen tidak dapat diubah karena survei sudah memiliki jawaban.")
    if problems:
        raise Invalid("Survei tidak dapat disimpan.", problems=problems)
    campaign.title = data.title.strip()
    campaign.instrument_ids = instrument_ids
    campaign.period_kind = data.period_kind
    campaign.period_label = data.period_label.strip()
    campaign.year = year
    campaign.opens_on, campaign.closes_on = data.opens_on, data.closes_on
    campaign.population = data.population
    campaign.updated_at = _now()
    session.add(campaign)
    audit.record(
        session, actor=actor, action="update", entity="survey_campaign", entity_id=campaign.id,
        unit_id=campaign.unit_id, before=before, after=audit.snapshot(campaign),
    )
    session.commit()
    return campaign


def set_campaign_status(
    session: Session, *, actor: Principal | None, campaign_id: int, status: str
) -> SurveyCampaign:
    """Open, close or reopen a campaign (closing keeps every response; reopening is allowed)."""
    campaign = campaign_for(
        session, actor=actor, campaign_id=campaign_id, permission="surveys.manage"
    )
    if status not in {s.value for s in CampaignStatus}:
        raise Invalid("Status survei tidak dikenal.")
    if status == CampaignStatus.draft and campaign.status != CampaignStatus.draft:
        raise Conflict("Survei yang sudah dibuka tidak dapat dikembalikan ke draf.")
    before = audit.snapshot(campaign)
    campaign.status = status
    campaign.closed_at = _now() if status == CampaignStatus.closed else None
    campaign.updated_at = _now()
    session.add(campaign)
    audit.record(
        session, actor=actor, action=f"status:{status}", entity="survey_campaign",
        entity_id=campaign.id, unit_id=campaign.unit_id, before=before,
        after=audit.snapshot(campaign),
    )
    session.commit()
    return campaign


def close_campaign(session: Session, *, actor: Principal | None, campaign_id: int) -> SurveyCampaign:
    """Close a campaign: the public link then says so politely."""
    return set_campaign_status(
        session, actor=actor, campaign_id=campaign_id, status=CampaignStatus.closed
    )


def delete_campaign(session: Session, *, actor: Principal | None, campaign_id: int) -> None:
    """Soft-delete a campaign (its link stops working; responses are kept)."""
    campaign = campaign_for(
        session, actor=actor, campaign_id=campaign_id, permission="surveys.manage"
    )
    before = audit.snapshot(campaign)
    campaign.deleted_at = _now()
    session.add(campaign)
    audit.record(
        session, actor=actor, action="delete", entity="survey_campaign", entity_id=campaign.id,
        unit_id=campaign.unit_id, before=before, after=audit.snapshot(campaign),
    )
    session.commit()


def campaign_by_code(session: Session, *, code: str) -> SurveyCampaign:
    """The live campaign behind a public link, or NotFound (unknown or deleted)."""
    campaign = session.exec(
        select(SurveyCampaign).where(SurveyCampaign.public_code == code.strip().lower())
    ).first()
    if campaign is None or campaign.deleted_at is not None:
        raise NotFound("Tautan survei tidak dikenal. Periksa kembali alamatnya.")
    return campaign


def local_today(campaign: SurveyCampaign, now: datetime | None = None) -> date:
    """Today in the campaign's unit time zone."""
    return (now or _now()).astimezone(ZoneInfo(campaign.timezone)).date()


def campaign_state(campaign: SurveyCampaign, now: datetime | None = None) -> str:
    """``open``, ``draft``, ``not_yet`` (before opens_on), ``ended`` (after closes_on), ``closed``."""
    if campaign.deleted_at is not None or campaign.status == CampaignStatus.closed:
        return "closed"
    if campaign.status == CampaignStatus.draft:
        return "draft"
    today = local_today(campaign, now)
    if today < campaign.opens_on:
        return "not_yet"
    if today > campaign.closes_on:
        return "ended"
    return "open"


STATE_MESSAGES = {
    "closed": "Survei ini sudah ditutup. Terima kasih atas kesediaan Anda.",
    "ended": "Masa pengisian survei ini sudah berakhir. Terima kasih atas kesediaan Anda.",
    "not_yet": "Survei ini belum dibuka. Silakan kembali pada tanggal pembukaan.",
    "draft": "Survei ini belum dibuka.",
}


def ensure_accepting(campaign: SurveyCampaign, now: datetime | None = None) -> None:
    """Raise CampaignClosed (409, polite message) unless the campaign takes responses now."""
    state = campaign_state(campaign, now)
    if state != "open":
        raise CampaignClosed(STATE_MESSAGES[state])


def instruments_of(session: Session, campaign: SurveyCampaign) -> list[Instrument]:
    """The campaign's instruments (domain objects, cached), in form order."""
    return [
        survey_instruments.get(session, instrument_id=i) for i in campaign.instrument_ids or []
    ]


def instrument_rows_of(session: Session, campaign: SurveyCampaign) -> list[SurveyInstrument]:
    """The stored instrument versions of a campaign, in form order."""
    rows = {
        r.id: r for r in session.exec(
            select(SurveyInstrument).where(
                col(SurveyInstrument.id).in_(campaign.instrument_ids or [-1])
            )
        )
    }
    return [rows[i] for i in campaign.instrument_ids or [] if i in rows]


# --------------------------------------------------------------------------- sources


def list_sources(session: Session, *, campaign_id: int) -> list[SurveySource]:
    """A campaign's live source tags, by tag."""
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
    if not _CODE_RE.match(tag):
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


def delete_source(session: Session, *, actor: Principal | None, source_id: int) -> None:
    """Soft-delete a source tag; responses keep their tag."""
    source = session.get(SurveySource, source_id)
    if source is None or source.deleted_at is not None:
        raise NotFound(f"Sumber {source_id} tidak ditemukan.")
    campaign = campaign_for(
        session, actor=actor, campaign_id=source.campaign_id, permission="surveys.manage"
    )
    before = audit.snapshot(source)
    source.deleted_at = _now()
    session.add(source)
    audit.record(
        session, actor=actor, action="delete", entity="survey_source", entity_id=source.id,
        unit_id=campaign.unit_id, before=before, after=audit.snapshot(source),
    )
    session.commit()


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True)
class ResponseMeta:
    """Technical facts of a submission (never the raw IP: only its keyed hash)."""

    ip_hash: str | None = None
    device_hash: str | None = None
    fill_seconds: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class RecordedResponse:
    """What :func:`record_response` stored (or found, for a repeated idempotency key)."""

    id: int
    campaign_id: int
    submitted_at: datetime
    suspect: bool
    #: True when the idempotency key was seen before: nothing new was stored.
    duplicate: bool = False


@dataclass
class CheckedSubmission:
    """A submission that passed every check, normalised for insertion."""

    answers: list[tuple[str, str, int]]
    service_id: int | None
    source_tag: str | None
    profile: dict[str, str] | None
    suggestion: str | None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choices:
    """What a respondent of a campaign may pick: the unit's active services, its source tags
    (read once and reused by the public form's submissions, see survey_intake)."""

    service_ids: frozenset[int]
    source_tags: frozenset[str]


def _check_service_and_source(
    session: Session | None, campaign: SurveyCampaign, service_id: Any, source: str | None,
    fields: dict[str, str], choices: Choices | None,
) -> None:
    if service_id is not None:
        if isinstance(service_id, bool) or not isinstance(service_id, int):
            fields["service"] = "Jenis layanan tidak dikenal."
        elif choices is not None:
            if service_id not in choices.service_ids:
                fields["service"] = "Jenis layanan tidak dikenal di unit ini."
        else:
            found = session.exec(select(SurveyService.id).where(
                SurveyService.id == service_id, SurveyService.unit_id == campaign.unit_id,
                SurveyService.active == True,  # noqa: E712
                col(SurveyService.deleted_at).is_(None),
            )).first()
            if found is None:
                fields["service"] = "Jenis layanan tidak dikenal di unit ini."
    if source is not None:
        if not isinstance(source, str) or not _CODE_RE.match(source):
            fields["source"] = "Sumber tidak dikenal."
        elif choices is not None:
            if source not in choices.source_tags:
                fields["source"] = "Sumber tidak dikenal pada survei ini."
        elif source_by_tag(session, campaign_id=campaign.id, tag=source) is None:
            fields["source"] = "Sumber tidak dikenal pada survei ini."


def choices_of(session: Session, campaign: SurveyCampaign) -> Choices:
    """The services and source tags a response to this campaign may name."""
    return Choices(
        service_ids=frozenset(s.id for s in active_services(session, unit_id=campaign.unit_id)),
        source_tags=frozenset(s.tag for s in list_sources(session, campaign_id=campaign.id)),
    )


def check_submission(
    session: Session, *, campaign: SurveyCampaign,
    answers: Mapping[tuple[str, str], Any],
    service_id: int | None = None, source: str | None = None,
    profile: Mapping[str, Any] | None = None, suggestion: str | None = None,
    instruments: Sequence[Instrument] | None = None, choices: Choices | None = None,
) -> CheckedSubmission:
    """Validate a submission against the campaign's instruments; SubmissionInvalid lists all.

    Every item of every instrument is required, values must be integers on the item's scale
    (bools and strings refused), unknown items, profile fields or options are refused. With
    ``instruments`` and ``choices`` given, it reads nothing from the database.
    """
    instruments = list(instruments) if instruments is not None else instruments_of(
        session, campaign
    )
    fields: dict[str, str] = {}
    rows: list[tuple[str, str, int]] = []
    if not isinstance(answers, Mapping):
        raise SubmissionInvalid("Jawaban tidak dapat dibaca.", fields={"answers": "Format salah."})
    known: set[tuple[str, str]] = set()
    for inst in instruments:
        low, high = inst.scale_min, inst.scale_max
        for item in inst.items:
            key = (inst.code, item.code)
            known.add(key)
            value = answers.get(key)
            if value is None or value == "":
                fields[f"{inst.code}.{item.code}"] = f"{item.code} ({item.name.id}) wajib dijawab."
            elif isinstance(value, bool) or not isinstance(value, int):
                fields[f"{inst.code}.{item.code}"] = (
                    f"{item.code}: jawaban harus berupa angka bulat."
                )
            elif not low <= value <= high:
                fields[f"{inst.code}.{item.code}"] = (
                    f"{item.code}: jawaban harus antara {low} dan {high}."
                )
            else:
                rows.append((inst.code, item.code, value))
    # Every item answered and no more keys than items: nothing unknown (the usual case).
    complete = len(rows) == len(known) == len(answers)
    unknown = [] if complete else [k for k in answers if k not in known]
    if unknown:
        shown = ", ".join(
            ".".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in unknown[:5]
        )
        fields["answers"] = f"Butir tidak dikenal pada survei ini: {shown}."

    clean_profile: dict[str, str] = {}
    profile_fields = {}
    for inst in instruments:
        for pf in inst.profile:
            profile_fields.setdefault(pf.code, pf)
    raw_profile = dict(profile or {})
    for code, value in raw_profile.items():
        pf = profile_fields.get(code)
        if pf is None:
            fields[f"profile.{code}"] = f"Data responden '{code}' tidak dikenal."
        elif value in (None, ""):
            continue
        elif value not in pf.option_codes:
            fields[f"profile.{code}"] = f"Pilihan untuk {pf.label.id} tidak dikenal."
        else:
            clean_profile[code] = value
    for code, pf in profile_fields.items():
        if pf.required and code not in clean_profile and f"profile.{code}" not in fields:
            fields[f"profile.{code}"] = f"{pf.label.id} wajib diisi."

    text = None
    if suggestion is not None:
        if not isinstance(suggestion, str):
            fields["suggestion"] = "Saran harus berupa teks."
        else:
            text = suggestion.strip().replace("\x00", "") or None
            limits = [i.suggestion.max_length for i in instruments if i.suggestion]
            limit = min(limits) if limits else 2000
            if text and len(text) > limit:
                fields["suggestion"] = f"Saran paling banyak {limit} karakter."
    required_suggestion = any(i.suggestion and i.suggestion.required for i in instruments)
    if required_suggestion and not text and "suggestion" not in fields:
        fields["suggestion"] = "Saran wajib diisi."

    _check_service_and_source(session, campaign, service_id, source, fields, choices)
    if fields:
        raise SubmissionInvalid("Jawaban belum lengkap atau tidak sah; tidak ada yang disimpan.",
                                fields=fields)
    return CheckedSubmission(
        answers=rows, service_id=service_id, source_tag=source,
        profile=clean_profile or None, suggestion=text,
    )


_RESPONSE = RESPONSE_TABLE = SurveyResponse.__table__
_ANSWER = SurveyAnswer.__table__


def _existing(session: Session, campaign_id: int, key: str) -> RecordedResponse | None:
    row = session.execute(
        select(_RESPONSE.c.id, _RESPONSE.c.submitted_at, _RESPONSE.c.suspect).where(
            _RESPONSE.c.campaign_id == campaign_id, _RESPONSE.c.idempotency_key == key
        )
    ).first()
    if row is None:
        return None
    return RecordedResponse(row.id, campaign_id, row.submitted_at, row.suspect, duplicate=True)


def _meta(meta: ResponseMeta | Mapping[str, Any] | None) -> ResponseMeta:
    if meta is None:
        return ResponseMeta()
    if isinstance(meta, ResponseMeta):
        return meta
    return ResponseMeta(**dict(meta))


def response_row(
    campaign_id: int, checked: CheckedSubmission, meta: ResponseMeta,
    suspect_reasons: Sequence[str], channel: str, submitted_at: datetime,
) -> dict[str, Any]:
    """The ``survey_response`` row of a checked submission (every column, for executemany)."""
    suspect = bool(suspect_reasons)
    return {
        "campaign_id": campaign_id, "submitted_at": submitted_at,
        "service_id": checked.service_id, "source_tag": checked.source_tag,
        "channel": channel, "profile": checked.profile, "suggestion": checked.suggestion,
        "ip_hash": meta.ip_hash, "device_hash": meta.device_hash,
        "fill_seconds": meta.fill_seconds, "idempotency_key": meta.idempotency_key,
        "suspect": suspect, "suspect_reasons": list(suspect_reasons) or None,
        "review_decision": None, "reviewed_by": None, "reviewed_at": None,
        "reportable": not suspect,
    }


def answer_rows(response_id: int, row: Mapping[str, Any], checked: CheckedSubmission):
    """The ``survey_answer`` rows of a stored response (``row`` as from response_row)."""
    campaign_id, service_id, reportable = row["campaign_id"], row["service_id"], row["reportable"]
    return [
        {"response_id": response_id, "instrument_code": inst, "item_code": item,
         "value": value, "campaign_id": campaign_id, "service_id": service_id,
         "reportable": reportable}
        for inst, item, value in checked.answers
    ]


def insert_answers(
    connection, rows: Sequence[Mapping[str, Any]], *,
    counts: survey_tallies.Counts | None = None,
) -> None:
    """Store answer rows (a response has 9 to 22 of them) in as few statements as possible,
    and count the reportable ones in the running tallies (same transaction).

    With ``counts``, the changes are gathered there instead, for the caller to write once
    when it has stored all its responses (``Counts.write``).
    """
    insert_rows(connection, _ANSWER, rows)
    if counts is None:
        survey_tallies.add_answers(connection, rows)
    else:
        counts.answers.update(survey_tallies.count_rows(rows))


def insert_responses(
    connection, rows: Sequence[Mapping[str, Any]], *,
    counts: survey_tallies.Counts | None = None,
) -> None:
    """Store ``survey_response`` rows (each with its ``id``) and count them in the
    respondent tallies (same transaction; see insert_answers for ``counts``)."""
    insert_rows(connection, _RESPONSE, rows)
    if counts is None:
        survey_tallies.add_respondents(connection, survey_tallies.count_responses(rows))
    else:
        counts.respondents.update(survey_tallies.count_responses(rows))


INSERT_RESPONSE = insert(_RESPONSE).returning(_RESPONSE.c.id)


def _insert(
    session: Session, campaign: SurveyCampaign, checked: CheckedSubmission, meta: ResponseMeta,
    suspect_reasons: Sequence[str], channel: str, submitted_at: datetime,
    counts: survey_tallies.Counts | None = None,
) -> RecordedResponse:
    """One response with its answers; counted in the tallies now, or in ``counts``."""
    row = response_row(campaign.id, checked, meta, suspect_reasons, channel, submitted_at)
    connection = session.connection()
    response_id = connection.execute(INSERT_RESPONSE, row).scalar_one()
    gathered = counts if counts is not None else survey_tallies.Counts()
    insert_answers(connection, answer_rows(response_id, row, checked), counts=gathered)
    gathered.respondents.update(survey_tallies.count_responses([row]))
    if counts is None:
        gathered.write(connection)
    return RecordedResponse(response_id, campaign.id, submitted_at, row["suspect"])


def _check_meta(meta: ResponseMeta) -> None:
    problems = []
    key = meta.idempotency_key
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 100):
        problems.append("Kunci idempotensi harus teks 1-100 karakter.")
    if meta.fill_seconds is not None and (
        isinstance(meta.fill_seconds, bool) or not isinstance(meta.fill_seconds, int)
        or meta.fill_seconds < 0
    ):
        problems.append("Lama pengisian harus bilangan bulat tidak negatif.")
    if problems:
        raise Invalid("Data teknis pengiriman tidak sah.", problems=problems)


def record_response(
    session: Session, *, campaign: SurveyCampaign,
    answers: Mapping[tuple[str, str], int],
    service_id: int | None = None, source: str | None = None,
    profile: Mapping[str, Any] | None = None, suggestion: str | None = None,
    meta: ResponseMeta | Mapping[str, Any] | None = None,
    suspect_reasons: Sequence[str] = (), channel: str = "web", now: datetime | None = None,
) -> RecordedResponse:
    """Validate and store one response in one transaction (Core inserts, answers executemany).

    ``answers`` maps ``(instrument code, item code)`` to the value. A response with
    ``suspect_reasons`` is stored but not reportable until a coordinator includes it. With
    ``meta.idempotency_key`` a repeated submission returns the first one (``duplicate=True``)
    and stores nothing, also under concurrent retries (unique constraint); the same key with
    other content is a Conflict. Raises CampaignClosed, SubmissionInvalid, Conflict or Invalid
    with nothing stored.
    """
    meta = _meta(meta)
    _check_meta(meta)
    ensure_accepting(campaign, now)
    checked = check_submission(
        session, campaign=campaign, answers=answers, service_id=service_id, source=source,
        profile=profile, suggestion=suggestion,
    )
    if meta.idempotency_key is not None:
        found = _existing(session, campaign.id, meta.idempotency_key)
        if found is not None:
            _ensure_same({meta.idempotency_key: checked}, {meta.idempotency_key: found},
                         session)
            session.rollback()
            return found
    try:
        recorded = _insert(
            session, campaign, checked, meta, suspect_reasons, channel, now or _now()
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        if meta.idempotency_key is not None:
            found = _existing(session, campaign.id, meta.idempotency_key)
            if found is not None:
                _ensure_same({meta.idempotency_key: checked},
                             {meta.idempotency_key: found}, session)
                return found
        raise
    return recorded


def _content(answers, service_id, source_tag, profile, suggestion) -> tuple:
    """What a response says, comparable between a retry and the stored first attempt."""
    return (tuple(sorted(answers)), service_id, source_tag,
            tuple(sorted((profile or {}).items())), suggestion)


def _ensure_same(
    sent: Mapping[str, CheckedSubmission], stored: Mapping[str, RecordedResponse],
    session: Session,
) -> None:
    """A repeated idempotency key must carry the same response: a retry, not another one.

    Conflict (409, nothing stored) names the keys whose content differs from what is stored.
    """
    keys = [key for key in sent if key in stored]
    if not keys:
        return
    ids = {stored[key].id: key for key in keys}
    answers: dict[int, list[tuple[str, str, int]]] = {i: [] for i in ids}
    for row in session.execute(
        select(_ANSWER.c.response_id, _ANSWER.c.instrument_code, _ANSWER.c.item_code,
               _ANSWER.c.value).where(_ANSWER.c.response_id.in_(list(ids)))
    ):
        answers[row.response_id].append((row.instrument_code, row.item_code, row.value))
    different = []
    for row in session.execute(
        select(_RESPONSE.c.id, _RESPONSE.c.service_id, _RESPONSE.c.source_tag,
               _RESPONSE.c.profile, _RESPONSE.c.suggestion).where(_RESPONSE.c.id.in_(list(ids)))
    ):
        key = ids[row.id]
        new = sent[key]
        if _content(answers[row.id], row.service_id, row.source_tag, row.profile,
                    row.suggestion) != _content(new.answers, new.service_id, new.source_tag,
                                                new.profile, new.suggestion):
            different.append(key)
    if different:
        session.rollback()
        shown = ", ".join(sorted(different)[:5])
        raise Conflict(
            f"Kunci idempotensi sudah dipakai untuk jawaban yang berbeda: {shown}. "
            "Kirim ulang hanya jawaban yang sama; jawaban baru memerlukan kunci baru. "
            "Tidak ada yang disimpan."
        )


@dataclass(frozen=True)
class BatchItem:
    """One response of an API batch."""

    answers: Mapping[tuple[str, str], int]
    idempotency_key: str
    service_id: int | None = None
    source: str | None = None
    profile: Mapping[str, Any] | None = None
    suggestion: str | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class BatchResult:
    results: tuple[RecordedResponse, ...]

    @property
    def created(self) -> int:
        return sum(1 for r in self.results if not r.duplicate)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.results if r.duplicate)


MAX_BATCH = 500


def record_batch(
    session: Session, *, actor: Principal | None, campaign: SurveyCampaign,
    items: Sequence[BatchItem], channel: str = "api", now: datetime | None = None,
) -> BatchResult:
    """Store a batch all-or-nothing; each item's idempotency key makes retries harmless.

    Every item is validated first (SubmissionInvalid names the item index). Items whose key
    is already stored come back as duplicates; a concurrent retry that wins the race is
    detected through the unique constraint and the batch is re-resolved once.
    """
    _forbid(actor, "surveys.write", campaign.unit_id)
    ensure_accepting(campaign, now)
    if not items:
        raise Invalid("Kumpulan jawaban kosong.")
    if len(items) > MAX_BATCH:
        raise Invalid(f"Paling banyak {MAX_BATCH} jawaban per kiriman.")
    keys = [item.idempotency_key for item in items]
    problems_by_item: dict[str, str] = {}
    for n, key in enumerate(keys):
        if not isinstance(key, str) or not 1 <= len(key) <= 100:
            problems_by_item[f"items[{n}].idempotency_key"] = "Wajib, teks 1-100 karakter."
    if len(set(keys)) != len(keys):
        problems_by_item["items"] = "Kunci idempotensi dalam satu kiriman harus unik."
    instruments = instruments_of(session, campaign)
    checked: list[CheckedSubmission | None] = []
    for n, item in enumerate(items):
        try:
            checked.append(check_submission(
                session, campaign=campaign, answers=item.answers, service_id=item.service_id,
                source=item.source, profile=item.profile, suggestion=item.suggestion,
                instruments=instruments,
            ))
        except SubmissionInvalid as exc:
            checked.append(None)
            for name, message in exc.fields.items():
                problems_by_item[f"items[{n}].{name}"] = message
    if problems_by_item:
        raise SubmissionInvalid(
            "Kiriman ditolak; tidak ada jawaban yang disimpan.", fields=problems_by_item
        )
    stamp = now or _now()
    for attempt in range(2):
        existing = _existing_many(session, campaign.id, keys)
        _ensure_same(
            {item.idempotency_key: check for item, check in zip(items, checked, strict=True)},
            existing, session,
        )
        try:
            results: list[RecordedResponse] = []
            counts = survey_tallies.Counts()
            for item, check in zip(items, checked, strict=True):
                if item.idempotency_key in existing:
                    results.append(existing[item.idempotency_key])
                    continue
                results.append(_insert(
                    session, campaign, check,
                    ResponseMeta(idempotency_key=item.idempotency_key), (), channel,
                    item.submitted_at or stamp, counts,
                ))
            counts.write(session.connection())
            created = [r.id for r in results if not r.duplicate]
            if created:
                audit.record(
                    session, actor=actor, action="submit_batch", entity="survey_campaign",
                    entity_id=campaign.id, unit_id=campaign.unit_id,
                    after={"created": len(created), "duplicates": len(results) - len(created)},
                )
            session.commit()
            return BatchResult(tuple(results))
        except IntegrityError:
            session.rollback()
            if attempt == 1:
                raise Conflict("Kiriman bersamaan dengan kunci yang sama; coba lagi.") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _existing_many(
    session: Session, campaign_id: int, keys: Sequence[str]
) -> dict[str, RecordedResponse]:
    rows = session.execute(
        select(_RESPONSE.c.id, _RESPONSE.c.submitted_at, _RESPONSE.c.suspect,
               _RESPONSE.c.idempotency_key).where(
            _RESPONSE.c.campaign_id == campaign_id, _RESPONSE.c.idempotency_key.in_(keys)
        )
    ).all()
    return {
        r.idempotency_key: RecordedResponse(r.id, campaign_id, r.submitted_at, r.suspect, True)
        for r in rows
    }


# --------------------------------------------------------------------------- review, listing


def response_for(
    session: Session, *, actor: Principal | None, response_id: int, permission: str = "unit.read"
) -> tuple[SurveyResponse, SurveyCampaign]:
    """One response and its campaign; Forbidden when the actor lacks the permission there."""
    response = session.get(SurveyResponse, response_id)
    if response is None:
        raise NotFound(f"Jawaban {response_id} tidak ditemukan.")
    campaign = campaign_for(
        session, actor=actor, campaign_id=response.campaign_id, permission=permission
    )
    return response, campaign


def review_response(
    session: Session, *, actor: Principal | None, response_id: int, decision: str
) -> SurveyResponse:
    """Include or exclude a response in the indices (suspect ones start excluded); audited."""
    response, campaign = response_for(
        session, actor=actor, response_id=response_id, permission="surveys.manage"
    )
    try:
        decision = ReviewDecision(decision).value
    except ValueError:
        raise Invalid("Keputusan reviu harus 'include' atau 'exclude'.") from None
    before = audit.snapshot(response, exclude={"ip_hash", "device_hash"})
    was_reportable = response.reportable
    was_state = survey_tallies.response_state(
        response.reportable, response.suspect, response.review_decision
    )
    response.review_decision = decision
    response.reviewed_by = actor.user_id if actor else None
    response.reviewed_at = _now()
    response.reportable = decision == ReviewDecision.include
    session.add(response)
    session.flush()
    if response.reportable != was_reportable:
        session.execute(
            update(_ANSWER).where(_ANSWER.c.response_id == response.id)
            .values(reportable=response.reportable)
        )
        # Its answers join or leave the indices: +1 or -1 on each (campaign, service,
        # item, value) they count in.
        sign = 1 if response.reportable else -1
        service = NO_SERVICE if response.service_id is None else response.service_id
        changes = Counter(
            (response.campaign_id, service, inst, item, value)
            for inst, item, value in session.execute(
                select(_ANSWER.c.instrument_code, _ANSWER.c.item_code, _ANSWER.c.value)
                .where(_ANSWER.c.response_id == response.id)
            )
        )
        survey_tallies.add(session.connection(), {k: sign * n for k, n in changes.items()})
    state = survey_tallies.response_state(
        response.reportable, response.suspect, response.review_decision
    )
    if state != was_state:  # it moves from one respondent count to another
        moved: Counter = Counter()
        for old_key in survey_tallies.response_keys(
            response.campaign_id, response.service_id, was_state, response.profile
        ):
            moved[old_key] -= 1
            moved[old_key[:2] + (state,) + old_key[3:]] += 1
        survey_tallies.add_respondents(session.connection(), moved)
    audit.record(
        session, actor=actor, action=f"review:{decision}", entity="survey_response",
        entity_id=response.id, unit_id=campaign.unit_id, before=before,
        after=audit.snapshot(response, exclude={"ip_hash", "device_hash"}),
    )
    session.commit()
    return response


@dataclass
class ResponsePage:
    responses: list[SurveyResponse]
    answers: dict[int, dict[tuple[str, str], int]]
    total: int
    page: int
    per_page: int


def list_responses(
    session: Session, *, campaign_id: int, service_id: int | None = None,
    source: str | None = None, suspect: bool | None = None, page: int = 1,
    per_page: int | None = 50,
) -> ResponsePage:
    """A campaign's responses, newest first, with filters; per_page None = all (exports)."""
    query = select(SurveyResponse).where(SurveyResponse.campaign_id == campaign_id)
    if service_id is not None:
        query = query.where(SurveyResponse.service_id == service_id)
    if source is not None:
        query = query.where(SurveyResponse.source_tag == source)
    if suspect is not None:
        query = query.where(SurveyResponse.suspect == suspect)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = min(max(page, 1), 1_000_000)  # past the last page: empty, whatever the number
    ordered = query.order_by(col(SurveyResponse.id).desc())
    if per_page is not None:
        ordered = ordered.offset((page - 1) * per_page).limit(per_page)
    rows = list(session.exec(ordered).all())
    answers = answers_of(session, response_ids=[r.id for r in rows])
    return ResponsePage(rows, answers, total, page, per_page or total)


def answers_of(
    session: Session, *, response_ids: Sequence[int]
) -> dict[int, dict[tuple[str, str], int]]:
    """response id -> {(instrument, item): value}, read in chunks of 500 ids."""
    answers: dict[int, dict[tuple[str, str], int]] = {rid: {} for rid in response_ids}
    ids = list(response_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for a in session.execute(
            select(_ANSWER.c.response_id, _ANSWER.c.instrument_code, _ANSWER.c.item_code,
                   _ANSWER.c.value).where(_ANSWER.c.response_id.in_(chunk))
        ):
            answers[a.response_id][(a.instrument_code, a.item_code)] = a.value
    return answers
