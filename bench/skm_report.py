"""The SKM report (PDF, DOCX) of a demo campaign against the results page's own service.

Usage: python -m bench.skm_report [rounds=5]

Loads the demo data into a migrated scratch SQLite database (six closed semester campaigns of
~300 responses, IKM + SPKP + SPAK, four services, follow-up plans), then times on the latest
closed campaign, interleaved round by round:
1. baseline: survey_results.campaign_results (what the results page computes);
2. report content: report.campaign_report (results, trend, previous period, plan, suggestions);
3. the PDF: report_pdf.skm_pdf (WeasyPrint, after one warm-up render);
4. the DOCX: report_docx.skm_docx.
Prints the median of each and the ratio to the baseline.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade
from app.services import demo
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import report as skm_report
from app.services.surveys import results as survey_results
from app.services.surveys.report_docx import skm_docx
from app.services.surveys.report_pdf import skm_pdf


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    url = f"sqlite:///{tempfile.mkdtemp(prefix='zona-bench-')}/bench.sqlite3"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        result = demo.load(session)
        unit_id = result.unit_ids["KPPN-TJP"]
        campaign = next(c for c in survey_campaigns.list_campaigns(session, unit_id=unit_id)
                        if c.status == "closed")
        report = skm_report.campaign_report(session, actor=None, campaign_id=campaign.id)
        pdf = skm_pdf(report)  # warm-up: WeasyPrint's import and font loading
        print(f"campaign {campaign.period_label}: {report.results.respondents} respondents, "
              f"PDF {len(pdf) // 1024} KiB, DOCX {len(skm_docx(report)) // 1024} KiB")
        timings: dict[str, list[float]] = {k: [] for k in ("baseline", "content", "pdf", "docx")}
        for _ in range(rounds):
            for name, fn in (
                ("baseline", lambda: survey_results.campaign_results(session, campaign=campaign)),
                ("content", lambda: skm_report.campaign_report(session, actor=None,
                                                               campaign_id=campaign.id)),
                ("pdf", lambda: skm_pdf(report)),
                ("docx", lambda: skm_docx(report)),
            ):
                start = time.perf_counter()
                fn()
                timings[name].append(time.perf_counter() - start)
    base = statistics.median(timings["baseline"])
    for name, values in timings.items():
        m = statistics.median(values)
        print(f"{name:9s} median {m * 1000:8.1f} ms   x{m / base:6.1f} of the baseline")


if __name__ == "__main__":
    main()
