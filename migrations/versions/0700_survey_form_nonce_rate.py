"""survey_form_nonce, survey_campaign_rate: single-use form tokens and per-campaign velocity

The public form's token now carries a random nonce; the answer that uses a form first
records it in survey_form_nonce (its primary key makes a form good for one counted answer).
survey_campaign_rate counts each campaign's clean answers per minute, for the velocity check
(app.domain.surveys.guard). Both start empty: forms served before this version carry no
nonce and are kept as suspect ("no_form_time") when sent afterwards.

Revision ID: 0700
Revises: 0600
Create Date: 2026-12-03 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0700"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_form_nonce",
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["survey_campaign.id"]),
        sa.PrimaryKeyConstraint("nonce"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "survey_campaign_rate",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["survey_campaign.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "minute"),
    )


def downgrade() -> None:
    op.drop_table("survey_campaign_rate")
    op.drop_table("survey_form_nonce")
