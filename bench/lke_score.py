"""Score + verdict of a fully answered assessment against a bare SELECT of its answers.

Both run in this one process on the same database and session, interleaved, many times;
the figure is the median per call and the ratio (goal: at most 2x).

    .venv/bin/python -m bench.lke_score                 # SQLite in a temp folder
    .venv/bin/python -m bench.lke_score --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlmodel import Session, select

from app.db import make_engine
from app.models.lke.assessments import Assessment, LkeAnswer
from app.services.lke import scores
from bench._seed import seed


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY database to migrate and fill (default: temp SQLite)")
    args = parser.parse_args()
    seeded = seed(database_url=args.database_url)
    engine = make_engine(seeded.database_url)
    with Session(engine, expire_on_commit=False) as session:
        assessment = session.get(Assessment, seeded.assessment_id)

        def bare_select():
            rows = session.exec(
                select(LkeAnswer).where(LkeAnswer.assessment_id == seeded.assessment_id)
            ).all()
            assert len(rows) == 113
            session.expunge_all()  # every round reads the rows again, like a new request

        def score_and_verdict():
            ev = scores.evaluate(session, assessment=assessment)
            assert ev.report.total.answered == 113 and ev.verdict.checks
            session.expunge_all()
            session.add(assessment)

        for _ in range(20):  # warm up caches (framework parse, statement cache)
            bare_select()
            score_and_verdict()
        base, full = [], []
        for _ in range(args.rounds):  # interleaved so both see the same machine load
            base += timed(bare_select, 1)
            full += timed(score_and_verdict, 1)
        ev = scores.evaluate(session, assessment=assessment)
    engine.dispose()
    b, f = statistics.median(base), statistics.median(full)
    dialect = seeded.database_url.split(":", 1)[0]
    print(f"database: {dialect}; {args.rounds} rounds each, interleaved; medians per call")
    print(f"total score {float(ev.report.total.score):.2f}, verdict {ev.verdict.target} "
          f"{'passed' if ev.verdict.passed else 'not passed'}")
    print(f"bare SELECT of 113 answers : {b * 1000:8.3f} ms")
    print(f"score + verdict (service)  : {f * 1000:8.3f} ms")
    print(f"ratio                      : {f / b:8.2f}x   (goal <= 2x)")


if __name__ == "__main__":
    main()
