"""Shared set-up for the benchmarks: a fresh database with one fully answered assessment."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

import app.models  # noqa: F401  (register every table)
from app.config import Settings
from app.db import make_engine
from app.migrate import upgrade
from app.services import units
from app.services.accounts import users as accounts
from app.services.lke import answers as lke_answers
from app.services.lke import assessments, frameworks, scores

PASSWORD = "bench-password-123"

# Numeric answers that satisfy every consistency rule (ratios below and at 1).
NUMERIC = {
    "PRA1A": {"change_agents": 12, "changes_made": 9},
    "PRA1B": {"changes_made": 9, "changes_integrated": 6},
    "PRC3A": {"violations_last_year": 3, "violations_this_year": 2, "violations_sanctioned": 2},
    "PRD1A": {"targets_total": 14, "targets_reached": 11},
    "PRE2A": {"complaints_to_follow_up": 20, "complaints_in_process": 3,
              "complaints_finished": 15},
    "PRE3A": {"must_head_of_unit": 1, "must_lhkpn_officials": 4, "must_others": 3,
              "reported": 8},
    "PRE3B": {"must_administrators": 2, "must_supervisors": 6,
              "must_functional_and_staff": 40, "reported": 45},
    "PRF1B": {"services_registered": 9, "services_simplified": 6},
}
INDEX = {"HBA1A": "3.62", "HPA1A": "3.41"}


@dataclass
class Seeded:
    settings: Settings
    database_url: str
    unit_id: int
    assessment_id: int
    username: str


def full_changes(framework) -> list[lke_answers.AnswerChange]:
    """An answer for every question (options cycling through the scale) with a penjelasan."""
    changes = []
    for i, q in enumerate(framework.questions()):
        text = f"Penjelasan {q.ref}: dokumen dan kegiatan pendukung tahun berjalan."
        if q.ref in NUMERIC:
            changes.append(lke_answers.AnswerChange(q.ref, inputs=NUMERIC[q.ref],
                                                    penjelasan=text))
        elif q.ref in INDEX:
            changes.append(lke_answers.AnswerChange(q.ref, index=INDEX[q.ref], penjelasan=text))
        else:
            codes = q.option_codes
            changes.append(lke_answers.AnswerChange(q.ref, option=codes[i % len(codes)],
                                                    penjelasan=text))
    return changes


def seed(data_dir: Path | None = None, database_url: str | None = None) -> Seeded:
    """Migrate a fresh database and store one unit, a coordinator and a full assessment."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="zona-bench-"))
    url = database_url or f"sqlite:///{(data_dir / 'bench.sqlite3').as_posix()}"
    settings = Settings(database_url=url, data_dir=data_dir,
                        secret_key="bench-secret-" + "x" * 40)
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        ministry = units.create(session, actor=None, code="KEMEN-BENCH",
                                name="Kementerian Bench", level="ministry")
        unit = units.create(session, actor=None, code="KPPN-BENCH", name="KPPN Bench",
                            level="unit", parent_id=ministry.id)
        user = accounts.create_user(session, actor=None, username="coord_bench",
                                    full_name="Koordinator Bench", password=PASSWORD)
        accounts.add_membership(session, actor=None, user_id=user.id, unit_id=unit.id,
                                role="coordinator")
        frameworks.ensure_loaded(session)
        assessment = assessments.create(session, actor=None, unit_id=unit.id, year=2024,
                                        target="WBK")
        framework = assessments.framework_of(session, assessment)
        lke_answers.answer_many(session, actor=None, assessment_id=assessment.id,
                                changes=full_changes(framework))
        report = scores.score_report(session, assessment=assessment)
        assert report.total.answered == report.total.questions, "not every question answered"
        seeded = Seeded(settings, url, unit.id, assessment.id, "coord_bench")
    engine.dispose()
    return seeded
