"""merge the survey guard branch (0210) with 0400_perf: one head again

Revision ID: 0500
Revises: 0210, 0400_perf
Create Date: 2026-11-29 15:15:00
"""

from collections.abc import Sequence

revision: str = "0500"
down_revision: str | Sequence[str] | None = ("0210", "0400_perf")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
