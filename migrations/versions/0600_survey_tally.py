"""survey_tally: running counts of reportable answers replace the two tally indexes

The indices need, per campaign (and service), item and value, how many reportable answers
there are. Two covering indexes on survey_answer answered that with a GROUP BY over every
answer; each stored answer had to go into both, which was most of the cost of storing a
survey response on SQLite (measured: 127 us a response in batches of 25, 65 us without them).
survey_tally holds the counts themselves, updated with the answers (app.services.
survey_tallies); it is filled here from the answers already stored.

Revision ID: 0600
Revises: 0500
Create Date: 2026-12-02 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0600"
down_revision: str | Sequence[str] | None = "0500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_tally",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.Integer(), nullable=False),
        sa.Column("instrument_code", sa.String(length=80), nullable=False),
        sa.Column("item_code", sa.String(length=20), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["survey_campaign.id"]),
        sa.PrimaryKeyConstraint(
            "campaign_id", "service_key", "instrument_code", "item_code", "value"
        ),
    )
    op.execute(
        "INSERT INTO survey_tally "
        "(campaign_id, service_key, instrument_code, item_code, value, answers) "
        "SELECT campaign_id, COALESCE(service_id, 0), instrument_code, item_code, value, "
        "COUNT(*) FROM survey_answer WHERE reportable "
        "GROUP BY campaign_id, COALESCE(service_id, 0), instrument_code, item_code, value"
    )
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answer_service_tally")
        batch_op.drop_index("ix_survey_answer_tally")


def downgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_answer_tally",
            ["campaign_id", "reportable", "instrument_code", "item_code", "value"],
            unique=False,
        )
        batch_op.create_index(
            "ix_survey_answer_service_tally",
            ["campaign_id", "reportable", "service_id", "instrument_code", "item_code", "value"],
            unique=False,
        )
    op.drop_table("survey_tally")
