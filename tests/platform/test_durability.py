"""Durability of what Zona acknowledges: the durable file writer, SQLite's synchronous=FULL on
every connection (PostgreSQL's synchronous_commit), and /readyz checking the upload store."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import make_engine
from app.services import durable_files
from tests.support.fs_events import record_fs_events

# --- the durable file writer ----------------------------------------------------------------


def test_a_published_file_is_whole_under_its_final_name_and_no_temporary_remains(tmp_path):
    target = tmp_path / "a" / "b" / "file"
    with durable_files.PendingFile(target) as pending:
        assert pending.temp.parent == target.parent  # beside it: the rename stays in one folder
        assert pending.temp.name.startswith(durable_files.TEMP_PREFIX)
        pending.file.write(b"hello ")
        pending.file.write(b"world")
        assert not target.exists()
        pending.publish()
    assert target.read_bytes() == b"hello world"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file"]


def test_the_file_and_then_its_folder_are_fsynced_before_publish_returns(tmp_path, monkeypatch):
    events = record_fs_events(monkeypatch)
    (tmp_path / "store").mkdir()
    pending = durable_files.PendingFile(tmp_path / "store" / "file")
    pending.file.write(b"data")
    pending.publish()
    assert events == ["fsync file", "rename", "fsync dir"]


def test_new_folders_are_made_durable_in_their_parents(tmp_path, monkeypatch):
    synced: list[str] = []
    monkeypatch.setattr(durable_files, "fsync_dir", lambda path: synced.append(path.name))
    durable_files.make_dirs(tmp_path / "x" / "y")
    assert (tmp_path / "x" / "y").is_dir()
    assert synced == [tmp_path.name, "x"]  # the parent of x, then the parent of y
    synced.clear()
    durable_files.make_dirs(tmp_path / "x" / "y")  # nothing new: nothing to sync
    assert synced == []


def test_discard_removes_the_temporary_or_the_published_file(tmp_path):
    first = durable_files.PendingFile(tmp_path / "one")
    first.file.write(b"1")
    first.discard()
    second = durable_files.PendingFile(tmp_path / "two")
    second.file.write(b"2")
    second.publish()
    second.discard()  # the commit after it failed
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError), durable_files.PendingFile(tmp_path / "three") as third:
        third.file.write(b"3")
        raise RuntimeError("the upload broke off")
    assert list(tmp_path.iterdir()) == []


def test_the_probe_of_a_store(tmp_path):
    assert durable_files.probe_writable(tmp_path) is None
    assert list(tmp_path.iterdir()) == []  # the probe file is gone again
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert durable_files.probe_writable(not_a_folder) == "Not a directory"
    assert durable_files.probe_writable(tmp_path / "absent") == "No such file or directory"


# --- the database: acknowledged means on disk ------------------------------------------------


def test_every_sqlite_connection_fsyncs_each_commit(tmp_path):
    """synchronous=FULL (2) in WAL mode, on every connection the engine opens, also the
    second engine the survey intake writes with."""
    from app.services.surveys.intake import SurveyIntake

    engine = make_engine(f"sqlite:///{tmp_path / 'z.sqlite3'}")
    intake = SurveyIntake(engine)
    try:
        engines = [engine, intake.writer._loop_engine]
        assert engines[1] is not engine
        for each in engines:
            connections = [each.connect() for _ in range(3)]  # three distinct connections
            try:
                for connection in connections:
                    assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
                    assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            finally:
                for connection in connections:
                    connection.close()
        engine.dispose()  # connections made after a dispose get them too
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        intake.close()
        engine.dispose()


def test_the_database_under_test_keeps_acknowledged_commits(engine):
    """The app's own engine: SQLite with synchronous=FULL, or PostgreSQL with fsync and
    synchronous_commit on (its defaults: a commit returns once its WAL is flushed)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        else:
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == "on"
            assert connection.execute(text("SHOW fsync")).scalar() == "on"


# --- /readyz and the upload store -------------------------------------------------------------


async def test_readyz_checks_the_upload_store(client, app, settings, tmp_path):
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": True, "migrations": "head",
                            "uploads": True}
    assert not [p for p in settings.resolved_upload_dir().iterdir()
                if p.name.startswith(durable_files.TEMP_PREFIX)]
    # An upload folder that cannot take a file (a regular file where the folder should be:
    # chmod would not stop root) makes the instance not ready, with the reason.
    blocked = tmp_path / "uploads"
    blocked.write_text("not a folder")
    try:
        app.state.settings = settings.model_copy(update={"upload_dir": blocked})
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unavailable" and body["uploads"] is False
        assert body["reason"] == "upload store not writable: Not a directory"
        assert str(tmp_path) not in ready.text  # the path is logged, not told to anyone
        # a missing folder (an unmounted volume) too
        app.state.settings = settings.model_copy(update={"upload_dir": tmp_path / "gone"})
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["reason"] == "upload store not writable: No such file or directory"
    finally:
        app.state.settings = settings
