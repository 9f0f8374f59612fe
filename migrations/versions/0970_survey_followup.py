"""survey follow-up plan: actions on the weak elements of a campaign

One row per action (what, who, by when, status, evidence) on one element of a campaign's
instrument, optionally linked to the action-plan item it was copied into
(app/services/surveys/followups.py, docs/surveys-report.md).

Revision ID: 0970
Revises: 0960
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0970"
down_revision: str | Sequence[str] | None = "0960"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("instrument_code", sa.String(length=80), nullable=False),
        sa.Column("element_code", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("evidence_title", sa.String(length=200), nullable=False),
        sa.Column("evidence_url", sa.String(length=500), nullable=False),
        sa.Column("action_item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["survey_campaign.id"]),
        sa.ForeignKeyConstraint(["action_item_id"], ["action_item.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_followup_unit_id", "survey_followup", ["unit_id"])
    op.create_index("ix_survey_followup_campaign_id", "survey_followup", ["campaign_id"])
    op.create_index("ix_survey_followup_action_item_id", "survey_followup", ["action_item_id"])


def downgrade() -> None:
    op.drop_index("ix_survey_followup_action_item_id", table_name="survey_followup")
    op.drop_index("ix_survey_followup_campaign_id", table_name="survey_followup")
    op.drop_index("ix_survey_followup_unit_id", table_name="survey_followup")
    op.drop_table("survey_followup")
