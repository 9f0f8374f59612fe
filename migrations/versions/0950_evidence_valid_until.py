"""evidence validity: an optional valid_until date on each evidence

Evidence (a certificate, a decree, an agreement) can be valid until a date; the daily season
check warns the unit's coordinators and the uploader 14 days ahead and once it has expired
(app/services/season/jobs.py check_evidence, docs/season.md).

Revision ID: 0950
Revises: 0920
Create Date: 2026-12-04 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0950"
down_revision: str | Sequence[str] | None = "0920"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch.create_index("ix_evidence_valid_until", ["valid_until"])


def downgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.drop_index("ix_evidence_valid_until")
        batch.drop_column("valid_until")
