"""Evidence files in either store, the local folder and S3 (a real SeaweedFS, or the server
ZONA_TEST_S3_URL names): stored under their sha256 and once, read back in pieces, swept when
orphaned, downloaded (streamed, or through a pre-signed URL after the permission check),
checked by `zona check --files` and copied by `zona storage migrate`."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import time

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import get_settings
from app.models.lke.evidence import Evidence
from app.services import storage
from app.services.lke import evidence, evidence_store
from tests.factories import login
from tests.support.lke_review import PDF, PNG
from tests.support.s3 import new_prefix, s3_store_at

#: A PDF over two read pieces (1 MiB each): a download in several chunks.
BIG_PDF = PDF + b"%" + bytes(range(256)) * 9000  # 77 + 1 + 2,304,000 bytes


def _upload(db, world, store, data=PDF, name="sk.pdf", unit="UNIT-A1"):
    return evidence.upload_file(
        db, actor=None, unit_id=world.unit(unit), filename=name, stream=io.BytesIO(data),
        store=store, max_bytes=5 * 1024 * 1024,
    )


def _keys(store) -> list[str]:
    return [item.key for item in store.list("evidence")]


def test_a_file_is_stored_under_its_sha256_and_read_back_in_pieces(db, world, any_store):
    row = _upload(db, world, any_store, data=BIG_PDF, name="besar.pdf")
    digest = hashlib.sha256(BIG_PDF).hexdigest()
    assert row.stored_name == row.sha256 == digest and row.size == 2_304_078
    assert _keys(any_store) == [f"evidence/{digest[:2]}/{digest}"]

    found, file = evidence.open_file(db, actor=None, evidence_id=row.id, store=any_store)
    assert found.id == row.id and file.size == 2_304_078
    pieces = list(file.chunks())
    assert [len(piece) for piece in pieces] == [1_048_576, 1_048_576, 206_926]
    assert b"".join(pieces) == BIG_PDF
    with file.open() as stream:  # a readable binary stream, as the bundle builder reads it
        assert stream.read(8) == b"%PDF-1.4"
        assert stream.read() == BIG_PDF[8:]
    assert (file.local_path is not None) == (any_store.kind == "local")


def test_the_same_bytes_are_stored_once(db, world, any_store, monkeypatch):
    written: list[bool] = []
    real_put = any_store.put

    def put(*args, **kwargs):
        written.append(real_put(*args, **kwargs))
        return written[-1]

    monkeypatch.setattr(any_store, "put", put)
    first = _upload(db, world, any_store, name="sk.pdf")
    second = _upload(db, world, any_store, name="salinan.pdf", unit="UNIT-B1")
    other = _upload(db, world, any_store, data=PNG, name="foto.png")
    assert written == [True, False, True]  # the second upload wrote nothing new
    assert first.stored_name == second.stored_name != other.stored_name
    assert first.id != second.id and second.original_name == "salinan.pdf"
    assert sorted(_keys(any_store)) == sorted(
        f"evidence/{h[:2]}/{h}" for h in (hashlib.sha256(PDF).hexdigest(),
                                          hashlib.sha256(PNG).hexdigest()))
    # each row reads the shared file
    for row in (first, second):
        _, file = evidence.open_file(db, actor=None, evidence_id=row.id, store=any_store)
        assert file.read_bytes() == PDF
    if any_store.kind == "local":  # and no staging file is left behind
        assert not [p for p in (any_store.root / "evidence").iterdir() if p.is_file()]


def test_a_refused_file_stores_nothing(db, world, any_store):
    with pytest.raises(evidence.Invalid):
        _upload(db, world, any_store, data=b"MZ\x90\x00" + b"\x00" * 100, name="setup.pdf")
    with pytest.raises(evidence.TooLarge):
        evidence.upload_file(db, actor=None, unit_id=world.unit("UNIT-A1"), filename="b.pdf",
                             stream=io.BytesIO(BIG_PDF), store=any_store, max_bytes=1000)
    assert [item for item in any_store.list("evidence") if not item.key.endswith("/")] == []
    assert db.exec(select(Evidence)).all() == []


def test_a_file_stored_before_content_addressing_still_opens(db, world, any_store):
    """Rows from before keep their random stored name (40 hex), read from either store."""
    legacy = secrets.token_hex(20)
    with any_store.staging("evidence") as staged:
        staged.file.write(PNG)
        any_store.put(evidence.stored_key(legacy), staged, size=len(PNG))
    row = Evidence(unit_id=world.unit("UNIT-A1"), kind="file", title="lama", stored_name=legacy,
                   original_name="lama.png", media_type="image/png", size=len(PNG),
                   sha256=hashlib.sha256(PNG).hexdigest())
    db.add(row)
    db.commit()
    _, file = evidence.open_file(db, actor=None, evidence_id=row.id, store=any_store)
    assert file.key == f"evidence/{legacy[:2]}/{legacy}" and file.read_bytes() == PNG
    report = evidence_store.check_files(db, store=any_store)
    assert (report.rows, report.files, report.missing, report.orphans) == (1, 1, [], [])


def test_orphans_are_swept_when_old_and_a_reused_one_is_kept(db, world, any_store,
                                                             monkeypatch):
    kept = _upload(db, world, any_store)
    # an upload whose commit fails: the file is stored, no row names it
    with monkeypatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr(db, "commit", lambda: (_ for _ in ()).throw(RuntimeError("db down")))
        _upload(db, world, any_store, data=PNG, name="foto.png")
    png_key = evidence.stored_key(hashlib.sha256(PNG).hexdigest())
    report = evidence_store.check_files(db, store=any_store)
    assert report.orphans == [any_store.location(png_key)] and report.ok
    assert (report.rows, report.files) == (1, 2)

    # younger than the age: reported, not removed
    report = evidence_store.check_files(db, store=any_store, remove_older_than=3600)
    assert report.removed == [] and any_store.stat(png_key) is not None
    # old enough: removed; the file a row names stays
    report = evidence_store.check_files(db, store=any_store, remove_older_than=3600,
                                        now=time.time() + 3601)
    assert report.removed == [any_store.location(png_key)]
    assert _keys(any_store) == [evidence.stored_key(kept.stored_name)]

    # an orphan that a new upload of the same bytes finds is made young again, so a sweep
    # racing with that upload's commit leaves it alone
    with monkeypatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr(db, "commit", lambda: (_ for _ in ()).throw(RuntimeError("db down")))
        _upload(db, world, any_store, data=PNG, name="foto.png")
    if any_store.kind == "local":
        path = any_store.local_path(png_key)
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    else:
        time.sleep(1.1)  # S3 keeps LastModified in whole seconds
    before = any_store.stat(png_key).modified
    reused = _upload(db, world, any_store, data=PNG, name="foto lagi.png")
    assert any_store.stat(png_key).modified > before
    report = evidence_store.check_files(db, store=any_store, remove_older_than=3600)
    assert report.orphans == [] and report.removed == []
    _, file = evidence.open_file(db, actor=None, evidence_id=reused.id, store=any_store)
    assert file.read_bytes() == PNG


def test_missing_and_damaged_files_are_found_in_either_store(db, world, any_store):
    absent = _upload(db, world, any_store)
    damaged = _upload(db, world, any_store, data=PNG, name="foto.png")
    fine = _upload(db, world, any_store, data=PDF + b"% baik", name="baik.pdf")
    any_store.delete(evidence.stored_key(absent.stored_name))
    with any_store.staging("evidence") as staged:  # same size, one byte changed
        staged.file.write(PNG[:-1] + b"\x01")
        any_store.put(evidence.stored_key(damaged.stored_name), staged, size=len(PNG),
                      replace=True)
    report = evidence_store.check_files(db, store=any_store)
    found = hashlib.sha256(PNG[:-1] + b"\x01").hexdigest()
    assert {(m.evidence_id, m.reason) for m in report.missing} == {
        (absent.id, "absent"),
        (damaged.id, f"sha256 {found[:12]}..., stored {damaged.sha256[:12]}..."),
    }
    assert fine.id not in {m.evidence_id for m in report.missing}
    # and a deleted evidence whose file is gone cannot be restored
    evidence.delete(db, actor=None, evidence_id=absent.id)
    with pytest.raises(evidence.Invalid):
        evidence.restore(db, actor=None, evidence_id=absent.id, store=any_store)
    evidence.delete(db, actor=None, evidence_id=fine.id)
    assert evidence.restore(db, actor=None, evidence_id=fine.id,
                            store=any_store).deleted_at is None


# --- through the app -----------------------------------------------------------------------


async def _api_upload(client, csrf, unit_id, name, data, media="application/pdf"):
    return await client.post(
        f"/api/v1/units/{unit_id}/evidence", data={"csrf_token": csrf},
        files={"file": (name, data, media)}, headers={"X-CSRF-Token": csrf},
    )


async def test_upload_and_streamed_download_through_both_faces(client, world, db, app_store):
    csrf = await login(client, "member_a1")
    response = await _api_upload(client, csrf, world.unit("UNIT-A1"), "Laporan Besar.pdf",
                                 BIG_PDF)
    assert response.status_code == 201, response.text
    digest = hashlib.sha256(BIG_PDF).hexdigest()
    assert response.json()["sha256"] == digest
    assert app_store.stat(f"evidence/{digest[:2]}/{digest}").size == len(BIG_PDF)
    evidence_id = response.json()["id"]
    for url in (f"/api/v1/evidence/{evidence_id}/download", f"/evidence/{evidence_id}/download"):
        download = await client.get(url)
        assert download.status_code == 200, download.text
        assert download.content == BIG_PDF
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-length"] == str(len(BIG_PDF))
        assert download.headers["content-disposition"] == \
            "attachment; filename*=utf-8''Laporan%20Besar.pdf"
        assert download.headers["cache-control"] == "private, no-store"
        assert "sandbox" in download.headers["content-security-policy"]
    # another unit's member gets nothing
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await login(other, "member_b1")
        refused = await other.get(f"/api/v1/evidence/{evidence_id}/download")
        assert refused.status_code == 403 and BIG_PDF[:8] not in refused.content


async def test_presigned_download_redirects_only_after_the_permission_check(
        client, world, db, app, settings, s3_server):
    prefix = new_prefix()
    app.state.settings = settings.model_copy(update={
        **s3_server.settings(prefix), "s3_presigned_downloads": True, "s3_presign_seconds": 30})
    try:
        csrf = await login(client, "member_a1")
        response = await _api_upload(client, csrf, world.unit("UNIT-A1"), "SK Tim.pdf", PDF)
        assert response.status_code == 201, response.text
        evidence_id = response.json()["id"]
        download = await client.get(f"/api/v1/evidence/{evidence_id}/download")
        assert download.status_code == 307
        assert download.headers["cache-control"] == "private, no-store"
        location = download.headers["location"]
        assert location.startswith(f"{s3_server.endpoint_url}/zona-test/{prefix}/evidence/")
        assert "X-Amz-Expires=30" in location and "X-Amz-Signature=" in location
        fetched = httpx.get(location)  # the browser, at the store
        assert fetched.status_code == 200 and fetched.content == PDF
        assert fetched.headers["content-disposition"] == \
            "attachment; filename*=UTF-8''SK%20Tim.pdf"
        assert fetched.headers["content-type"] == "application/pdf"
        # the page link too; nobody else gets an address
        assert (await client.get(f"/evidence/{evidence_id}/download")).status_code == 307
        other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        async with other:
            await login(other, "member_b1")
            refused = await other.get(f"/api/v1/evidence/{evidence_id}/download")
            assert refused.status_code == 403 and "location" not in refused.headers
        # with the setting off, the same file is streamed by Zona
        app.state.settings = settings.model_copy(update=s3_server.settings(prefix))
        download = await client.get(f"/api/v1/evidence/{evidence_id}/download")
        assert download.status_code == 200 and download.content == PDF
    finally:
        app.state.settings = settings


async def test_an_unreachable_store_is_a_503_and_changes_nothing(client, world, db, app,
                                                                 settings):
    app.state.settings = settings.model_copy(update={
        "storage_url": "s3://zona-test/x", "s3_endpoint_url": "http://127.0.0.1:9",
        "s3_access_key_id": "k", "s3_secret_access_key": "s"})
    try:
        csrf = await login(client, "member_a1")
        response = await _api_upload(client, csrf, world.unit("UNIT-A1"), "sk.pdf", PDF)
        assert response.status_code == 503, response.text
        assert "Penyimpanan berkas" in response.json()["detail"]
        assert response.json()["detail_en"] == \
            "The file store cannot be reached right now; try again in a moment."
        assert db.exec(select(Evidence)).all() == []
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["uploads"] is False
    finally:
        app.state.settings = settings


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def zona(monkeypatch, database_url, settings, tmp_path):
    """`zona ...` against the test database, with the environment given per call."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, object]):
        for name, value in {"ZONA_DATABASE_URL": database_url,
                            "ZONA_DATA_DIR": str(settings.data_dir), **env}.items():
            monkeypatch.setenv(name if name.startswith("ZONA_") else f"ZONA_{name.upper()}",
                               str(value))
        get_settings.cache_clear()
        try:
            return runner.invoke(cli, list(args), catch_exceptions=False)
        finally:
            get_settings.cache_clear()

    return invoke


def test_check_files_works_on_s3(db, world, s3_server, zona):
    prefix = new_prefix()
    store = s3_store_at(s3_server, prefix)
    kept = _upload(db, world, store)
    lost = _upload(db, world, store, data=PNG, name="foto.png")
    store.delete(evidence.stored_key(lost.stored_name))
    result = zona("check", "--files", env=s3_server.settings(prefix))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"uploads     : s3://zona-test/{prefix} at {s3_server.endpoint_url}" in lines
    assert "files       : 2 evidence file(s) in the database, 1 file(s) in the store " \
           "(size and sha256 compared)" in lines
    assert f"  evidence {lost.id}: {store.location(evidence.stored_key(lost.stored_name))} " \
           "(absent)" in lines
    assert not any(f"evidence {kept.id}:" in line for line in lines)


def test_storage_migrate_copies_a_local_store_into_s3_and_verifies_every_hash(
        db, world, s3_server, zona, tmp_path):
    local = storage.local(tmp_path / "uploads")
    rows = [_upload(db, world, local, data=data, name=name) for data, name in (
        (PDF, "sk.pdf"), (PNG, "foto.png"), (BIG_PDF, "besar.pdf"), (PDF, "salinan.pdf"))]
    legacy = secrets.token_hex(20)  # a file stored before content addressing
    path = local.local_path(evidence.stored_key(legacy))
    path.parent.mkdir(parents=True)
    path.write_bytes(PDF + b"% lama")
    db.add(Evidence(unit_id=world.unit("UNIT-A1"), kind="file", title="lama", stored_name=legacy,
                    original_name="lama.pdf", media_type="application/pdf", size=len(PDF) + 6,
                    sha256=hashlib.sha256(PDF + b"% lama").hexdigest()))
    db.commit()
    prefix = new_prefix()
    env = {**s3_server.settings(prefix), "upload_dir": tmp_path / "uploads"}

    result = zona("storage", "migrate", env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # four distinct files (two rows share the PDF), each copied and verified
    assert sum(": copied, verified" in line for line in lines) == 4
    assert lines[-2] == "files       : 4 named by the database; 4 copied, 0 already there; " \
                        "every sha256 verified in the target"
    assert lines[-1] == "OK"
    store = s3_store_at(s3_server, prefix)
    for row in rows:
        _, file = evidence.open_file(db, actor=None, evidence_id=row.id, store=store)
        assert hashlib.sha256(file.read_bytes()).hexdigest() == row.sha256
    assert store.sha256(evidence.stored_key(legacy)) == hashlib.sha256(PDF + b"% lama").hexdigest()

    # a second run copies nothing
    again = zona("storage", "migrate", env=env)
    assert again.exit_code == 0, again.output
    assert "files       : 4 named by the database; 0 copied, 4 already there; every sha256 " \
           "verified in the target" in again.output.splitlines()

    # a damaged source file (same size) is not copied over, and the exit code says so
    damaged = local.local_path(evidence.stored_key(rows[1].stored_name))
    damaged.write_bytes(PNG[:-1] + b"\x01")
    found = hashlib.sha256(PNG[:-1] + b"\x01").hexdigest()
    store.delete(evidence.stored_key(rows[1].stored_name))
    failed = zona("storage", "migrate", env=env)
    assert failed.exit_code == 1
    assert f"evidence/{rows[1].sha256[:2]}/{rows[1].sha256}: MISMATCH: the source's sha256 " \
           f"is {found[:12]}..., the database's " \
           f"{rows[1].sha256[:12]}...: not copied" in failed.output
    assert store.stat(evidence.stored_key(rows[1].stored_name)) is None


def test_storage_migrate_needs_an_s3_target(zona, tmp_path):
    result = zona("storage", "migrate", env={"storage_url": "", "upload_dir": tmp_path})
    assert result.exit_code == 1
    assert "ZONA_STORAGE_URL=s3://bucket/prefix" in result.output


def test_migrate_files_copies_into_either_kind_of_store(db, world, any_store, tmp_path):
    """The copy behind `zona storage migrate`, into a folder or a bucket alike."""
    local = storage.local(tmp_path / "source")
    rows = [_upload(db, world, local, data=data, name=name)
            for data, name in ((PDF, "sk.pdf"), (PNG, "foto.png"), (PDF, "lagi.pdf"))]
    lines: list[str] = []
    report = evidence_store.migrate_files(db, source=local, target=any_store,
                                          progress=lines.append)
    assert (report.files, report.copied, report.present, report.problems) == (2, 2, 0, [])
    assert len(lines) == 2 and all(line.endswith("bytes)") for line in lines)
    for row in rows:
        _, file = evidence.open_file(db, actor=None, evidence_id=row.id, store=any_store)
        assert hashlib.sha256(file.read_bytes()).hexdigest() == row.sha256
    again = evidence_store.migrate_files(db, source=local, target=any_store)
    assert (again.copied, again.present, again.ok) == (0, 2, True)


async def test_with_a_local_store_the_presign_setting_still_streams(client, world, db, app,
                                                                    settings, tmp_path):
    app.state.settings = settings.model_copy(update={
        "upload_dir": tmp_path / "uploads", "s3_presigned_downloads": True})
    try:
        csrf = await login(client, "member_a1")
        response = await _api_upload(client, csrf, world.unit("UNIT-A1"), "sk.pdf", PDF)
        download = await client.get(f"/api/v1/evidence/{response.json()['id']}/download")
        assert download.status_code == 200 and download.content == PDF
    finally:
        app.state.settings = settings
