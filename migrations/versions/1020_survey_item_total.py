"""survey_item_total: per campaign, service and item, the answers and the sum of their values

survey_tally summed over the answer value (and, with service_key -1, over the services as
well), kept by app.services.surveys.tallies with the tallies, so the roll-up's survey
indices read ~one row per campaign and item instead of every tally row. Backfilled here
from survey_tally.

Revision ID: 1020
Revises: 1010
Create Date: 2026-12-04 17:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1020"
down_revision: str | Sequence[str] | None = "1010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL_SERVICES = -1  # frozen copy of app.models.surveys.records.ALL_SERVICES


def upgrade() -> None:
    op.create_table(
        "survey_item_total",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.Integer(), nullable=False),
        sa.Column("instrument_code", sa.String(length=80), nullable=False),
        sa.Column("item_code", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("value_total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["survey_campaign.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "service_key", "instrument_code", "item_code"),
        sqlite_with_rowid=False,
    )
    # The same sums as app.services.surveys.tallies.recount_item_totals (frozen here).
    columns = "campaign_id, service_key, instrument_code, item_code, answers, value_total"
    sums = "SUM(answers), SUM(answers * value)"
    op.execute(
        f"INSERT INTO survey_item_total ({columns}) "
        f"SELECT campaign_id, service_key, instrument_code, item_code, {sums} "
        "FROM survey_tally WHERE answers <> 0 "
        "GROUP BY campaign_id, service_key, instrument_code, item_code"
    )
    op.execute(
        f"INSERT INTO survey_item_total ({columns}) "
        f"SELECT campaign_id, {ALL_SERVICES}, instrument_code, item_code, {sums} "
        "FROM survey_tally WHERE answers <> 0 "
        "GROUP BY campaign_id, instrument_code, item_code"
    )


def downgrade() -> None:
    op.drop_table("survey_item_total")
