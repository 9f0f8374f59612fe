"""Survey kiosks: register a tablet for one campaign, pair it once, take its batches.

A coordinator (``surveys.manage``) registers a kiosk for a campaign, optionally with a
service type and a source tag; the answer is a one-time pairing link (its secret shown
once, only its SHA-256 kept). The tablet opens the link and confirms: the link is spent and
the tablet receives the kiosk credential, a bearer that may only post that campaign's
answers to the batch endpoint (also kept as its SHA-256). The coordinator sees each kiosk's
last sync and the queue the device reported, and revokes it at once.

A kiosk's batch is judged by the kiosk rules of ``app.domain.surveys.guard`` (no address,
device cookie or single-use form token rules): each answer's given time against the
campaign's open span and the grace period after it closed, fill time, answers per minute a
counter can serve, a key twice in one batch. Refused answers store nothing and are counted
on the kiosk with their reason; the rest go through ``responses.record_batch``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.db import get_row
from app.domain.surveys.guard import (
    KIOSK_REFUSAL_LABELS,
    KioskItem,
    KioskPolicy,
    KioskRefusal,
    kiosk_late_reason,
    kiosk_verdicts,
)
from app.domain.text import clean_text
from app.models.base import utcnow
from app.models.surveys.kiosks import SurveyKiosk
from app.models.surveys.records import CampaignStatus, SurveyCampaign, SurveyResponse
from app.security.passwords import sha256_hex
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Conflict, FieldProblem, Invalid, NotFound
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import responses as survey_responses

__all__ = [
    "KIOSK_TOKEN_PREFIX",
    "IssuedPairing",
    "KioskBatchResult",
    "PairedKiosk",
    "Refused",
    "authenticate",
    "create",
    "form_of",
    "list_for_campaign",
    "pair",
    "pairing_state",
    "revoke",
    "submit_batch",
]

MANAGE = "surveys.manage"
#: Kiosk credentials start with this (API tokens with ``zona_``): deps picks the lookup.
KIOSK_TOKEN_PREFIX = "zk_"


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=utcnow().tzinfo)
    return value


@dataclass(frozen=True)
class IssuedPairing:
    kiosk: SurveyKiosk
    secret: str  # the pairing link's secret: shown once, never stored


def create(
    session: Session, *, actor: Principal | None, campaign_id: int, name: str,
    service_id: int | None = None, source_tag: str | None = None,
    expires_in_days: int | None = None, pairing_hours: int = 24,
) -> IssuedPairing:
    """Register a kiosk for one campaign; returns its one-time pairing secret."""
    campaign = survey_campaigns.campaign_for(
        session, actor=actor, campaign_id=campaign_id, permission=MANAGE
    )
    name = clean_text(name or "").strip()
    errors: list[FieldProblem] = []
    if not name:
        errors.append(FieldProblem("name", "missing", "Nama kiosk wajib diisi."))
    elif len(name) > 120:
        errors.append(FieldProblem("name", "too_long", "Nama kiosk paling banyak 120 karakter."))
    if service_id is not None and service_id not in {
        s.id for s in survey_catalogue.active_services(session, unit_id=campaign.unit_id)
    }:
        errors.append(FieldProblem("service_id", "unknown", "Jenis layanan tidak dikenal."))
    if source_tag and survey_catalogue.source_by_tag(
        session, campaign_id=campaign.id, tag=source_tag[:40]
    ) is None:
        errors.append(FieldProblem("source_tag", "unknown",
                                   "Sumber (loket) tidak ada pada survei ini."))
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        errors.append(FieldProblem("expires_in_days", "out_of_range",
                                   "Masa berlaku 1-3650 hari."))
    if errors:
        raise Invalid("Kiosk tidak dapat didaftarkan.", errors=errors)
    secret = secrets.token_urlsafe(24)
    now = utcnow()
    kiosk = SurveyKiosk(
        unit_id=campaign.unit_id, campaign_id=campaign.id, name=name,
        service_id=service_id, source_tag=source_tag or None,
        pairing_hash=sha256_hex(secret),
        pairing_expires_at=now + timedelta(hours=pairing_hours),
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        created_by=actor.user_id if actor else None,
    )
    session.add(kiosk)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="survey_kiosk", entity_id=kiosk.id,
        unit_id=kiosk.unit_id, after=audit.snapshot(kiosk, exclude={"pairing_hash"}),
    )
    session.commit()
    return IssuedPairing(kiosk=kiosk, secret=secret)


def _by_pairing(session: Session, secret: str) -> SurveyKiosk | None:
    if not secret or len(secret) > 100:
        return None
    return session.exec(
        select(SurveyKiosk).where(SurveyKiosk.pairing_hash == sha256_hex(secret))
    ).first()


def pairing_state(session: Session, *, secret: str) -> tuple[str, SurveyKiosk | None]:
    """``ready``, ``used``, ``expired``, ``revoked`` or ``unknown`` (the link, before use)."""
    kiosk = _by_pairing(session, secret)
    if kiosk is None:
        return "unknown", None
    if kiosk.revoked_at is not None:
        return "revoked", kiosk
    if kiosk.paired_at is not None:
        return "used", kiosk
    if _aware(kiosk.pairing_expires_at) <= utcnow():
        return "expired", kiosk
    return "ready", kiosk


@dataclass(frozen=True)
class PairedKiosk:
    kiosk: SurveyKiosk
    campaign: SurveyCampaign
    token: str  # the kiosk credential: handed to the device once, never stored


PAIRING_REFUSALS = {
    "unknown": "Tautan pemasangan kiosk tidak dikenal.",
    "used": "Tautan pemasangan ini sudah dipakai. Minta koordinator membuat tautan baru.",
    "expired": "Tautan pemasangan ini sudah kedaluwarsa. Minta koordinator membuat tautan baru.",
    "revoked": "Kiosk ini sudah dicabut oleh koordinator.",
}


def pair(session: Session, *, secret: str) -> PairedKiosk:
    """Spend the pairing link once and issue the kiosk credential.

    The link is marked used by one conditional UPDATE, so two tablets opening it at the same
    moment cannot both get a credential: the second is refused (Conflict), as is any later use.
    """
    state, kiosk = pairing_state(session, secret=secret)
    if state == "unknown" or kiosk is None:
        raise NotFound(PAIRING_REFUSALS["unknown"])
    if state != "ready":
        raise Conflict(PAIRING_REFUSALS[state])
    token = KIOSK_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    table = SurveyKiosk.__table__
    spent = session.execute(
        update(table)
        .where(table.c.id == kiosk.id, table.c.paired_at.is_(None),
               table.c.revoked_at.is_(None))
        .values(paired_at=now, token_hash=sha256_hex(token), token_prefix=token[:12])
    ).rowcount
    if spent != 1:
        session.rollback()
        raise Conflict(PAIRING_REFUSALS["used"])
    audit.record(
        session, actor=None, action="pair", entity="survey_kiosk", entity_id=kiosk.id,
        unit_id=kiosk.unit_id, after={"paired_at": now.isoformat(), "token_prefix": token[:12]},
    )
    session.commit()
    session.refresh(kiosk)
    campaign = session.get(SurveyCampaign, kiosk.campaign_id)
    return PairedKiosk(kiosk=kiosk, campaign=campaign, token=token)


def _live(kiosk: SurveyKiosk | None, now: datetime) -> bool:
    return (
        kiosk is not None and kiosk.revoked_at is None and kiosk.token_hash is not None
        and (kiosk.expires_at is None or _aware(kiosk.expires_at) > now)
    )


def authenticate(session: Session, *, secret: str) -> Principal | None:
    """The kiosk behind a credential, or None when unknown, revoked or expired."""
    kiosk = session.exec(
        select(SurveyKiosk).where(SurveyKiosk.token_hash == sha256_hex(secret))
    ).first()
    if not _live(kiosk, utcnow()):
        return None
    return Principal(
        kind="kiosk", id=kiosk.id, label=f"kiosk:{kiosk.name}",
        grants={kiosk.unit_id: frozenset({"surveys.kiosk"})}, campaign_id=kiosk.campaign_id,
    )


def list_for_campaign(
    session: Session, *, actor: Principal | None, campaign_id: int
) -> list[SurveyKiosk]:
    """A campaign's kiosks, newest first (its survey managers only)."""
    campaign = survey_campaigns.campaign_for(
        session, actor=actor, campaign_id=campaign_id, permission=MANAGE
    )
    return list(session.exec(
        select(SurveyKiosk).where(SurveyKiosk.campaign_id == campaign.id)
        .order_by(col(SurveyKiosk.id).desc())
    ).all())


def get(session: Session, *, actor: Principal | None, kiosk_id: int,
        campaign_id: int | None = None) -> SurveyKiosk:
    """One kiosk, for a survey manager of its unit (with ``campaign_id``: of that campaign)."""
    kiosk = get_row(session, SurveyKiosk, kiosk_id)
    if kiosk is None or (campaign_id is not None and kiosk.campaign_id != campaign_id):
        raise NotFound(f"Kiosk {kiosk_id} tidak ditemukan.")
    survey_campaigns.forbid(actor, MANAGE, kiosk.unit_id)
    return kiosk


def revoke(session: Session, *, actor: Principal | None, kiosk_id: int,
           campaign_id: int | None = None) -> SurveyKiosk:
    """Revoke a kiosk at once (idempotent): its credential and unused link stop working."""
    kiosk = get(session, actor=actor, kiosk_id=kiosk_id, campaign_id=campaign_id)
    if kiosk.revoked_at is None:
        before = audit.snapshot(kiosk, exclude={"pairing_hash", "token_hash"})
        kiosk.revoked_at = utcnow()
        audit.record(
            session, actor=actor, action="revoke", entity="survey_kiosk", entity_id=kiosk.id,
            unit_id=kiosk.unit_id, before=before,
            after=audit.snapshot(kiosk, exclude={"pairing_hash", "token_hash"}),
        )
        session.commit()
    return kiosk


def form_of(session: Session, *, kiosk_id: int) -> tuple[SurveyKiosk, SurveyCampaign]:
    """The kiosk and its campaign, for the kiosk's public form (NotFound when unknown)."""
    kiosk = get_row(session, SurveyKiosk, kiosk_id)
    campaign = session.get(SurveyCampaign, kiosk.campaign_id) if kiosk else None
    if kiosk is None or campaign is None or campaign.deleted_at is not None:
        raise NotFound("Kiosk tidak ditemukan.")
    return kiosk, campaign


# --- the kiosk's batches ------------------------------------------------------------------


def open_span(campaign: SurveyCampaign) -> tuple[datetime, datetime | None]:
    """When the campaign started and stopped taking answers: from the start of its opening
    day (unit time zone) to the end of its closing day, or its close if earlier (None: it
    has not stopped yet)."""
    zone = ZoneInfo(campaign.timezone)
    start = datetime.combine(campaign.opens_on, time(0), zone)
    end = datetime.combine(campaign.closes_on + timedelta(days=1), time(0), zone)
    if campaign.status == CampaignStatus.closed or campaign.deleted_at is not None:
        closed = _aware(campaign.closed_at or campaign.updated_at)
        end = min(end, closed) if closed else end
    elif end > utcnow():
        return start, None
    return start, end


@dataclass(frozen=True)
class Refused:
    idempotency_key: str
    reason: str  # KioskRefusal value
    message: str


@dataclass(frozen=True)
class KioskBatchResult(survey_responses.BatchResult):
    """A batch's answers as for any client, plus those the kiosk rules refused for good."""

    refused: tuple[Refused, ...] = ()


def submit_batch(
    session: Session, *, actor: Principal, campaign_id: int,
    items: list[survey_responses.BatchItem], policy: KioskPolicy,
    queue_size: int | None = None, now: datetime | None = None,
) -> KioskBatchResult:
    """Judge and store a kiosk's batch; count its refusals and its sync on the kiosk.

    Answers without a given time are taken as given now. Refused answers are not stored
    and are reported back (the device drops them: they can never be taken); the rest are
    stored all-or-nothing by ``record_batch`` under the kiosk's service and source.
    """
    if actor.kind != "kiosk":
        raise Invalid("Hanya kiosk yang mengirim lewat jalur ini.")
    kiosk = get_row(session, SurveyKiosk, actor.id)
    now = now or utcnow()
    if not _live(kiosk, now) or kiosk.campaign_id != campaign_id:
        raise NotFound(f"Survei {campaign_id} tidak ditemukan.")
    campaign = session.get(SurveyCampaign, kiosk.campaign_id)
    if campaign is None or campaign.status == CampaignStatus.draft:
        raise survey_campaigns.CampaignClosed(survey_campaigns.STATE_MESSAGES["draft"])
    start, until = open_span(campaign)
    given = [_aware(i.submitted_at) or now for i in items]
    refused: dict[int, KioskRefusal] = {}
    for n, at in enumerate(given):
        late = kiosk_late_reason(at, open_from=start, open_until=until, now=now, policy=policy)
        if late is not None:
            refused[n] = late
    candidates = [n for n in range(len(items)) if n not in refused]
    if candidates:
        low = min(given[n] for n in candidates) - timedelta(minutes=1)
        high = max(given[n] for n in candidates)
        keys = [items[n].idempotency_key for n in candidates]
        stored = [
            _aware(t) for t in session.exec(
                select(SurveyResponse.submitted_at).where(
                    SurveyResponse.kiosk_id == kiosk.id,
                    SurveyResponse.submitted_at > low, SurveyResponse.submitted_at <= high,
                    col(SurveyResponse.idempotency_key).not_in(keys),
                )
            ).all()
        ]
    else:
        stored = []
    verdicts = kiosk_verdicts(
        [KioskItem(items[n].idempotency_key, given[n], items[n].fill_seconds)
         for n in candidates], stored=stored, policy=policy,
    )
    accepted: list[survey_responses.BatchItem] = []
    problems: dict[int, str] = {}
    instruments = survey_campaigns.instruments_of(session, campaign)
    for n, verdict in zip(candidates, verdicts, strict=True):
        if verdict.refused is not None:
            refused[n] = verdict.refused
            continue
        item = items[n]
        one = survey_responses.BatchItem(
            answers=item.answers, idempotency_key=item.idempotency_key,
            service_id=kiosk.service_id if kiosk.service_id is not None else item.service_id,
            source=kiosk.source_tag or item.source, profile=item.profile,
            suggestion=item.suggestion, submitted_at=given[n],
            fill_seconds=item.fill_seconds, suspect_reasons=verdict.reasons,
        )
        # One answer the instruments refuse (a service deactivated since it was given) must
        # not hold the device's whole queue back: it is refused alone, with its problems.
        try:
            survey_responses.check_submission(
                session, campaign=campaign, answers=one.answers, service_id=one.service_id,
                source=one.source, profile=one.profile, suggestion=one.suggestion,
                instruments=instruments,
            )
        except survey_responses.SubmissionInvalid as exc:
            refused[n] = KioskRefusal.invalid
            problems[n] = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())[:500]
            continue
        accepted.append(one)
    results: tuple[survey_responses.RecordedResponse, ...] = ()
    if accepted:
        results = survey_responses.record_batch(
            session, actor=actor, campaign=campaign, items=accepted, channel="kiosk",
            now=now, kiosk_id=kiosk.id,
        ).results
    refusals = tuple(
        Refused(items[n].idempotency_key, reason.value, KIOSK_REFUSAL_LABELS[reason]
                + (f" ({problems[n]})" if n in problems else ""))
        for n, reason in sorted(refused.items())
    )
    # The kiosk's sync and refusals in a second transaction, right after the answers: if the
    # process dies in between, the device heard nothing, sends the batch again, and the same
    # judgement (stored keys are duplicates now) records them then.
    kiosk = session.get(SurveyKiosk, actor.id)
    kiosk.last_sync_at = now
    if queue_size is not None:
        kiosk.queue_size = max(0, queue_size - len(results) - len(refusals))
    if refusals:
        kiosk.refused_count += len(refusals)
        kiosk.last_refusal = refusals[-1].message
        audit.record(
            session, actor=actor, action="refuse_answers", entity="survey_kiosk",
            entity_id=kiosk.id, unit_id=kiosk.unit_id,
            after={"refused": [{"key": r.idempotency_key, "reason": r.reason}
                               for r in refusals]},
        )
    session.add(kiosk)
    session.commit()
    return KioskBatchResult(results=results, refused=refusals)
