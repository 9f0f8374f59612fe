"""Time of the LKE self-assessment report PDF of a full worksheet beside a bare WeasyPrint
render, in the same process.

The database is the demo's (a fresh SQLite file in a temporary folder, ``zona demo`` loaded
in-process): KPPN Tanjungpandan's 2018 assessment, all 113 questions answered, reviewed by the
Kanwil and the TPI (final). Each round times, interleaved:

- **baseline**: WeasyPrint rendering a one-page HTML (a heading and a paragraph);
- **report**: ``report.render()`` as the page and the API call it, split into the services
  (``build``: scores, verdicts, side by side, gap plan, evidence, decisions), the template
  (``render_html``) and WeasyPrint (layout and PDF).

Prints the median wall-clock and CPU time of each (CPU time is what a busy machine does not
inflate) and the ratio report / baseline. Goal: the report in under 2 s.

    .venv/bin/python -m bench.report_pdf [--rounds 5] [--assessment-year 2018|2019]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select
from weasyprint import HTML

import app.models  # noqa: F401  (register every table)
from app.db import make_engine
from app.migrate import upgrade
from app.models.lke.assessments import Assessment
from app.services import demo
from app.services.documents.pdf import render_pdf
from app.services.documents.templating import STATIC_DIR
from app.services.lke import frameworks
from app.services.lke import report as lke_report
from app.services.surveys import instruments

BARE = ("<!doctype html><html><head><meta charset='utf-8'><style>@page { size: A4 }"
        "</style></head><body><h1>Zona</h1><p>Satu halaman.</p></body></html>")


def demo_database(folder: Path) -> str:
    url = f"sqlite:///{(folder / 'bench.sqlite3').as_posix()}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        frameworks.sync_bundled(session)
        instruments.sync_bundled(session)
        demo.load(session)
    engine.dispose()
    return url


def clocks(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--assessment-year", type=int, default=2018)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="zona-bench-report-") as folder:
        print("loading the demo into a fresh SQLite database ...", flush=True)
        engine = make_engine(demo_database(Path(folder)))
        with Session(engine) as session:
            assessment = session.exec(
                select(Assessment).where(Assessment.year == args.assessment_year)).one()
            render_pdf(BARE, base_url=STATIC_DIR)  # warm: fonts, WeasyPrint's stylesheets
            lke_report.render(session, actor=None, assessment_id=assessment.id)
            rows: dict[str, list[tuple[float, float]]] = {
                k: [] for k in ("baseline", "build", "template", "weasyprint", "report")}
            pages = 0
            for _ in range(args.rounds):
                _, w, c = clocks(render_pdf, BARE, base_url=STATIC_DIR)
                rows["baseline"].append((w, c))
                report, w1, c1 = clocks(lke_report.build, session, actor=None,
                                        assessment_id=assessment.id)
                html, w2, c2 = clocks(lke_report.render_html, report, lang="id")
                pdf, w3, c3 = clocks(render_pdf, html, base_url=STATIC_DIR)
                rows["build"].append((w1, c1))
                rows["template"].append((w2, c2))
                rows["weasyprint"].append((w3, c3))
                rows["report"].append((w1 + w2 + w3, c1 + c2 + c3))
        engine.dispose()
    pages = len(HTML(string=html, base_url=STATIC_DIR.as_uri() + "/").render().pages)

    answered = report.progress.answered
    print(f"assessment {args.assessment_year}: {answered} of {report.progress.total} questions "
          f"answered, {len(report.decisions)} review decisions, {len(pdf):,} bytes, "
          f"{pages} pages; {args.rounds} rounds (median)")
    print(f"{'':<12}{'wall s':>10}{'cpu s':>10}")
    for name, values in rows.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"{name:<12}{wall:>10.3f}{cpu:>10.3f}")
    base = statistics.median(v[0] for v in rows["baseline"])
    full = statistics.median(v[0] for v in rows["report"])
    print(f"ratio report / baseline (wall): {full / base:.0f}x; goal: report < 2 s "
          f"({'met' if full < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
