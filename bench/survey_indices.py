"""Indices over many generated responses: the service's GROUP BY against raw SQL.

Usage: python bench/survey_indices.py [responses=200000] [database-url]

Builds a migrated scratch SQLite database (or uses the given URL, which must be empty),
inserts N responses of one campaign (IKM + SPKP + SPAK: 22 answers each), then times
1. raw SQL, denormalised: SELECT ... FROM survey_answer WHERE campaign_id=? AND reportable
   GROUP BY instrument_code, item_code (what the service runs);
2. raw SQL, normalised: the same through a JOIN on survey_response.reportable (the design
   without the repeated columns), to measure what the denormalisation buys;
3. survey_results.campaign_results(...) without per-service and profile sections (tallies +
   exact indices), and the full campaign_results (per service, profile, counts).
Prints the median of 5 runs of each and the ratios (goal: service / raw <= 1.5).
4. the per-service GROUP BY (results page, "per layanan") and the full results with and without
   the covering index ix_survey_answer_service_tally (migration 0400_perf), toggled in the run.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime

from sqlalchemy import insert, inspect, text
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade
from app.models.surveys import SurveyAnswer, SurveyResponse
from app.services import survey_instruments, survey_results, surveys, units

SERVICE_INDEX = "ix_survey_answer_service_tally"  # migration 0400_perf
SERVICE_INDEX_DDL = (
    f"CREATE INDEX {SERVICE_INDEX} ON survey_answer "
    "(campaign_id, reportable, service_id, instrument_code, item_code, value)"
)


def median_time(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    url = sys.argv[2] if len(sys.argv) > 2 else \
        f"sqlite:///{tempfile.mkdtemp(prefix='zona-bench-')}/bench.sqlite3"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        survey_instruments.sync_bundled(session)
        unit = units.create(session, actor=None, code="BENCH", name="Bench", level="ministry")
        campaign = surveys.create_campaign(
            session, actor=None, unit_id=unit.id, data=surveys.CampaignInput(
                title="bench", instrument_codes=["ikm-2017", "spkp", "spak"],
                period_kind="year", period_label="2019", opens_on=date(2019, 1, 1),
                closes_on=date(2019, 12, 31), population=100_000))
        services = [surveys.create_service(session, actor=None, unit_id=unit.id,
                                           code=f"s{k}", name=f"Layanan {k}").id
                    for k in range(4)]
        instruments = surveys.instruments_of(session, campaign)
        rng = random.Random(1)
        now = datetime(2019, 6, 1, tzinfo=UTC)
        batch = 5_000
        t0 = time.perf_counter()
        for start in range(0, n, batch):
            responses, answers = [], []
            for rid in range(start + 1, min(start + batch, n) + 1):
                sid = rng.choice(services)
                suspect = rid % 50 == 0
                responses.append({
                    "id": rid, "campaign_id": campaign.id, "submitted_at": now,
                    "service_id": sid, "source_tag": None, "channel": "web",
                    "profile": {"gender": rng.choice("LP")}, "suggestion": None,
                    "ip_hash": None, "device_hash": None, "fill_seconds": 60,
                    "idempotency_key": None, "suspect": suspect, "suspect_reasons": None,
                    "review_decision": None, "reviewed_by": None, "reviewed_at": None,
                    "reportable": not suspect})
                for inst in instruments:
                    for item in inst.items:
                        answers.append({
                            "response_id": rid, "instrument_code": inst.code,
                            "item_code": item.code, "value": rng.randint(1, inst.scale_max),
                            "campaign_id": campaign.id, "service_id": sid,
                            "reportable": not suspect})
            conn = session.connection()
            conn.execute(insert(SurveyResponse.__table__), responses)
            conn.execute(insert(SurveyAnswer.__table__), answers)
            session.commit()
        load = time.perf_counter() - t0
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        cid = campaign.id
        raw = text("SELECT instrument_code, item_code, SUM(value), COUNT(*) FROM survey_answer "
                   "WHERE campaign_id = :c AND reportable = :t GROUP BY instrument_code, item_code")
        joined = text(
            "SELECT a.instrument_code, a.item_code, SUM(a.value), COUNT(*) FROM survey_answer a "
            "JOIN survey_response r ON r.id = a.response_id "
            "WHERE r.campaign_id = :c AND r.reportable = :t GROUP BY a.instrument_code, a.item_code")
        t_raw = median_time(lambda: session.execute(raw, {"c": cid, "t": True}).all())
        t_join = median_time(lambda: session.execute(joined, {"c": cid, "t": True}).all())
        t_core = median_time(lambda: survey_results.campaign_results(
            session, campaign=campaign, with_services=False, with_profile=False))
        t_full = median_time(lambda: survey_results.campaign_results(session, campaign=campaign))
        per_service = text(
            "SELECT service_id, instrument_code, item_code, SUM(value), COUNT(*) "
            "FROM survey_answer WHERE campaign_id = :c AND reportable = :t "
            "GROUP BY service_id, instrument_code, item_code")
        t_service = median_time(lambda: session.execute(per_service, {"c": cid, "t": True}).all())
        # The same with the per-service covering index toggled (dropped when the migrations
        # made it, made when they did not), then put back as it was.
        had = SERVICE_INDEX in {ix["name"] for ix in inspect(session.connection())
                                .get_indexes("survey_answer")}
        session.execute(text(f"DROP INDEX {SERVICE_INDEX}" if had else SERVICE_INDEX_DDL))
        session.execute(text("ANALYZE"))
        session.commit()
        t_service_2 = median_time(
            lambda: session.execute(per_service, {"c": cid, "t": True}).all())
        t_full_2 = median_time(
            lambda: survey_results.campaign_results(session, campaign=campaign))
        session.execute(text(SERVICE_INDEX_DDL if had else f"DROP INDEX {SERVICE_INDEX}"))
        session.commit()
    with_ix, without_ix = (t_service, t_service_2) if had else (t_service_2, t_service)
    full_with, full_without = (t_full, t_full_2) if had else (t_full_2, t_full)
    print(f"database: {engine.dialect.name}; responses: {n:,}; answers: {n * 22:,}; "
          f"load {load:.1f}s")
    print(f"raw GROUP BY (denormalised)        {t_raw * 1000:9.1f} ms")
    print(f"raw GROUP BY through a JOIN        {t_join * 1000:9.1f} ms  "
          f"({t_join / t_raw:.2f}x the denormalised one)")
    print(f"service indices (tallies + exact)  {t_core * 1000:9.1f} ms  "
          f"ratio to raw {t_core / t_raw:.2f}x (goal <= 1.5x)")
    print(f"service full results page data     {t_full * 1000:9.1f} ms  "
          f"(+ per service, profile, counts)")
    print(f"per-service GROUP BY: without {SERVICE_INDEX} {without_ix * 1000:9.1f} ms, with "
          f"{with_ix * 1000:9.1f} ms  ({without_ix / with_ix:.2f}x)")
    print(f"full results page data: without {full_without * 1000:9.1f} ms, with "
          f"{full_with * 1000:9.1f} ms  (migrations made it: {'yes' if had else 'no'})")


if __name__ == "__main__":
    main()
