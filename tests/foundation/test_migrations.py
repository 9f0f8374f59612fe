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


def test_upgrade_from_empty(tmp_path, database_url):
    """A brand-new database of the same kind upgrades to head."""
    import os

    from app.db import make_engine
    from app.migrate import upgrade
    from tests.conftest import _create_postgres_database, _drop_postgres_database

    base = os.environ.get("ZONA_TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        url = _create_postgres_database(base)
    else:
        url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    try:
        upgrade(url)
        engine = make_engine(url)
        assert at_head(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"unit", "user_account", "membership", "api_token", "audit_record"} <= tables
        engine.dispose()
    finally:
        if base.startswith("postgresql"):
            _drop_postgres_database(url)


def test_migrations_have_a_single_head(database_url):
    """Branches made in parallel are merged, so every database ends on one revision."""
    assert len(head_revisions(database_url)) == 1
