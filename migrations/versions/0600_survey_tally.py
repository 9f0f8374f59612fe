"""survey_tally, survey_respondent_tally: running counts replace the two tally indexes

The indices need, per campaign (and service), item and value, how many reportable answers
there are. Two covering indexes on survey_answer answered that with a GROUP BY over every
answer; each stored answer had to go into both, which was most of the cost of storing a
survey response on SQLite (measured: 127 us a response in batches of 25, 65 us without them).
survey_tally holds the counts themselves, updated with the answers (app.services.
survey_tallies); survey_respondent_tally the same for the responses (how many per state and
profile answer, which the results page counted over every response). Both are filled here
from what is already stored.

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
    op.create_table(
        "survey_respondent_tally",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("service_key", sa.Integer(), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("profile_field", sa.String(length=40), nullable=False),
        sa.Column("profile_option", sa.String(length=40), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["survey_campaign.id"]),
        sa.PrimaryKeyConstraint(
            "campaign_id", "service_key", "state", "profile_field", "profile_option"
        ),
    )
    # The same counting as app.services.surveys.tallies.recount_respondents (frozen here).
    state = ("CASE WHEN reportable THEN 0 WHEN suspect AND review_decision IS NULL THEN 1 "
             "ELSE 2 END")
    columns = "campaign_id, service_key, state, profile_field, profile_option, respondents"
    op.execute(
        f"INSERT INTO survey_respondent_tally ({columns}) "
        f"SELECT campaign_id, COALESCE(service_id, 0), {state}, '', '', COUNT(*) "
        f"FROM survey_response GROUP BY campaign_id, COALESCE(service_id, 0), {state}"
    )
    if op.get_bind().dialect.name == "postgresql":
        pairs, is_object = "json_each_text(r.profile) AS p(key, value)", "json_typeof"
    else:
        pairs, is_object = "json_each(r.profile) AS p", "json_type"
    op.execute(
        f"INSERT INTO survey_respondent_tally ({columns}) "
        f"SELECT r.campaign_id, COALESCE(r.service_id, 0), {state}, p.key, p.value, COUNT(*) "
        f"FROM survey_response r, {pairs} WHERE r.profile IS NOT NULL "
        f"AND {is_object}(r.profile) = 'object' AND p.value IS NOT NULL AND p.value <> '' "
        f"GROUP BY r.campaign_id, COALESCE(r.service_id, 0), {state}, p.key, p.value"
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
    op.drop_table("survey_respondent_tally")
    op.drop_table("survey_tally")
