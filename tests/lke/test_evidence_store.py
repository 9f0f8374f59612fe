"""Evidence files are on disk before their row is committed, and `zona check --files` finds
what a crash or a lost disk leaves: orphans, temporary files, missing or damaged files."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import get_settings
from app.models.audit import AuditRecord
from app.models.lke.evidence import Evidence
from app.services import durable_files
from app.services.lke import evidence, evidence_store
from tests.support.fs_events import record_fs_events
from tests.support.lke_review import PDF, PNG


def _files(upload_dir):
    folder = upload_dir / "evidence"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _upload(db, world, upload_dir, data=PDF, name="sk.pdf"):
    return evidence.upload_file(
        db, actor=None, unit_id=world.unit("UNIT-A1"), filename=name, stream=io.BytesIO(data),
        upload_dir=upload_dir, max_bytes=1024 * 1024,
    )


class DiskFull(Exception):
    pass


def _failing_commit(db, patch, upload_dir, seen: list) -> None:
    """The session's commit fails (a full disk, a lost connection); ``seen`` gets what was
    in the store when it was called."""

    def commit():
        seen.append(_files(upload_dir))
        raise DiskFull("database or disk is full")

    patch.setattr(db, "commit", commit)


def test_the_file_is_in_place_and_synced_before_the_row_is_committed(db, world, tmp_path,
                                                                      monkeypatch):
    events = record_fs_events(monkeypatch)
    real_commit = db.commit

    def commit():
        events.append("commit")
        real_commit()

    monkeypatch.setattr(db, "commit", commit)
    row = _upload(db, world, tmp_path)
    # the content synced, then renamed into place, the folder synced, and only then the
    # commit (new folders, evidence/<xx>/, are synced into their parents on the way)
    assert events[-3:] == ["rename", "fsync dir", "commit"]
    assert "fsync file" in events[:-3] and events.count("rename") == 1
    assert _files(tmp_path) == [evidence.stored_path(tmp_path, row.stored_name)]


def test_a_commit_that_fails_leaves_no_row_and_an_orphan_for_the_sweep(db, world, tmp_path,
                                                                     monkeypatch):
    seen: list = []
    with monkeypatch.context() as patch, pytest.raises(DiskFull):
        _failing_commit(db, patch, tmp_path, seen)
        _upload(db, world, tmp_path)
    # at the commit the file was already whole under its final name, and nothing else
    assert len(seen) == 1 and len(seen[0]) == 1
    assert not seen[0][0].name.startswith(".")
    assert seen[0][0].name == hashlib.sha256(PDF).hexdigest()
    # after the failure: no row; the file stays (another upload of the same bytes may name
    # it by now), as an orphan that the sweep reports and removes once old enough
    assert db.exec(select(Evidence)).all() == []
    assert _files(tmp_path) == seen[0]
    report = evidence_store.check_files(db, upload_dir=tmp_path)
    assert report.orphans == [str(seen[0][0])] and report.ok
    report = evidence_store.check_files(db, upload_dir=tmp_path, remove_older_than=3600,
                                        now=time.time() + 3600)
    assert report.removed == [str(seen[0][0])]
    assert _files(tmp_path) == []


@pytest.fixture
def check(monkeypatch, database_url, settings, engine, tmp_path):
    """`zona check ...` against the test database with its own upload folder."""
    upload_dir = tmp_path / "uploads"
    monkeypatch.setenv("ZONA_DATABASE_URL", database_url)
    monkeypatch.setenv("ZONA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZONA_UPLOAD_DIR", str(upload_dir))
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["check", *args], catch_exceptions=False)

    invoke.upload_dir = upload_dir
    yield invoke
    get_settings.cache_clear()


def test_a_crash_between_rename_and_commit_leaves_an_orphan_that_check_reports(
    db, world, check, monkeypatch
):
    upload_dir = check.upload_dir
    kept = _upload(db, world, upload_dir)
    # The process dies in the commit: no row.
    with monkeypatch.context() as patch, pytest.raises(DiskFull):
        _failing_commit(db, patch, upload_dir, [])
        _upload(db, world, upload_dir, data=PNG, name="foto.png")
    orphan = next(p for p in _files(upload_dir) if p.read_bytes() == PNG)
    # ... and one crash in the middle of writing a file
    temporary = orphan.parent / f"{durable_files.TEMP_PREFIX}0123456789abcdef"
    temporary.write_bytes(b"%PDF-1.4 half")

    result = check("--files")
    assert result.exit_code == 0, result.output  # leftovers take room, nothing is lost
    lines = result.output.splitlines()
    assert "files       : 1 evidence file(s) in the database, 3 file(s) in the store " \
           "(size and sha256 compared)" in lines
    assert "missing     : 0" in lines
    assert "orphans     : 1 (files no row refers to)" in lines
    assert f"  {orphan}" in lines
    assert "temporary   : 1 (left by an interrupted write)" in lines
    assert f"  {temporary}" in lines
    assert lines[-1] == "OK"
    assert evidence.stored_path(upload_dir, kept.stored_name).exists()

    # --remove-orphans removes only leftovers older than an hour (a younger one may be an
    # upload in progress), and says so in the audit log.
    two_hours_ago = time.time() - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))
    result = check("--files", "--remove-orphans")
    assert result.exit_code == 0, result.output
    assert "removed     : 1 (older than 60 minutes)" in result.output.splitlines()
    assert not orphan.exists() and temporary.exists()
    assert evidence.stored_path(upload_dir, kept.stored_name).read_bytes() == PDF
    record = db.exec(select(AuditRecord).where(AuditRecord.action == "remove_orphans")).one()
    assert record.entity == "evidence_store" and record.actor_label == "system"
    assert record.after == {"removed": 1, "paths": [str(orphan.relative_to(upload_dir))]}


def test_a_missing_or_damaged_file_is_reported_with_a_non_zero_exit(db, world, check):
    upload_dir = check.upload_dir
    absent = _upload(db, world, upload_dir)
    damaged = _upload(db, world, upload_dir, data=PNG, name="foto.png")
    shortened = _upload(db, world, upload_dir, data=PDF + b"% more", name="lain.pdf")
    fine = _upload(db, world, upload_dir, data=PDF + b"% baik", name="baik.pdf")
    evidence.stored_path(upload_dir, absent.stored_name).unlink()
    damaged_path = evidence.stored_path(upload_dir, damaged.stored_name)
    damaged_path.write_bytes(PNG[:-1] + b"\x01")  # same size, one byte changed
    evidence.stored_path(upload_dir, shortened.stored_name).write_bytes(PDF)

    result = check("--files")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "missing     : 3" in lines
    assert f"  evidence {absent.id}: " \
           f"{evidence.stored_path(upload_dir, absent.stored_name)} (absent)" in lines
    found = hashlib.sha256(PNG[:-1] + b"\x01").hexdigest()
    assert f"  evidence {damaged.id}: {damaged_path} (sha256 {found[:12]}..., stored " \
           f"{damaged.sha256[:12]}...)" in lines
    assert f"  evidence {shortened.id}: " \
           f"{evidence.stored_path(upload_dir, shortened.stored_name)} " \
           f"(size {len(PDF)} bytes, stored {len(PDF) + 6})" in lines
    assert not any(f"evidence {fine.id}:" in line for line in lines)
    assert "3 evidence file(s) missing or damaged" in result.output
    assert "OK" not in lines

    # sizes only: the same-size damage goes unseen, the rest not
    result = check("--files", "--size-only")
    assert result.exit_code == 1
    assert "missing     : 2" in result.output.splitlines()


def test_without_files_check_does_not_look_at_them(db, world, check):
    row = _upload(db, world, check.upload_dir)
    evidence.stored_path(check.upload_dir, row.stored_name).unlink()
    result = check()
    assert result.exit_code == 0, result.output
    assert "missing" not in result.output


def test_the_sweep_counts_deleted_evidence_as_still_referring_to_its_file(db, world, tmp_path):
    row = _upload(db, world, tmp_path)
    evidence.delete(db, actor=None, evidence_id=row.id)
    report = evidence_store.check_files(db, upload_dir=tmp_path)
    assert (report.rows, report.files, report.missing, report.orphans) == (1, 1, [], [])
    assert report.ok
