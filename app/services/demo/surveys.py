"""Demo surveys of KPPN Tanjungpandan: every response is generated.

Six semester campaigns 2017-S1 .. 2019-S2 carrying IKM, SPKP and SPAK, with answers drawn
from a seeded random generator (the same data on every run) so that the indices rise
plausibly over the years, plus one open campaign for the current semester so the public form
can be tried. Campaigns are flagged ``is_demo`` and titled "(data demo)"; pages show the
"data demo" badge. Idempotent: a campaign already present (same unit and title) is skipped.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from app.domain.surveys.guard import Reason
from app.domain.surveys.indices import sample_size
from app.models.surveys.records import SurveyCampaign, SurveyResponse
from app.services.demo.base import DemoResult
from app.services.integration import lke_from_surveys
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import followups as survey_followups
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import responses as survey_responses
from app.services.surveys import tallies as survey_tallies
from app.services.surveys.inputs import FollowupIn

DEMO_SERVICES = [
    ("sp2d", "Pencairan dana (penerbitan SP2D)"),
    ("konsultasi", "Konsultasi dan informasi"),
    ("penerimaan", "Penerimaan negara (konfirmasi setoran)"),
    ("lpj", "Rekonsiliasi dan LPJ bendahara"),
]
SERVICE_WEIGHTS = [55, 20, 15, 10]
INSTRUMENTS = ["ikm-2017", "spkp", "spak"]
# Per-item handicap: these elements lag behind (the priority to improve in the results).
WEAK_ITEMS = {"U3": 0.55, "U8": 0.35, "P6": 0.4, "A3": 0.3}
# Perception answers run above satisfaction (a unit that earned WBK in 2018 has an IPAK of at
# least 3.60 and an IPKP of at least 3.20 that year): lift per instrument.
INSTRUMENT_LIFT = {"spkp": 0.12, "spak": 0.25}
SUGGESTIONS = [
    "Antrian di loket sudah lebih cepat, pertahankan.",
    "Mohon ruang tunggu ditambah kursinya.",
    "Petugas ramah dan membantu.",
    "Informasi persyaratan di situs web perlu diperbarui.",
    "Proses SP2D cepat, terima kasih.",
    "Mohon layanan konsultasi daring diperpanjang jamnya.",
]


def _semesters():
    for year in (2017, 2018, 2019):
        for s in (1, 2):
            start = date(year, 1 if s == 1 else 7, 1)
            end = date(year, 6, 30) if s == 1 else date(year, 12, 31)
            yield year, s, start, end


def _value(rng: random.Random, level: float, handicap: float, scale_max: int) -> int:
    """A 1..scale_max answer around ``level`` (0..1 quality) minus the item's handicap."""
    quality = min(max(level - handicap * 0.25 + rng.gauss(0, 0.18), 0.0), 1.0)
    return max(1, min(scale_max, 1 + round(quality * (scale_max - 1))))


def load_survey_demo(session: Session, result: DemoResult) -> None:
    """Services, six past semester campaigns with generated responses, one open campaign."""
    survey_instruments.sync_bundled(session)
    unit_id = result.unit_ids["KPPN-TJP"]
    existing = {s.code: s for s in survey_catalogue.list_services(session, unit_id=unit_id)}
    for code, name in DEMO_SERVICES:
        if code not in existing:
            existing[code] = survey_catalogue.create_service(
                session, actor=None, unit_id=unit_id, code=code, name=name,
                description="Contoh jenis layanan (data demo).",
            )
            result.created.append(f"survey service {code}")
    service_ids = [existing[code].id for code, _ in DEMO_SERVICES]
    titles = {
        c.title for c in session.exec(
            select(SurveyCampaign).where(SurveyCampaign.unit_id == unit_id)
        )
    }
    for n, (year, s, start, end) in enumerate(_semesters()):
        title = f"Survei Kepuasan dan Persepsi Semester {'I' if s == 1 else 'II'} {year} (data demo)"
        if title in titles:
            continue
        campaign = survey_campaigns.create_campaign(
            session, actor=None, unit_id=unit_id, is_demo=True,
            data=survey_campaigns.CampaignInput(
                title=title, instrument_codes=INSTRUMENTS, period_kind="semester",
                period_label=f"{year}-S{s}", opens_on=start, closes_on=end,
                population=900 + 60 * n,
            ),
        )
        _generate(session, campaign, service_ids, level=0.58 + 0.065 * n, seed=2017_00 + n)
        lke_from_surveys.close_campaign(session, actor=None, campaign_id=campaign.id)
        result.created.append(f"survey campaign {campaign.period_label}")
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    semester = 1 if today.month <= 6 else 2
    title = f"Survei berjalan Semester {'I' if semester == 1 else 'II'} {today.year} (data demo)"
    if title not in titles:
        survey_campaigns.create_campaign(
            session, actor=None, unit_id=unit_id, is_demo=True,
            data=survey_campaigns.CampaignInput(
                title=title, instrument_codes=INSTRUMENTS, period_kind="semester",
                period_label=f"{today.year}-S{semester}", opens_on=today - timedelta(days=14),
                closes_on=today + timedelta(days=90), population=1200,
            ),
        )
        result.created.append("survey campaign (open)")


def _generate(session: Session, campaign: SurveyCampaign, service_ids: list[int], *,
              level: float, seed: int) -> None:
    """Insert generated responses in bulk (Core executemany), deterministic per seed."""
    rng = random.Random(seed)
    instruments = survey_campaigns.instruments_of(session, campaign)
    profile_fields = instruments[0].profile
    tz = ZoneInfo(campaign.timezone)
    days = (campaign.closes_on - campaign.opens_on).days
    count = sample_size(campaign.population) + rng.randint(5, 40)
    responses, answers = [], []
    next_id = _next_id(session)
    for k in range(count):
        rid = next_id + k
        day = campaign.opens_on + timedelta(days=rng.randint(0, days))
        at = datetime.combine(day, time(rng.randint(8, 15), rng.randint(0, 59)), tzinfo=tz)
        suspect = k % 97 == 13  # a few too-fast submissions to review
        service_id = rng.choices(service_ids, weights=SERVICE_WEIGHTS)[0]
        respondent_level = level + rng.gauss(0, 0.08)
        responses.append({
            "id": rid, "campaign_id": campaign.id, "submitted_at": at.astimezone(UTC),
            "service_id": service_id, "source_tag": None, "channel": "web",
            "profile": {f.code: rng.choice(f.option_codes) for f in profile_fields},
            "suggestion": rng.choice(SUGGESTIONS) if rng.random() < 0.15 else None,
            "ip_hash": None, "device_hash": None,
            "fill_seconds": rng.randint(6, 12) if suspect else rng.randint(45, 240),
            "idempotency_key": None, "suspect": suspect,
            "suspect_reasons": [Reason.too_fast.value] if suspect else None,
            "review_decision": None, "reviewed_by": None, "reviewed_at": None,
            "reportable": not suspect,
        })
        for inst in instruments:
            for item in inst.items:
                answers.append({
                    "response_id": rid, "instrument_code": inst.code, "item_code": item.code,
                    "value": _value(rng, respondent_level + INSTRUMENT_LIFT.get(inst.code, 0.0),
                                    WEAK_ITEMS.get(item.code, 0.0), inst.scale_max),
                    "campaign_id": campaign.id, "service_id": service_id,
                    "reportable": not suspect,
                })
    connection = session.connection()
    # Through the services' own inserts, so the demo's counts are kept like any others.
    counts = survey_tallies.Counts()
    survey_responses.insert_responses(connection, responses, counts=counts)
    survey_responses.insert_answers(connection, answers, counts=counts)
    counts.write(connection)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('survey_response', 'id'), "
            "(SELECT MAX(id) FROM survey_response))"
        )
    session.commit()


def _next_id(session: Session) -> int:
    current = session.exec(select(func.max(SurveyResponse.id))).one()
    return (current or 0) + 1


#: What the demo unit did about each weak IKM element (the same few measures every period).
FOLLOWUP_ACTIONS = {
    "U1": "Memasang papan persyaratan layanan di setiap loket dan di laman unit",
    "U2": "Menyederhanakan SOP layanan dan menempelkan alur layanan di ruang tunggu",
    "U3": "Menetapkan janji waktu layanan dan memantau antrean setiap hari",
    "U4": "Mengumumkan bahwa seluruh layanan tanpa biaya di loket dan media sosial",
    "U5": "Menyamakan produk layanan dengan standar pelayanan yang diumumkan",
    "U6": "Pelatihan teknis petugas layanan garis depan",
    "U7": "Pelatihan budaya layanan prima bagi petugas loket",
    "U8": "Membuka kanal pengaduan daring dan menjawab setiap aduan dalam tiga hari",
    "U9": "Menambah kursi ruang tunggu dan memperbaiki pendingin ruangan",
}


def load_followup_demo(session: Session, result: DemoResult) -> None:
    """A follow-up plan for the three weakest IKM elements of every closed demo campaign:
    done for the older periods, in progress for the latest one."""
    unit_id = result.unit_ids["KPPN-TJP"]
    closed = [c for c in survey_campaigns.list_campaigns(session, unit_id=unit_id)
              if c.is_demo and c.status == "closed"]
    for n, campaign in enumerate(closed):  # newest first
        if survey_followups.list_followups(session, actor=None, campaign_id=campaign.id):
            continue
        plan = survey_followups.followup_plan(session, actor=None, campaign_id=campaign.id)
        ikm = next((p for p in plan.instruments if p.instrument.kind == "ikm"), None)
        if ikm is None:
            continue
        for weak in ikm.weakest:
            survey_followups.create_followup(session, actor=None, campaign_id=campaign.id,
                                             data=FollowupIn(
                element_code=weak.code, action=FOLLOWUP_ACTIONS.get(weak.code, "Perbaikan"),
                owner="Kepala Subbagian Umum", due_on=campaign.closes_on + timedelta(days=90),
                status="berjalan" if n == 0 else "selesai"))
        result.created.append(f"survey follow-up plan {campaign.period_label}")
