"""Survey campaigns: periods, the public code, state (open/closed/...) and whether one accepts
responses now, plus the stored instruments a campaign uses.

``campaign_for`` loads a campaign addressed by id and checks the actor's permission at its unit
(``Forbidden`` otherwise).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from app.domain.surveys.instruments import Instrument
from app.domain.timestamps import rfc3339_utc
from app.models.surveys.records import (
    CampaignStatus,
    PeriodKind,
    SurveyCampaign,
    SurveyInstrument,
    SurveyRespondentTally,
    SurveyResponse,
)
from app.models.units import Unit
from app.security.principal import Principal, missing
from app.services import audit
from app.services.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
)
from app.services.season import notify as season_notify
from app.services.surveys import instruments as survey_instruments
from app.services.webhooks import events as webhook_events

if TYPE_CHECKING:
    from app.services.surveys.inputs import CampaignIn


class CampaignClosed(ServiceError):
    """The campaign does not take responses now (draft, not open yet, closed, past its dates)."""

    status_code = 409


def utc_now() -> datetime:
    return datetime.now(UTC)


def forbid(actor: Principal | None, permission: str, unit_id: int) -> None:
    """Forbidden unless the actor holds the permission at the unit.

    ``actor=None`` is the system itself (demo data, the CLI, joins between domains): the
    faces always pass the signed-in principal.
    """
    if actor is not None and not actor.can(permission, unit_id):
        name, message = missing(actor, permission, unit_id)
        raise Forbidden(message, permission=name)


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
    period_label: str | None  # blank: the period the opening date falls in
    opens_on: date
    closes_on: date
    population: int


def _as_input(data: CampaignInput | CampaignIn) -> CampaignInput:
    """The service's value, from the shared input model (``inputs.CampaignIn``, what the API
    and the pages give) or as given (demo data, scripts and tests)."""
    return data if isinstance(data, CampaignInput) else data.data()


def period_of(kind: str, day: date) -> str:
    """The label of the period of ``kind`` that holds ``day`` (2026-12-10, semester ->
    "2026-S2")."""
    if kind == PeriodKind.quarter:
        return period_label(kind, day.year, (day.month - 1) // 3 + 1)
    if kind == PeriodKind.semester:
        return period_label(kind, day.year, (day.month - 1) // 6 + 1)
    return period_label(kind, day.year)


def period_bounds(label: str) -> tuple[date, date]:
    """First and last day of a well-formed period label ("2019-S1" -> 2019-01-01, 2019-06-30)."""
    year, first_month, months = period_sort_key(label)
    last_month = first_month + months - 1
    last_day = (date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1))
    return date(year, first_month, 1), date.fromordinal(last_day.toordinal() - 1)


def _fmt(day: date) -> str:
    return day.isoformat()


def _campaign_problems(
    session: Session, data: CampaignInput
) -> tuple[list[FieldProblem], list[int], int, str]:
    """Every problem of a campaign's input at once, and what it resolves to: the instrument
    ids, the period's year and its label (derived from the opening date when left blank).

    The period and the dates must agree: the campaign is open for at least one day of its
    period (a 2031-S2 campaign open in December 2026 is refused, not stored as 2031)."""
    errors: list[FieldProblem] = []
    title = (data.title or "").strip()
    if not title:
        errors.append(FieldProblem("title", "missing", "Judul survei wajib diisi."))
    elif len(title) > 200:
        errors.append(FieldProblem("title", "too_long",
                                   "Judul survei paling banyak 200 karakter."))
    codes = [c.strip() for c in data.instrument_codes if c and c.strip()]
    instrument_ids: list[int] = []
    if not codes:
        errors.append(FieldProblem("instruments", "missing",
                                   "Pilih sedikitnya satu instrumen (IKM, SPKP atau SPAK)."))
    kinds_seen: set[str] = set()
    for index, code in enumerate(dict.fromkeys(codes)):
        try:
            row = survey_instruments.latest_by_code(session, code=code)
        except NotFound as exc:
            errors.append(FieldProblem(f"instruments.{index}", "unknown", exc.message))
            continue
        if row.kind in kinds_seen:
            errors.append(FieldProblem(
                f"instruments.{index}", "duplicate_kind",
                f"Satu survei hanya memuat satu instrumen jenis {row.kind.upper()}."))
            continue
        kinds_seen.add(row.kind)
        instrument_ids.append(row.id)
    dates_ok = isinstance(data.opens_on, date) and isinstance(data.closes_on, date)
    if not dates_ok:
        errors.append(FieldProblem("opens_on", "missing",
                                   "Tanggal buka dan tanggal tutup wajib diisi."))
    elif data.closes_on < data.opens_on:
        errors.append(FieldProblem("closes_on", "before_opens_on",
                                   "Tanggal tutup tidak boleh sebelum tanggal buka."))
        dates_ok = False
    year = 0
    try:
        kind = PeriodKind(data.period_kind)
    except ValueError:
        errors.append(FieldProblem("period_kind", "unknown",
                                   "Jenis periode harus triwulan, semester atau tahun."))
        kind = None
    label = (data.period_label or "").strip().upper()
    if kind is not None and not label and dates_ok:
        label = period_of(kind, data.opens_on)  # derived: the period the survey opens in
    if kind is not None:
        match = PERIOD_PATTERNS[kind].match(label)
        if not label:
            errors.append(FieldProblem(
                "period_label", "missing",
                f"Label periode wajib diisi bila tanggal tidak lengkap; contoh: "
                f"{PERIOD_HINTS[kind]}."))
        elif not match:
            errors.append(FieldProblem(
                "period_label", "invalid_format",
                f"Label periode '{label}' tidak sesuai; contoh: {PERIOD_HINTS[kind]}."))
        else:
            year = int(match.group(1))
            if not 2000 <= year <= 2100:
                errors.append(FieldProblem("period_label", "out_of_range",
                                           "Tahun periode tidak masuk akal."))
            elif dates_ok:
                first, last = period_bounds(label)
                if data.closes_on < first or data.opens_on > last:
                    errors.append(FieldProblem(
                        "period_label", "period_dates_mismatch",
                        f"Periode {label} ({_fmt(first)} s.d. {_fmt(last)}) tidak sesuai "
                        f"dengan tanggal survei ({_fmt(data.opens_on)} s.d. "
                        f"{_fmt(data.closes_on)}): survei harus dibuka sedikitnya satu hari "
                        f"dalam periodenya. Menurut tanggal buka, periodenya "
                        f"{period_of(kind, data.opens_on)}; kosongkan label agar diisi "
                        "otomatis."))
    if isinstance(data.population, bool) or not isinstance(data.population, int) \
            or data.population < 1:
        errors.append(FieldProblem("population", "out_of_range",
                                   "Perkiraan populasi pengguna layanan minimal 1."))
    elif data.population > 100_000_000:
        errors.append(FieldProblem("population", "out_of_range",
                                   "Perkiraan populasi tidak masuk akal."))
    return errors, instrument_ids, year, label


def campaign_for(
    session: Session, *, actor: Principal | None, campaign_id: int, permission: str = "unit.read",
    unit_id: int | None = None,
) -> SurveyCampaign:
    """One live campaign; NotFound, or Forbidden when the actor lacks the permission there.

    With ``unit_id`` (a page addressed through a unit), a campaign of another unit does not
    exist there: NotFound before any permission check, in the same words.
    """
    campaign = session.get(SurveyCampaign, campaign_id)
    if campaign is None or campaign.deleted_at is not None or (
        unit_id is not None and campaign.unit_id != unit_id
    ):
        raise NotFound(f"Survei {campaign_id} tidak ditemukan.")
    forbid(actor, permission, campaign.unit_id)
    return campaign


def list_campaigns(
    session: Session, *, unit_id: int, year: int | None = None, actor: Principal | None = None
) -> list[SurveyCampaign]:
    """A unit's live campaigns, newest period first."""
    forbid(actor, "unit.read", unit_id)
    query = select(SurveyCampaign).where(
        SurveyCampaign.unit_id == unit_id, col(SurveyCampaign.deleted_at).is_(None)
    )
    if year is not None:
        query = query.where(SurveyCampaign.year == year)
    rows = list(session.exec(query).all())
    rows.sort(key=lambda c: (period_sort_key(c.period_label), c.opens_on, c.id), reverse=True)
    return rows


def create_campaign(
    session: Session, *, actor: Principal | None, unit_id: int,
    data: CampaignInput | CampaignIn,
    status: str = CampaignStatus.open, is_demo: bool = False,
) -> SurveyCampaign:
    """Create a campaign with a fresh public code; it opens on its dates unless left a draft."""
    forbid(actor, "surveys.write", unit_id)
    unit = session.get(Unit, unit_id)
    if unit is None or unit.deleted_at is not None:
        raise NotFound(f"Unit {unit_id} tidak ditemukan.")
    data = _as_input(data)
    errors, instrument_ids, year, label = _campaign_problems(session, data)
    if status not in (CampaignStatus.draft, CampaignStatus.open):
        errors.append(FieldProblem("status", "invalid", "Survei baru berstatus draf atau dibuka."))
    if errors:
        raise Invalid("Survei tidak dapat disimpan.", errors=errors)
    code = new_public_code()
    while session.exec(
        select(SurveyCampaign.id).where(SurveyCampaign.public_code == code)
    ).first() is not None:  # pragma: no cover - 1 in 10^11
        code = new_public_code()
    campaign = SurveyCampaign(
        unit_id=unit_id, title=data.title.strip(), instrument_ids=instrument_ids,
        period_kind=data.period_kind, period_label=label, year=year,
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


def response_counts(session: Session, *, campaign_ids: Sequence[int]) -> dict[int, int]:
    """``response_count`` of several campaigns in one query, from the running respondent
    counts (every stored response is counted there once, in its state)."""
    if not campaign_ids:
        return {}
    t = SurveyRespondentTally
    counts = dict.fromkeys(campaign_ids, 0)
    for campaign_id, n in session.exec(
        select(t.campaign_id, func.sum(t.respondents))
        .where(col(t.campaign_id).in_(list(campaign_ids)), t.profile_field == "")
        .group_by(t.campaign_id)
    ).all():
        counts[campaign_id] = int(n or 0)
    return counts


def update_campaign(
    session: Session, *, actor: Principal | None, campaign_id: int,
    data: CampaignInput | CampaignIn,
) -> SurveyCampaign:
    """Change a campaign; its instruments are fixed once it has responses."""
    campaign = campaign_for(
        session, actor=actor, campaign_id=campaign_id, permission="surveys.write"
    )
    before = audit.snapshot(campaign)
    data = _as_input(data)
    errors, instrument_ids, year, label = _campaign_problems(session, data)
    if (
        not errors
        and instrument_ids != list(campaign.instrument_ids or [])
        and response_count(session, campaign_id=campaign.id)
    ):
        errors.append(FieldProblem(
            "instruments", "locked",
            "Instrumen tidak dapat diubah karena survei sudah memiliki jawaban."))
    if errors:
        raise Invalid("Survei tidak dapat disimpan.", errors=errors)
    campaign.title = data.title.strip()
    campaign.instrument_ids = instrument_ids
    campaign.period_kind = data.period_kind
    campaign.period_label = label
    campaign.year = year
    campaign.opens_on, campaign.closes_on = data.opens_on, data.closes_on
    campaign.population = data.population
    campaign.updated_at = utc_now()
    audit.save(
        session, campaign, actor=actor, action="update", entity="survey_campaign",
        before=before,
    )
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
    closing = status == CampaignStatus.closed and campaign.status != CampaignStatus.closed
    campaign.status = status
    campaign.closed_at = utc_now() if status == CampaignStatus.closed else None
    campaign.updated_at = utc_now()
    session.add(campaign)
    audit.record(
        session, actor=actor, action=f"status:{status}", entity="survey_campaign",
        entity_id=campaign.id, unit_id=campaign.unit_id, before=before,
        after=audit.snapshot(campaign),
    )
    if closing:
        webhook_events.emit(
            session, event_type=webhook_events.CAMPAIGN_CLOSED, unit_id=campaign.unit_id,
            data={"campaign_id": campaign.id, "title": campaign.title,
                  "period_label": campaign.period_label,
                  "opens_on": campaign.opens_on.isoformat(),
                  "closes_on": campaign.closes_on.isoformat(),
                  "closed_at": rfc3339_utc(campaign.closed_at)},
        )
        season_notify.campaign_closed(
            session, campaign=campaign, count=response_count(session, campaign_id=campaign.id))
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
        session, actor=actor, campaign_id=campaign_id, permission="surveys.delete"
    )
    before = audit.snapshot(campaign)
    campaign.deleted_at = utc_now()
    audit.save(
        session, campaign, actor=actor, action="delete", entity="survey_campaign",
        before=before,
    )


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
    return (now or utc_now()).astimezone(ZoneInfo(campaign.timezone)).date()


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
