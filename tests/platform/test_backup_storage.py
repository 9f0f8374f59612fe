"""`zona backup` / `zona restore` with evidence in an S3 store (a real SeaweedFS): the
archive holds the bucket's evidence objects under the same names as a local folder's, so an
archive restores into either kind of store."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import Settings, get_settings
from app.db import make_engine
from app.models.lke.evidence import Evidence
from app.services import storage, units
from app.services.lke import evidence
from tests.support.s3 import new_prefix

PDF = b"%PDF-1.4\n% bukti dukung\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def zona(monkeypatch):
    runner = CliRunner()

    def invoke(settings: Settings, *args: str):
        for name in ("ZONA_SECRET_KEY", "ZONA_UPLOAD_DIR", "ZONA_STORAGE_URL"):
            monkeypatch.delenv(name, raising=False)
        values = {"database_url": settings.database_url, "data_dir": settings.data_dir,
                  "storage_url": settings.storage_url,
                  **{k: getattr(settings, k) for k in Settings.model_fields
                     if k.startswith("s3_") and getattr(settings, k)}}
        for name, value in values.items():
            monkeypatch.setenv(f"ZONA_{name.upper()}", str(value))
        get_settings.cache_clear()
        try:
            return runner.invoke(cli, list(args), catch_exceptions=False)
        finally:
            get_settings.cache_clear()

    return invoke


def _instance(url: str, data_dir: Path, **extra) -> Settings:
    values = {"secret_key": "", "upload_dir": None, "storage_url": "", **extra}
    return Settings(database_url=url, data_dir=data_dir, **values)


def _upload_two(db: Session, store) -> dict[str, bytes]:
    unit = units.create(db, actor=None, code="KEMEN", name="Kementerian Uji", level="ministry")
    contents = {}
    for name, data in (("sk.pdf", PDF), ("foto.png", PNG)):
        row = evidence.upload_file(db, actor=None, unit_id=unit.id, filename=name,
                                   stream=io.BytesIO(data), store=store, max_bytes=10**6)
        contents[row.stored_name] = data
    return contents


def test_an_s3_store_is_backed_up_and_restored_into_a_local_folder(
        db, database_url, scratch_database_url, s3_server, zona, tmp_path):
    source = _instance(database_url, tmp_path / "source", **s3_server.settings(new_prefix()))
    store = storage.from_settings(source)
    contents = _upload_two(db, store)
    archive = tmp_path / "zona.tar"
    made = zona(source, "backup", "--target", str(archive))
    assert made.exit_code == 0, made.output
    assert f"uploads: 2 files to copy from {store.describe()}" in made.output
    with tarfile.open(archive) as tar:
        uploads = {m.name: tar.extractfile(m).read() for m in tar.getmembers()
                   if m.name.startswith("uploads/")}
    assert uploads == {f"uploads/evidence/{h[:2]}/{h}": data for h, data in contents.items()}

    # into a local folder
    local = _instance(scratch_database_url, tmp_path / "local")
    restored = zona(local, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    for stored_name, data in contents.items():
        assert evidence.stored_path(local.resolved_upload_dir(), stored_name).read_bytes() \
            == data


def test_a_local_backup_restores_into_an_empty_s3_store_only(
        db, database_url, scratch_database_url, s3_server, zona, tmp_path):
    source = _instance(database_url, tmp_path / "source")
    contents = _upload_two(db, storage.from_settings(source))
    archive = tmp_path / "zona.tar"
    assert zona(source, "backup", "--target", str(archive)).exit_code == 0

    target = _instance(scratch_database_url, tmp_path / "target",
                       **s3_server.settings(new_prefix()))
    store = storage.from_settings(target)
    # a store that holds files already is refused, and nothing is written
    with store.staging("evidence") as staged:
        staged.file.write(b"lain")
        store.put("evidence/la/lain", staged, size=4)
    refused = zona(target, "restore", str(archive))
    assert refused.exit_code == 1
    assert f"the file store {store.describe()} holds 1 files" in refused.output
    store.delete("evidence/la/lain")

    restored = zona(target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert sorted(item.key for item in store.list("evidence")) == sorted(
        f"evidence/{h[:2]}/{h}" for h in contents)
    engine = make_engine(scratch_database_url)
    try:
        with Session(engine) as session:
            for row in session.exec(select(Evidence)).all():
                _, file = evidence.open_file(session, actor=None, evidence_id=row.id,
                                             store=store)
                assert hashlib.sha256(file.read_bytes()).hexdigest() == row.sha256
                assert file.read_bytes() == contents[row.stored_name]
    finally:
        engine.dispose()
