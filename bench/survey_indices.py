"""Indices over many generated responses: the service against raw SQL GROUP BYs.

Usage: python -m bench.survey_indices [responses=200000] [database-url]

Builds a migrated scratch SQLite database (or uses the given URL, which must be empty),
inserts N responses of one campaign (IKM + SPKP + SPAK: 22 answers each, four services),
counts them into the running tallies (survey_tally) the way a repair would
(survey_tallies.recount), checks the tallies equal a GROUP BY over the answers, then times
1. raw SQL over the answers: SELECT ... FROM survey_answer WHERE campaign_id=? AND reportable
   GROUP BY instrument_code, item_code (the issue's baseline);
2. raw SQL over the tallies: the same numbers FROM survey_tally (what the service reads);
3. survey_results.campaign_results(...) without per-service and profile sections (tallies +
   exact indices), and the full campaign_results (per service, profile, counts);
4. the per-service GROUP BY ("per layanan") over the answers and over the tallies.
Prints the median of 5 runs of each and the ratios (goal: service / raw GROUP BY <= 1.5).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime

from sqlalchemy import insert, text
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade
from app.models.surveys.records import SurveyAnswer, SurveyResponse
from app.services import units
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import instruments as survey_instruments
from app.services.surveys import results as survey_results
from app.services.surveys import tallies as survey_tallies


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
        campaign = survey_campaigns.create_campaign(
            session, actor=None, unit_id=unit.id, data=survey_campaigns.CampaignInput(
                title="bench", instrument_codes=["ikm-2017", "spkp", "spak"],
                period_kind="year", period_label="2019", opens_on=date(2019, 1, 1),
                closes_on=date(2019, 12, 31), population=100_000))
        services = [survey_catalogue.create_service(session, actor=None, unit_id=unit.id,
                                           code=f"s{k}", name=f"Layanan {k}").id
                    for k in range(4)]
        instruments = survey_campaigns.instruments_of(session, campaign)
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
        t0 = time.perf_counter()
        survey_tallies.recount(session, campaign_ids=[campaign.id])
        session.commit()
        recount = time.perf_counter() - t0
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        cid = campaign.id
        raw = text("SELECT instrument_code, item_code, SUM(value), COUNT(*) FROM survey_answer "
                   "WHERE campaign_id = :c AND reportable = :t GROUP BY instrument_code, item_code")
        raw_tally = text(
            "SELECT instrument_code, item_code, SUM(value * answers), SUM(answers) "
            "FROM survey_tally WHERE campaign_id = :c GROUP BY instrument_code, item_code")
        same = sorted(tuple(map(int, r[2:])) + tuple(r[:2])
                      for r in session.execute(raw, {"c": cid, "t": True}))
        if same != sorted(tuple(map(int, r[2:])) + tuple(r[:2])
                          for r in session.execute(raw_tally, {"c": cid})):
            raise SystemExit("the tallies differ from the answers")
        t_raw = median_time(lambda: session.execute(raw, {"c": cid, "t": True}).all())
        t_raw_tally = median_time(lambda: session.execute(raw_tally, {"c": cid}).all())
        t_core = median_time(lambda: survey_results.campaign_results(
            session, campaign=campaign, with_services=False, with_profile=False))
        t_full = median_time(lambda: survey_results.campaign_results(session, campaign=campaign))
        per_service = text(
            "SELECT service_id, instrument_code, item_code, SUM(value), COUNT(*) "
            "FROM survey_answer WHERE campaign_id = :c AND reportable = :t "
            "GROUP BY service_id, instrument_code, item_code")
        t_service = median_time(lambda: session.execute(per_service, {"c": cid, "t": True}).all())
        t_service_rows = median_time(
            lambda: survey_results.service_rows(session, campaign=campaign))
    print(f"database: {engine.dialect.name}; responses: {n:,}; answers: {n * 22:,}; "
          f"load {load:.1f}s, recount of the tallies {recount:.1f}s; tallies checked equal")
    print(f"raw GROUP BY over the answers      {t_raw * 1000:9.1f} ms")
    print(f"raw GROUP BY over the tallies      {t_raw_tally * 1000:9.1f} ms")
    print(f"service indices (tallies + exact)  {t_core * 1000:9.1f} ms  "
          f"ratio to raw {t_core / t_raw:.5f}x (goal <= 1.5x); "
          f"to its own raw query {t_core / t_raw_tally:.1f}x")
    print(f"service full results page data     {t_full * 1000:9.1f} ms  "
          f"(+ per service, profile, counts)")
    print(f"per service: raw GROUP BY over the answers {t_service * 1000:9.1f} ms, "
          f"service_rows (tallies, names, respondents) {t_service_rows * 1000:9.1f} ms")

if __name__ == "__main__":
    main()
