"""Robustness tests: the demo data gives every page and endpoint real rows to address."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from app.services import demo
from app.services.surveys import instruments as survey_instruments

# Path parameter -> table holding real targets.
ID_TABLES = {
    "token_id": "api_token", "assessment_id": "assessment", "other_id": "assessment",
    "evidence_id": "evidence", "link_id": "evidence_link", "service_id": "survey_service",
    "campaign_id": "survey_campaign", "response_id": "survey_response",
    "source_id": "survey_source", "innovation_id": "innovation",
    "impact_id": "innovation_impact", "pillar_id": "pillar", "decree_id": "team_decree",
    "member_id": "team_member", "pact_id": "integrity_pact", "activity_id": "team_activity",
    "item_id": "action_item", "partnership_id": "partnership", "milestone_id": "milestone",
    "framework_id": "lke_framework",
}


@dataclass
class Demo:
    unit_id: int
    ids: dict[str, int | str] = field(default_factory=dict)
    ref: str = "1.1.1"


@pytest.fixture
def row_counts():
    """``row_counts(engine)``: rows in every table, to prove a refused request changed nothing."""
    return _row_counts


def _row_counts(engine) -> dict[str, int]:
    """Rows in every table (one query), to prove a refused request changed nothing."""
    names = [t.name for t in SQLModel.metadata.sorted_tables]
    query = " UNION ALL ".join(
        f"SELECT '{name}' AS t, COUNT(*) AS n FROM {name}" for name in names
    )
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(text(query))}


@pytest.fixture
def demo_data(db, engine) -> Demo:
    survey_instruments.sync_bundled(db)
    result = demo.load(db)
    unit_id = result.unit_ids["KPPN-TJP"]
    found = Demo(unit_id=unit_id)
    with engine.connect() as connection:
        for param, table in ID_TABLES.items():
            value = connection.execute(text(f"SELECT MIN(id) FROM {table}")).scalar()
            found.ids[param] = value if value is not None else 1
        found.ids["unit_code"] = "KPPN-TJP"  # the public results page /hasil/{unit_code}
        ref = connection.execute(text("SELECT MIN(question_ref) FROM lke_answer")).scalar()
        if ref:
            found.ref = ref
    return found
