"""Fixtures for the file stores (registered by tests/conftest.py ``pytest_plugins``).

``s3_server``: one real S3 server for the session: the one named by ``ZONA_TEST_S3_URL``
(and ``ZONA_TEST_S3_ENDPOINT_URL``, ``..._ACCESS_KEY_ID``, ``..._SECRET_ACCESS_KEY``; `.ci/run`
starts one SeaweedFS for its whole run and exports them), else a SeaweedFS started here and
stopped at the end of the session, whatever happened.

``any_store``: each test that takes it runs twice, on the local folder and on S3, with a
fresh store (a new folder, or a new key prefix in the bucket); ``s3_settings(prefix)`` gives
Zona settings that name the server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.services import storage
from app.services.storage import FileStore
from tests.support.seaweedfs import S3Server, SeaweedFS, ensure_bucket


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    server = S3Server.from_env()
    if server is not None:
        ensure_bucket(server)
        yield server
        return
    weed = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield weed.start()
    finally:
        weed.stop()


def s3_store_at(server: S3Server, prefix: str, **options) -> FileStore:
    """A store on the test server under its own key prefix (no other test's keys)."""
    values = server.settings(prefix)
    return storage.s3_store(
        str(values["storage_url"]), server.endpoint_url, server.region, server.access_key_id,
        server.secret_access_key, "path", options.get("public_endpoint_url", ""),
        options.get("presigned_downloads", False), options.get("presign_seconds", 60),
    )


def new_prefix() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["local", "s3"])
def any_store(request, tmp_path) -> FileStore:
    """A fresh, empty store of each kind in turn."""
    if request.param == "local":
        return storage.local(tmp_path / "store")
    return s3_store_at(request.getfixturevalue("s3_server"), new_prefix())


@pytest.fixture
def s3_store(s3_server) -> FileStore:
    """A fresh, empty S3 store (its own key prefix)."""
    return s3_store_at(s3_server, new_prefix())


@pytest.fixture(params=["local", "s3"])
def app_store(request, app, settings, tmp_path) -> Iterator[FileStore]:
    """The test app working on a fresh store of each kind in turn (its settings swapped for
    the test: a new upload folder, or S3 under a new prefix); yields that store."""
    if request.param == "local":
        changed = settings.model_copy(update={"upload_dir": tmp_path / "uploads",
                                              "storage_url": ""})
    else:
        server = request.getfixturevalue("s3_server")
        changed = settings.model_copy(update=server.settings(new_prefix()))
    app.state.settings = changed
    try:
        yield storage.from_settings(changed)
    finally:
        app.state.settings = settings
