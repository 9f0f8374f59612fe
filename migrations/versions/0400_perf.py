"""perf: merge the capability heads; covering index for per-service survey tallies

The results page groups a campaign's reportable answers by service, instrument and item
("per layanan"). ix_survey_answer_tally (campaign_id, reportable, instrument_code, item_code,
value) has no service_id, so every answer row is looked up in the table and the groups are
sorted; this index serves that GROUP BY (and the one-service filter) from the index alone.
Measured with bench/survey_indices.py (figures in bench/README.md).

Revision ID: 0400_perf
Revises: 0110, 0200, 0300
Create Date: 2026-11-29 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0400_perf"
down_revision: str | Sequence[str] | None = ("0110", "0200", "0300")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_answer_service_tally",
            ["campaign_id", "reportable", "service_id", "instrument_code", "item_code", "value"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answer_service_tally")
