"""Fixtures for the LKE worksheet tests: the bundled framework stored, an assessment."""

from __future__ import annotations

import pytest

from app.services.lke import assessments, frameworks


@pytest.fixture
def framework_row(db):
    """The bundled LKE framework stored in the database (tables are wiped after each test)."""
    frameworks.sync_bundled(db)
    return frameworks.latest(db)


@pytest.fixture
def assessment_a1(db, world, framework_row):
    """UNIT-A1's 2024 assessment, target WBK, no answers yet."""
    return assessments.create(
        db, actor=None, unit_id=world.unit("UNIT-A1"), year=2024, target="WBK"
    )


@pytest.fixture
def current_store(request, settings):
    """The file store the app works on: ``app_store``'s when the test takes it (the test
    then runs on the local folder and on S3), else the test settings' local folder."""
    if "app_store" in request.fixturenames:
        return request.getfixturevalue("app_store")
    from app.services import storage

    return storage.local(settings.resolved_upload_dir())
