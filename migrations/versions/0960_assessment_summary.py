"""assessment_summary: each live assessment's scores, verdict and progress, kept current

Dashboards and lists scored every assessment they showed (113 answers each) on every request;
a ministry's roll-up would score a thousand. The services now keep one summary row per live
assessment in the transaction that changes it (app.services.lke.summary). Scoring needs the
framework in Python, so the rows of assessments that already exist are filled by
`zona migrate` right after this migration (or `zona recount-lke`); until then the pages
compute a missing summary on the fly.

Revision ID: 0960
Revises: 0950
Create Date: 2026-12-04 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0960"
down_revision: str | Sequence[str] | None = "0950"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_summary",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("review_round", sa.Integer(), nullable=False),
        sa.Column("review_level", sa.String(length=20), nullable=True),
        sa.Column("self_total", sa.String(length=40), nullable=False),
        sa.Column("self_score", sa.Float(), nullable=False),
        sa.Column("node_scores", sa.JSON(), nullable=False),
        sa.Column("regional_total", sa.String(length=40), nullable=True),
        sa.Column("tpi_total", sa.String(length=40), nullable=True),
        sa.Column("holds_wbk", sa.Boolean(), nullable=False),
        sa.Column("verdict_passed", sa.Boolean(), nullable=False),
        sa.Column("verdict_failed", sa.JSON(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("evidence_covered", sa.Integer(), nullable=False),
        sa.Column("evidence_expected", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["framework_id"], ["lke_framework.id"]),
        sa.PrimaryKeyConstraint("assessment_id"),
    )
    with op.batch_alter_table("assessment_summary") as batch:
        batch.create_index("ix_assessment_summary_unit_id", ["unit_id"])
        batch.create_index("ix_assessment_summary_year", ["year"])
        batch.create_index("ix_assessment_summary_status", ["status"])


def downgrade() -> None:
    op.drop_table("assessment_summary")
