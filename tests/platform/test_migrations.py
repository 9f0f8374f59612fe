"""The schema comes from the migrations, upgrades from empty, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.migrate import at_head, head_revisions


def test_database_is_at_head(engine):
    assert at_head(engine)
    assert head_revisions(engine.url.render_as_string(hide_password=False))


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_from_empty(scratch_database_url):
    """A brand-new database of the same kind upgrades to head."""
    from app.db import make_engine
    from app.migrate import upgrade

    url = scratch_database_url
    upgrade(url)
    engine = make_engine(url)
    assert at_head(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"unit", "user_account", "membership", "api_token", "audit_record"} <= tables
    engine.dispose()


def test_migrations_have_a_single_head(database_url):
    """Branches made in parallel are merged, so every database ends on one revision."""
    assert len(head_revisions(database_url)) == 1


def test_0600_fills_the_survey_tallies_from_the_answers_already_stored(scratch_database_url):
    """A database with answers from before the tallies gets them counted on upgrade."""
    from alembic import command
    from sqlalchemy import text

    from app.db import make_engine
    from app.migrate import alembic_config

    url = scratch_database_url
    command.upgrade(alembic_config(url), "0500")
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO unit (id, code, name, level, timezone, created_at) "
            "VALUES (1, 'U', 'Unit', 'unit', 'Asia/Jakarta', '2026-01-01')"))
        c.execute(text(
            "INSERT INTO survey_campaign (id, unit_id, title, public_code, instrument_ids, "
            "period_kind, period_label, year, opens_on, closes_on, population, status, "
            "timezone, is_demo, created_at, updated_at) VALUES (1, 1, 'S', 'abc', '[]', "
            "'year', '2025', 2025, '2025-01-01', '2025-12-31', 100, 'open', "
            "'Asia/Jakarta', false, '2025-01-01', '2025-01-01')"))
        for rid, (v1, v2, reportable) in enumerate([(4, 3, True), (4, 2, True),
                                                    (1, 1, False)], start=1):
            c.execute(text(
                "INSERT INTO survey_response (id, campaign_id, submitted_at, channel, "
                "suspect, reportable, profile) "
                "VALUES (:id, 1, '2025-03-01', 'web', :s, :r, :p)"),
                {"id": rid, "s": not reportable, "r": reportable,
                 "p": ['{"gender": "L", "age_group": ""}', "null", '{"gender": "P"}'][rid - 1]})
            for item, value in (("U1", v1), ("U2", v2)):
                c.execute(text(
                    "INSERT INTO survey_answer (response_id, instrument_code, item_code, "
                    "value, campaign_id, service_id, reportable) "
                    "VALUES (:id, 'ikm-2017', :item, :v, 1, NULL, :r)"),
                    {"id": rid, "item": item, "v": value, "r": reportable})
    command.upgrade(alembic_config(url), "heads")
    with engine.connect() as c:
        rows = set(c.execute(text(
            "SELECT campaign_id, service_key, item_code, value, answers FROM survey_tally")))
    # Two reportable responses: U1 = 4, 4; U2 = 3, 2; the suspect one counts nothing.
    assert rows == {(1, 0, "U1", 4, 2), (1, 0, "U2", 3, 1), (1, 0, "U2", 2, 1)}
    with engine.connect() as c:
        rows = set(c.execute(text(
            "SELECT campaign_id, service_key, state, profile_field, profile_option, "
            "respondents FROM survey_respondent_tally")))
    # Counted: responses 1 and 2 (1 said gender L, its empty age is no answer); the
    # suspect response 3 (gender P) is pending review (state 1).
    assert rows == {(1, 0, 0, "", "", 2), (1, 0, 0, "gender", "L", 1),
                    (1, 0, 1, "", "", 1), (1, 0, 1, "gender", "P", 1)}
    engine.dispose()


def test_heads_read_from_the_files_are_alembics(database_url):
    """/readyz reads the newest revisions from the migration files without Alembic: the same
    answer as Alembic's script directory (merges included: 0400 and 0500 have two or three
    parents)."""
    from app.migrate import script_heads

    assert set(script_heads()) == head_revisions(database_url)


def test_a_database_behind_is_not_at_head(scratch_database_url):
    """The stored revision is read with a plain SELECT: an empty database (no version table)
    and one stopped at an older revision are both behind."""
    from alembic import command

    from app.db import make_engine
    from app.migrate import alembic_config, current_revisions, stored_revisions

    engine = make_engine(scratch_database_url)
    assert stored_revisions(engine) == set() and not at_head(engine)
    command.upgrade(alembic_config(scratch_database_url), "0500")
    assert stored_revisions(engine) == current_revisions(engine) == {"0500"}
    assert not at_head(engine)
    engine.dispose()
