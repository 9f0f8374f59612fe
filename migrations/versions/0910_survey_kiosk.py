"""survey_kiosk: kiosk devices paired to a campaign; survey_response.kiosk_id

A coordinator registers a tablet for one campaign; the tablet pairs once through a link
and gets a credential that may only post that campaign's answers (docs/surveys-kiosk.md).

Revision ID: 0910
Revises: 0900
Create Date: 2026-12-04 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0910"
down_revision: str | Sequence[str] | None = "0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_kiosk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("source_tag", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("pairing_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pairing_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("token_prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queue_size", sa.Integer(), nullable=True),
        sa.Column("refused_count", sa.Integer(), nullable=False),
        sa.Column("last_refusal", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["survey_campaign.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["survey_service.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pairing_hash"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_survey_kiosk_unit_id", "survey_kiosk", ["unit_id"])
    op.create_index("ix_survey_kiosk_campaign_id", "survey_kiosk", ["campaign_id"])
    op.add_column("survey_response", sa.Column("kiosk_id", sa.Integer(), nullable=True))
    op.create_index("ix_survey_response_kiosk_id", "survey_response", ["kiosk_id"])


def downgrade() -> None:
    op.drop_index("ix_survey_response_kiosk_id", table_name="survey_response")
    with op.batch_alter_table("survey_response") as batch:
        batch.drop_column("kiosk_id")
    op.drop_index("ix_survey_kiosk_campaign_id", table_name="survey_kiosk")
    op.drop_index("ix_survey_kiosk_unit_id", table_name="survey_kiosk")
    op.drop_table("survey_kiosk")
