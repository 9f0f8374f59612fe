"""The national database of bench/national.py: the demo data plus a ministry-sized tree of
generated units, each with five years of fully answered LKE assessments, survey campaigns
with their responses, and innovations, written with bulk inserts through SQLAlchemy Core
(the services would take hours for half a million answers), then summarised the way
``zona recount-lke`` and ``zona recount-surveys`` rebuild the maintained counts.

Sizes (``Size``): full = 4 eselon I offices x 10 regional offices x 25 units = 1,000 units,
5 years each (5,000 assessments x 113 answers, each with its revision) and about 1,000,000
survey answers over 2,000 campaigns; small = 2 x 5 x 5 = 50 units and about 20,000 answers.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import insert, select, text
from sqlmodel import Session

import app.models  # noqa: F401  (register every table)
from app.domain.programme.areas import ChangeArea
from app.domain.programme.innovation import Stage
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision
from app.models.programme import Innovation
from app.models.surveys.records import (
    SurveyAnswer,
    SurveyCampaign,
    SurveyResponse,
    SurveyService,
)
from app.models.units import Unit
from app.services import demo
from app.services.lke import frameworks
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import tallies as survey_tallies
from bench._seed import INDEX, NUMERIC

#: Bump when what is seeded changes: a cached database of another version is not reused.
SEED_VERSION = 1
YEARS = (2022, 2023, 2024, 2025, 2026)
SURVEY_YEARS = (2025, 2026)
SERVICES = (("SP2D", "Pencairan dana (SP2D)"), ("KONSUL", "Konsultasi perbendaharaan"),
            ("REKON", "Rekonsiliasi laporan keuangan"))
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Size:
    name: str
    eselon1: int
    regional: int
    units: int
    survey_answers: int

    @property
    def work_units(self) -> int:
        return self.eselon1 * self.regional * self.units


FULL = Size("full", 4, 10, 25, 1_000_000)
SMALL = Size("small", 2, 5, 5, 20_000)


def marker_code(size: Size) -> str:
    return f"NAT-SEED-{SEED_VERSION}-{size.name}"


def is_seeded(session: Session, size: Size) -> bool:
    return session.execute(
        select(Unit.id).where(Unit.code == marker_code(size))).first() is not None


def _bulk(session: Session, model, rows: list[dict], batch: int = 20_000) -> None:
    connection = session.connection()
    for start in range(0, len(rows), batch):
        connection.execute(insert(model.__table__), rows[start:start + batch])


def _ids(session: Session, model, column, values) -> dict:
    rows = session.execute(select(column, model.id).where(column.in_(list(values)))).all()
    return dict(rows)


def seed(session: Session, size: Size, log=print) -> None:
    """Demo data, then the generated tree and its data (the caller checked ``is_seeded``)."""
    t0 = time.perf_counter()
    demo.load(session)
    ministry = session.execute(select(Unit).where(Unit.code == "KEMENKEU")).scalar_one()
    rng = random.Random(SEED_VERSION)

    # --- the tree: ministry -> eselon I -> regional offices -> units ---
    def unit_row(code, name, level, parent_id):
        return {"code": code, "name": name, "level": level, "parent_id": parent_id,
                "timezone": "Asia/Jakarta", "created_at": NOW, "deleted_at": None}

    _bulk(session, Unit, [unit_row(f"NAT-E{e}", f"Direktorat Jenderal Nasional {e}",
                                   "eselon1", ministry.id) for e in range(1, size.eselon1 + 1)])
    eselon1 = _ids(session, Unit, Unit.code,
                   [f"NAT-E{e}" for e in range(1, size.eselon1 + 1)])
    _bulk(session, Unit, [
        unit_row(f"NAT-E{e}-R{r:02d}", f"Kanwil Nasional {e}-{r:02d}", "regional",
                 eselon1[f"NAT-E{e}"])
        for e in range(1, size.eselon1 + 1) for r in range(1, size.regional + 1)])
    regions = _ids(session, Unit, Unit.code, [
        f"NAT-E{e}-R{r:02d}" for e in range(1, size.eselon1 + 1)
        for r in range(1, size.regional + 1)])
    unit_codes = []
    rows = []
    for code, region_id in sorted(regions.items()):
        for k in range(1, size.units + 1):
            unit_codes.append(f"{code}-U{k:02d}")
            rows.append(unit_row(unit_codes[-1], f"KPPN Nasional {code[4:]}-{k:02d}", "unit",
                                 region_id))
    _bulk(session, Unit, rows)
    unit_ids = list(_ids(session, Unit, Unit.code, unit_codes).values())
    unit_ids.sort()
    log(f"  tree: {len(eselon1)} eselon I, {len(regions)} regional offices, "
        f"{len(unit_ids)} units ({time.perf_counter() - t0:.0f} s)")

    # --- assessments, every question answered, with its revision ---
    framework_row = frameworks.ensure_loaded(session)
    framework = frameworks.parsed(framework_row)
    questions = list(framework.questions())
    assessments = []
    for unit_id in unit_ids:
        for year in YEARS:
            current = year == YEARS[-1]
            status = (rng.choice(["draft", "draft", "submitted", "in_review", "returned",
                                  "final"]) if current else "final")
            assessments.append({
                "unit_id": unit_id, "year": year, "framework_id": framework_row.id,
                "target": "WBBM" if rng.random() < 0.2 else "WBK", "status": status,
                "created_by": None, "created_at": NOW, "updated_at": NOW, "deleted_at": None})
    _bulk(session, Assessment, assessments)
    ids = session.execute(
        select(Assessment.id, Assessment.unit_id).where(Assessment.unit_id.in_(unit_ids))
    ).all()
    answers, revisions = [], []
    answered = 0
    for assessment_id, unit_id in ids:
        quality = 0.35 + 0.6 * random.Random(unit_id).random()  # steady per unit
        for q in questions:
            inputs = index = option = None
            if q.ref in NUMERIC:
                inputs = {k: str(v) for k, v in NUMERIC[q.ref].items()}
            elif q.ref in INDEX:
                index = INDEX[q.ref]
            else:
                codes = q.option_codes
                option = codes[0] if rng.random() < quality else rng.choice(codes)
            note = f"Penjelasan {q.ref}: dokumen pendukung."
            answers.append({
                "assessment_id": assessment_id, "question_ref": q.ref, "option": option,
                "inputs": inputs, "index_value": index, "penjelasan": note,
                "source": "manual", "revision": 1, "updated_by": None,
                "updated_by_label": "bench", "updated_at": NOW})
            revisions.append({
                "assessment_id": assessment_id, "question_ref": q.ref, "revision": 1,
                "at": NOW, "actor_user_id": None, "actor_token_id": None,
                "actor_label": "bench", "old_value": None,
                "new_value": {"option": option, "inputs": inputs, "index": index,
                              "source": "manual"},
                "old_penjelasan": None, "new_penjelasan": note})
        if len(answers) >= 50_000:
            _bulk(session, LkeAnswer, answers)
            _bulk(session, LkeAnswerRevision, revisions)
            answered += len(answers)
            answers, revisions = [], []
    _bulk(session, LkeAnswer, answers)
    _bulk(session, LkeAnswerRevision, revisions)
    answered += len(answers)
    session.commit()
    log(f"  {len(ids)} assessments, {answered} answers + revisions "
        f"({time.perf_counter() - t0:.0f} s)")

    # --- innovations ---
    stages = list(Stage)
    innovations = []
    for unit_id in unit_ids:
        for k in range(rng.randint(1, 3)):
            innovations.append(Innovation(
                unit_id=unit_id, title=f"Inovasi {k + 1}", problem="Antrean panjang.",
                solution="Layanan daring.", services=["SP2D"], beneficiaries="Satker",
                stage=rng.choice(stages).value, phase="wbk" if k < 2 else "wbbm",
                change_area=ChangeArea.MANAJEMEN_PERUBAHAN.value, started_on=date(2024, 1, 2),
                created_at=NOW,
            ).model_dump(exclude={"id"}))
    _bulk(session, Innovation, innovations)

    # --- surveys: three service types per unit, one campaign a year, ~22 answers a response
    survey_instruments.sync_bundled(session)
    instrument_rows = {r.code: r for r in survey_instruments.latest(session)}
    chosen = [instrument_rows[c] for c in ("ikm-2017", "spkp", "spak") if c in instrument_rows]
    parsed = [survey_instruments.parsed(r) for r in chosen]
    per_response = sum(len(i.items) for i in parsed)
    _bulk(session, SurveyService, [
        {"unit_id": u, "code": code, "name": name, "description": "", "active": True,
         "created_at": NOW, "deleted_at": None}
        for u in unit_ids for code, name in SERVICES])
    services: dict[int, list[int]] = {}
    for service_id, unit_id in session.execute(
            select(SurveyService.id, SurveyService.unit_id)
            .where(SurveyService.unit_id.in_(unit_ids))):
        services.setdefault(unit_id, []).append(service_id)
    campaigns = [
        SurveyCampaign(
            unit_id=u, title=f"Survei {year}", instrument_ids=[r.id for r in chosen],
            period_kind="year", period_label=str(year), year=year,
            opens_on=date(year, 1, 1), closes_on=date(year, 12, 31), population=5000,
            public_code=secrets.token_urlsafe(9)[:12], status="closed", created_at=NOW,
            updated_at=NOW,
        ).model_dump(exclude={"id"})
        for u in unit_ids for year in SURVEY_YEARS]
    _bulk(session, SurveyCampaign, campaigns)
    campaign_units = session.execute(
        select(SurveyCampaign.id, SurveyCampaign.unit_id)
        .where(SurveyCampaign.unit_id.in_(unit_ids))).all()
    total_responses = size.survey_answers // per_response
    per_campaign = max(1, total_responses // len(campaign_units))
    next_id = (session.execute(select(SurveyResponse.id).order_by(SurveyResponse.id.desc()))
               .scalars().first() or 0) + 1
    responses, survey_answers = [], []
    stored = 0
    for campaign_id, unit_id in campaign_units:
        for _ in range(per_campaign):
            sid = rng.choice(services[unit_id])
            responses.append({
                "id": next_id, "campaign_id": campaign_id, "submitted_at": NOW,
                "service_id": sid, "source_tag": None, "channel": "web",
                "profile": {"gender": rng.choice("LP")}, "suggestion": None, "ip_hash": None,
                "device_hash": None, "fill_seconds": 60, "idempotency_key": None,
                "suspect": False, "suspect_reasons": None, "review_decision": None,
                "reviewed_by": None, "reviewed_at": None, "reportable": True})
            for inst in parsed:
                for item in inst.items:
                    survey_answers.append({
                        "response_id": next_id, "instrument_code": inst.code,
                        "item_code": item.code,
                        "value": rng.randint(max(inst.scale_min, inst.scale_max - 2),
                                             inst.scale_max),
                        "campaign_id": campaign_id, "service_id": sid, "reportable": True})
            next_id += 1
        if len(survey_answers) >= 100_000:
            _bulk(session, SurveyResponse, responses)
            _bulk(session, SurveyAnswer, survey_answers)
            stored += len(survey_answers)
            responses, survey_answers = [], []
    _bulk(session, SurveyResponse, responses)
    _bulk(session, SurveyAnswer, survey_answers)
    stored += len(survey_answers)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval('survey_response_id_seq', :n)"), {"n": next_id})
    survey_tallies.recount(session)
    session.commit()
    log(f"  {len(campaign_units)} campaigns, {stored} survey answers, tallies counted "
        f"({time.perf_counter() - t0:.0f} s)")

    # --- the maintained LKE summaries, rebuilt as `zona recount-lke` does ---
    summarise(session)
    session.commit()
    log(f"  LKE summaries rebuilt ({time.perf_counter() - t0:.0f} s)")
    # The marker: a deleted unit (invisible to every page) saying the seed finished.
    session.connection().execute(insert(Unit.__table__), [{
        **unit_row(marker_code(size), "Penanda data bench nasional", "unit", ministry.id),
        "deleted_at": NOW}])
    session.commit()


def summarise(session: Session) -> None:
    """Rebuild every assessment's score summary (app.services.lke.summary)."""
    from app.services.lke import summary

    summary.rebuild(session)
