"""evidence content addressed: several rows may name one stored file

Evidence files are stored under their sha256 (app/services/storage, docs/storage.md): two
uploads of the same bytes share one stored file, so ``evidence.stored_name`` is no longer
unique; it keeps a plain index (the orphan sweep and restore look rows up by it).

The downgrade puts the unique constraint back, which fails while two rows share a file.

Revision ID: 0980
Revises: 0950
Create Date: 2026-12-04 16:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0980"
down_revision: str | Sequence[str] | None = "0950"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: SQLite's constraint has no name (created inline in 0110): named by this convention for
#: the batch copy of the table.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name() -> str:
    # PostgreSQL named it when 0110 created the table.
    return "evidence_stored_name_key" if op.get_bind().dialect.name == "postgresql" \
        else "uq_evidence_stored_name"


def upgrade() -> None:
    with op.batch_alter_table("evidence", naming_convention=NAMING) as batch:
        batch.drop_constraint(_unique_name(), type_="unique")
        batch.create_index("ix_evidence_stored_name", ["stored_name"])


def downgrade() -> None:
    with op.batch_alter_table("evidence", naming_convention=NAMING) as batch:
        batch.drop_index("ix_evidence_stored_name")
        batch.create_unique_constraint(_unique_name(), ["stored_name"])
