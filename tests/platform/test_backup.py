"""`zona backup` / `zona restore`: one archive of the database, the evidence files and the
secret key, restored into an empty data folder (SQLite) or an empty database (PostgreSQL).

Each test runs against the database under test (SQLite by default, PostgreSQL when
ZONA_TEST_DATABASE_URL says so): the source is the test database, the restore target the
``scratch_database_url`` (a fresh SQLite file, or a fresh PostgreSQL database dropped after
the test).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import threading
import time
import zlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.engine import make_url
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import Settings, get_settings
from app.db import make_engine
from app.migrate import head_revisions
from app.models import Unit
from app.models.audit import AuditRecord
from app.services import audit, units
from app.services import backup as backups
from app.services.lke import evidence

PDF = b"%PDF-1.4\n% bukti dukung\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
IS_POSTGRES = os.environ.get("ZONA_TEST_DATABASE_URL", "").startswith("postgresql")


def _settings(database_url: str, data_dir: Path, **extra) -> Settings:
    """A development instance whose secret key is the generated file in its data folder."""
    values = {"secret_key": "", "environment": "development", "upload_dir": None, **extra}
    return Settings(database_url=database_url, data_dir=data_dir, **values)


@pytest.fixture
def zona(monkeypatch):
    """Run the CLI against the instance described by a Settings (and extra environment)."""
    runner = CliRunner()
    original_path = os.environ.get("PATH", "")

    def invoke(settings: Settings, *args: str, env: dict[str, str] | None = None):
        for name in ("ZONA_SECRET_KEY", "ZONA_UPLOAD_DIR", "ZONA_ENVIRONMENT"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("PATH", original_path)
        monkeypatch.setenv("ZONA_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("ZONA_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("ZONA_ENVIRONMENT", settings.environment)
        if settings.secret_key:
            monkeypatch.setenv("ZONA_SECRET_KEY", settings.secret_key)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            return runner.invoke(cli, list(args), catch_exceptions=False)
        finally:
            get_settings.cache_clear()

    return invoke


def _upload(db: Session, settings: Settings, unit_id: int, name: str, content: bytes) -> int:
    row = evidence.upload_file(
        db, actor=None, unit_id=unit_id, filename=name, stream=io.BytesIO(content),
        upload_dir=settings.resolved_upload_dir(), max_bytes=20 * 1024 * 1024,
        title=f"Eviden {name}",
    )
    return row.id


def _small_instance(db: Session, settings: Settings) -> dict[int, bytes]:
    """A unit with two evidence files."""
    unit = units.create(db, actor=None, code="KEMEN", name="Kementerian Uji", level="ministry")
    return {
        _upload(db, settings, unit.id, "sk.pdf", PDF + b"sk tim"): PDF + b"sk tim",
        _upload(db, settings, unit.id, "foto.png", PNG): PNG,
    }


def _tables(url: str) -> list[str]:
    if url.startswith("sqlite") and not Path(make_url(url).database).exists():
        return []
    engine = make_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _files(folder: Path) -> dict[str, str]:
    """Every file under a folder (hidden ones too) by its path, with its sha256."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table (reflected, so nothing is left out), in key order."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(bind=engine)
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row) for row in connection.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def _assert_untouched(target: Settings) -> None:
    """Nothing was written: no table, no upload file, no key."""
    assert _tables(target.database_url) == []
    assert _files(target.resolved_upload_dir()) == {}
    assert not (target.data_dir / "secret_key").exists()


def _close(app) -> None:
    app.state.survey_intake.close()
    app.state.engine.dispose()


def _client(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


# --- the round trip -------------------------------------------------------------------------

async def test_round_trip_keeps_every_row_every_file_and_the_sessions(
    zona, db, database_url, scratch_database_url, tmp_path
):
    from app.deps import SESSION_COOKIE
    from app.main import create_app
    from app.services import demo
    from app.services.lke import frameworks
    from tests.factories import login

    source = _settings(database_url, tmp_path / "source")
    frameworks.sync_bundled(db)
    loaded = demo.load(db)
    kppn = loaded.unit_ids["KPPN-TJP"]
    big = PDF + os.urandom(3 * 1024 * 1024 // 2)  # 1.5 MiB: more than one read chunk
    contents = {
        _upload(db, source, kppn, "sk-tim.pdf", PDF + b"SK Tim ZI"): PDF + b"SK Tim ZI",
        _upload(db, source, kppn, "foto-pelayanan.png", PNG): PNG,
        _upload(db, source, kppn, "laporan.pdf", big): big,
    }

    # A signed-in browser on the old instance: its cookie is signed with the generated key.
    old_app = create_app(source)
    try:
        async with _client(old_app) as browser:
            await login(browser, "koordinator", demo.DEMO_PASSWORD)
            cookie = browser.cookies.get(SESSION_COOKIE)
            first = min(contents)
            assert (await browser.get(f"/evidence/{first}/download")).content == contents[first]
    finally:
        _close(old_app)
    key = (source.data_dir / "secret_key").read_bytes()

    archive = tmp_path / "zona.tar.gz"
    made = zona(source, "backup", "--target", str(archive))
    assert made.exit_code == 0, made.output
    assert f"Backup written: {archive}" in made.output
    assert "uploads: 3/3 files" in made.output

    # The archive, read by hand: the database, the key, the three files and the manifest.
    members = _members(archive)
    database_member = "database/zona.pgdump" if IS_POSTGRES else "database/zona.sqlite3"
    stored = {
        name.removeprefix("uploads/"): hashlib.sha256(data).hexdigest()
        for name, data in members.items() if name.startswith("uploads/")
    }
    assert stored == _files(source.resolved_upload_dir())
    assert sorted(hashlib.sha256(c).hexdigest() for c in contents.values()) == sorted(
        stored.values()
    )
    assert members["secret_key"] == key
    manifest = json.loads(members["manifest.json"])
    assert manifest["format_version"] == 1
    assert manifest["database"]["backend"] == ("postgresql" if IS_POSTGRES else "sqlite")
    assert set(manifest["database"]["alembic_revisions"]) == head_revisions(database_url)
    assert {entry["path"] for entry in manifest["files"]} == set(members) - {"manifest.json"}
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(members[entry["path"]]).hexdigest()
        assert entry["size"] == len(members[entry["path"]])
    assert database_member in members

    target = _settings(scratch_database_url, tmp_path / "restored")
    restored = zona(target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "3 upload files" in restored.output and "uploads    : 3 files" in restored.output
    assert "run `zona migrate`" not in restored.output

    # Every table row by row, every file by its hash, and the key.
    original, copy = _rows(database_url), _rows(scratch_database_url)
    assert set(copy) == set(original)
    for table in original:
        assert copy[table] == original[table], table
    assert len(original["evidence"]) >= 6  # three demo links and three files
    assert len(original["audit_record"]) > 50
    assert _files(target.resolved_upload_dir()) == _files(source.resolved_upload_dir())
    assert (target.data_dir / "secret_key").read_bytes() == key

    # The old cookie opens the restored instance; every evidence file comes back the same.
    new_app = create_app(target)
    try:
        async with _client(new_app) as browser:
            browser.cookies.set(SESSION_COOKIE, cookie)
            for evidence_id, content in contents.items():
                answer = await browser.get(f"/evidence/{evidence_id}/download")
                assert answer.status_code == 200
                assert answer.content == content
    finally:
        _close(new_app)
    # ... and only because the key came along: with another key the cookie is refused.
    other_app = create_app(_settings(scratch_database_url, target.data_dir, secret_key="x" * 48))
    try:
        async with _client(other_app) as browser:
            browser.cookies.set(SESSION_COOKIE, cookie)
            assert (await browser.get(f"/evidence/{first}/download")).status_code != 200
    finally:
        _close(other_app)

    # The restored instance carries on: its ids continue after the restored ones.
    engine = make_engine(scratch_database_url)
    try:
        with Session(engine, expire_on_commit=False) as restored_db:
            new_id = _upload(restored_db, target, kppn, "baru.pdf", PDF + b"baru")
    finally:
        engine.dispose()
    assert new_id > max(contents)


# --- what a restore refuses -----------------------------------------------------------------

def test_restore_refuses_a_target_that_is_not_empty(
    zona, db, database_url, scratch_database_url, tmp_path
):
    source = _settings(database_url, tmp_path / "source")
    _small_instance(db, source)
    archive = tmp_path / "zona.tar.gz"
    assert zona(source, "backup", "--target", str(archive)).exit_code == 0
    before_rows, before_files = _rows(database_url), _files(source.resolved_upload_dir())

    # Into the instance itself: its database has tables and its upload folder files.
    refused = zona(source, "restore", str(archive))
    assert refused.exit_code == 1
    assert "empty" in refused.output
    assert "tables" in refused.output and "holds 2 files" in refused.output
    assert _rows(database_url) == before_rows
    assert _files(source.resolved_upload_dir()) == before_files

    # An empty database, but one stray file in the upload folder: refused all the same.
    target = _settings(scratch_database_url, tmp_path / "target")
    target.resolved_upload_dir().mkdir(parents=True)
    (target.resolved_upload_dir() / "lain.pdf").write_bytes(PDF)
    refused = zona(target, "restore", str(archive))
    assert refused.exit_code == 1
    assert "holds 1 files" in refused.output and "tables" not in refused.output
    assert _tables(scratch_database_url) == []
    assert set(_files(target.resolved_upload_dir())) == {"lain.pdf"}
    assert not (target.data_dir / "secret_key").exists()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def _damaging_flip(packed: bytes) -> bytes:
    """The archive with one byte changed, from the middle on, where the change matters: some
    bits of a deflate stream are never read, so a flip there leaves the same content."""
    original = gzip.decompress(packed)
    for at in range(len(packed) // 2, len(packed)):
        flipped = _flip(packed, at)
        try:
            if gzip.decompress(flipped) != original:
                return flipped
        except (OSError, EOFError, zlib.error):
            return flipped
    raise AssertionError("no byte of the archive matters")


def test_a_damaged_archive_changes_nothing(zona, db, database_url, scratch_database_url, tmp_path):
    source = _settings(database_url, tmp_path / "source")
    _small_instance(db, source)
    plain, packed = tmp_path / "zona.tar", tmp_path / "zona.tar.gz"
    assert zona(source, "backup", "--target", str(plain)).exit_code == 0
    assert zona(source, "backup", "--target", str(packed)).exit_code == 0
    assert plain.read_bytes()[:2] != b"\x1f\x8b" and packed.read_bytes()[:2] == b"\x1f\x8b"

    with tarfile.open(plain) as tar:
        offsets = {m.name: (m.offset_data, m.size) for m in tar.getmembers()}
    evidence_name = next(name for name in offsets if name.startswith("uploads/"))
    database_name = next(name for name in offsets if name.startswith("database/"))
    raw, gz = plain.read_bytes(), packed.read_bytes()

    def middle(name: str) -> int:
        offset, size = offsets[name]
        return offset + size // 2

    damaged = {
        # one byte of an evidence file: the tar is fine, its sha256 is not
        "evidence": (_flip(raw, middle(evidence_name)), evidence_name),
        # one byte of the database
        "database": (_flip(raw, middle(database_name)), database_name),
        # one byte of the manifest
        "manifest": (_flip(raw, middle("manifest.json")), "manifest"),
        # one byte of the compressed archive (its gzip stream or CRC gives it away)
        "gzip": (_damaging_flip(gz), "cannot be read"),
        "gzip trailer": (_flip(gz, len(gz) - 6), "cannot be read"),
        # cut short in the middle of a file, or just before the manifest (written last)
        "cut in a file": (raw[: middle(database_name)], "cannot be read"),
        "cut before the manifest": (raw[: offsets["manifest.json"][0] - 512], "no manifest.json"),
    }
    target = _settings(scratch_database_url, tmp_path / "target")
    for case, (data, named) in damaged.items():
        broken = tmp_path / f"broken-{case.replace(' ', '-')}.tar"
        broken.write_bytes(data)
        refused = zona(target, "restore", str(broken))
        assert refused.exit_code == 1, case
        assert named in refused.output, (case, refused.output)
        _assert_untouched(target)
    # A file left out, one slipped in that the manifest does not list, one that would land
    # outside the upload folder.
    left_out, slipped_in = tmp_path / "left-out.tar", tmp_path / "slipped-in.tar"
    escaping = tmp_path / "escaping.tar"
    _rewrite(plain, left_out, drop={evidence_name})
    _rewrite(plain, slipped_in, add={"uploads/evidence/zz/zz00": PDF})
    _rewrite(plain, escaping, add={"uploads/../../lepas.pdf": PDF})
    for broken, named in ((left_out, f"missing from the archive: {evidence_name}"),
                          (slipped_in, "not in the manifest: uploads/evidence/zz/zz00"),
                          (escaping, "unsafe entry name")):
        assert zona(target, "restore", "--check", str(broken)).exit_code == 1
        refused = zona(target, "restore", str(broken))
        assert refused.exit_code == 1
        assert named in refused.output, refused.output
        _assert_untouched(target)

    # The undamaged one passes the check and goes in, into the very same target.
    checked = zona(target, "restore", "--check", str(plain))
    assert checked.exit_code == 0 and "Archive OK" in checked.output
    _assert_untouched(target)
    assert zona(target, "restore", str(plain)).exit_code == 0
    assert _files(target.resolved_upload_dir()) == _files(source.resolved_upload_dir())


def _rewrite(archive: Path, into: Path, change=None, drop=(), add=None) -> None:
    """The archive written again, with its manifest changed (and its checksum made to match)
    or members dropped or added."""
    members = _members(archive)
    if change is not None:
        manifest = json.loads(members["manifest.json"])
        change(manifest)
        manifest["checksum"] = backups.manifest_checksum(manifest)
        members["manifest.json"] = json.dumps(manifest).encode()
    members = {name: data for name, data in members.items() if name not in drop}
    manifest_data = members.pop("manifest.json")
    members.update(add or {})
    members["manifest.json"] = manifest_data  # last, as written
    with tarfile.open(into, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_an_archive_from_a_newer_zona_is_refused(
    zona, db, database_url, scratch_database_url, tmp_path
):
    source = _settings(database_url, tmp_path / "source")
    _small_instance(db, source)
    archive = tmp_path / "zona.tar"
    assert zona(source, "backup", "--target", str(archive)).exit_code == 0
    target = _settings(scratch_database_url, tmp_path / "target")

    newer_format = tmp_path / "format-2.tar"
    _rewrite(archive, newer_format, lambda m: m.update(format_version=2))
    refused = zona(target, "restore", str(newer_format))
    assert refused.exit_code == 1
    assert "newer Zona" in refused.output and "format 2" in refused.output
    _assert_untouched(target)

    newer_schema = tmp_path / "schema-9999.tar"
    _rewrite(
        archive, newer_schema, lambda m: m["database"].update(alembic_revisions=["9999_future"])
    )
    refused = zona(target, "restore", str(newer_schema))
    assert refused.exit_code == 1
    assert "newer Zona" in refused.output and "9999_future" in refused.output
    _assert_untouched(target)

    # The archive as written was fine: the rewriting itself broke nothing.
    assert zona(target, "restore", str(archive)).exit_code == 0


def test_a_restore_that_fails_half_way_takes_back_what_it_wrote(
    zona, db, database_url, scratch_database_url, tmp_path, monkeypatch
):
    """The disk fails at the second upload file: the first is removed again, no key, no
    database; and on PostgreSQL a failing pg_restore (the last step) takes back the files
    and the key too."""
    from app.services.backup import restore as restore_module

    source = _settings(database_url, tmp_path / "source")
    _small_instance(db, source)
    (source.data_dir / "secret_key").write_text("kunci-lama-" + "q" * 40)
    archive = tmp_path / "zona.tar.gz"
    assert zona(source, "backup", "--target", str(archive)).exit_code == 0
    target = _settings(scratch_database_url, tmp_path / "target")

    real_copy = restore_module._copy_checked
    uploaded: list[Path] = []

    def failing_copy(source_file, dest, entry):
        if target.resolved_upload_dir() in dest.parents:
            if uploaded:
                raise OSError(28, "No space left on device")
            uploaded.append(dest)
        real_copy(source_file, dest, entry)

    monkeypatch.setattr(restore_module, "_copy_checked", failing_copy)
    refused = zona(target, "restore", str(archive))
    assert refused.exit_code == 1
    assert "No space left on device" in refused.output
    assert len(uploaded) == 1 and not uploaded[0].exists()
    _assert_untouched(target)
    monkeypatch.setattr(restore_module, "_copy_checked", real_copy)

    if IS_POSTGRES:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        fake = bin_dir / "pg_restore"
        fake.write_text(
            "#!/bin/sh\n"
            'if [ "$1" = "--version" ]; then echo "pg_restore (PostgreSQL) 15.1"; exit 0; fi\n'
            'echo "pg_restore: error: could not execute query" >&2\n'
            "exit 1\n"
        )
        fake.chmod(0o755)
        refused = zona(target, "restore", str(archive), env={"PATH": str(bin_dir)})
        assert refused.exit_code == 1
        assert "pg_restore failed: pg_restore: error: could not execute query" in refused.output
        assert "pg_restore (PostgreSQL) 15.1" in refused.output
        _assert_untouched(target)

    restored = zona(target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert (target.data_dir / "secret_key").read_text() == "kunci-lama-" + "q" * 40


# --- the secret key -------------------------------------------------------------------------

def test_a_key_from_the_environment_stays_out_of_the_archive_unless_asked(
    zona, db, database_url, scratch_database_url, tmp_path
):
    key = "production-key-" + "k" * 40
    source = _settings(database_url, tmp_path / "source", secret_key=key, environment="production")
    _small_instance(db, source)

    plain = tmp_path / "zona.tar"
    made = zona(source, "backup", "--target", str(plain))
    assert made.exit_code == 0, made.output
    assert "NOT in the archive" in made.output
    assert "secret_key" not in _members(plain)
    assert key.encode() not in plain.read_bytes()
    assert not (source.data_dir / "secret_key").exists()

    with_key = tmp_path / "zona-with-key.tar.gz"
    made = zona(source, "backup", "--include-secret", "--target", str(with_key))
    assert made.exit_code == 0, made.output
    assert _members(with_key)["secret_key"] == key.encode()

    # Restored under another ZONA_SECRET_KEY: it works, and says the old sessions are gone.
    target = _settings(
        scratch_database_url, tmp_path / "target", secret_key="another-" + "z" * 40,
        environment="production",
    )
    restored = zona(target, "restore", str(plain))
    assert restored.exit_code == 0, restored.output
    assert "WARNING: ZONA_SECRET_KEY differs" in restored.output
    assert not (target.data_dir / "secret_key").exists()


# --- PostgreSQL client tools ----------------------------------------------------------------

def test_missing_pg_dump_names_the_package_and_writes_nothing(zona, tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    instance = _settings("postgresql+psycopg://postgres@127.0.0.1:5432/zona", tmp_path / "data")
    out = tmp_path / "out"
    made = zona(instance, "backup", "--target", str(out / "zona.tar.gz"),
                env={"PATH": str(empty_bin)})
    assert made.exit_code == 1
    assert "pg_dump" in made.output and "postgresql-client" in made.output
    assert not out.exists()

    restored = zona(instance, "restore", str(tmp_path / "zona.tar.gz"),
                    env={"PATH": str(empty_bin)})
    assert restored.exit_code == 1
    assert "pg_restore" in restored.output and "postgresql-client" in restored.output
    assert not (tmp_path / "data").exists()


@pytest.mark.skipif(not IS_POSTGRES, reason="pg_dump is for PostgreSQL")
def test_a_failing_pg_dump_says_which_versions_meet(zona, db, database_url, tmp_path):
    """An old pg_dump refuses a newer server: the message gives both versions and the fix;
    the password went through PGPASSWORD, not the command line; no archive is left."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 13.2"; exit 0; fi\n'
        f'echo "$@" > {tmp_path}/args\n'
        f'echo "$PGPASSWORD" > {tmp_path}/password\n'
        'echo "pg_dump: error: aborting because of server version mismatch" >&2\n'
        "exit 1\n"
    )
    fake.chmod(0o755)
    # The test server trusts every local connection, so any password is accepted.
    url = make_url(database_url).set(password="rahasia-db-7").render_as_string(False)
    instance = _settings(url, tmp_path / "data")
    out = tmp_path / "out"
    made = zona(instance, "backup", "--target", str(out / "zona.tar.gz"),
                env={"PATH": str(bin_dir)})
    assert made.exit_code == 1
    server_major = int(_server_version(database_url).split(".")[0])
    assert "server version mismatch" in made.output
    assert "pg_dump (PostgreSQL) 13.2" in made.output
    assert f"install postgresql-client {server_major} or newer" in made.output
    assert "rahasia-db-7" not in (tmp_path / "args").read_text()
    assert (tmp_path / "password").read_text().strip() == "rahasia-db-7"
    assert list(out.iterdir()) == []  # no archive, no half archive, no staging folder


def _server_version(url: str) -> str:
    from sqlalchemy import text

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()


# --- a backup while the server writes -------------------------------------------------------

def _count_units_and_records(url: str) -> tuple[int, int, set[str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            unit_codes = set(connection.execute(select(Unit.code)).scalars())
            records = connection.execute(
                select(func.count()).select_from(AuditRecord).where(
                    AuditRecord.entity == "unit", AuditRecord.action == "create"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return len(unit_codes), records, unit_codes


def test_a_backup_during_writes_is_one_moment_of_the_database(
    db, database_url, scratch_database_url, tmp_path
):
    """Each write commits a unit and its audit record together; a snapshot taken while they
    run holds every unit with its record (no half transaction) and at least every unit
    committed before it started."""
    source = _settings(database_url, tmp_path / "source")
    committed: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()
    writer_engine = make_engine(database_url)

    def write() -> None:
        try:
            with Session(writer_engine) as session:
                number = 0
                while not stop.is_set():
                    units.create(session, actor=None, code=f"BEBAN-{number}",
                                 name=f"Unit beban {number}", level="ministry")
                    committed.append(number)
                    number += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while len(committed) < 20 and thread.is_alive():
            time.sleep(0.01)
        before = len(committed)
        backups.create_backup(source, target=tmp_path / "during.tar.gz")
        after = len(committed)
    finally:
        stop.set()
        thread.join()
        writer_engine.dispose()
    assert not failures

    target = _settings(scratch_database_url, tmp_path / "target")
    backups.restore_backup(target, archive=tmp_path / "during.tar.gz")
    unit_count, records, _codes = _count_units_and_records(scratch_database_url)
    assert unit_count == records
    assert before <= unit_count <= after + 1  # +1: a commit not yet counted by the writer


def test_a_backup_leaves_out_a_transaction_still_open(
    db, database_url, scratch_database_url, tmp_path
):
    """A unit and its audit record written but not committed when the backup runs are not in
    it (and the backup does not wait for them); committed afterwards, they stay out."""
    source = _settings(database_url, tmp_path / "source")
    units.create(db, actor=None, code="SUDAH", name="Sudah disimpan", level="ministry")
    writer_engine = make_engine(database_url)
    try:
        with Session(writer_engine) as open_session:
            units.create(open_session, actor=None, code="KEMEN-2", name="Dua", level="ministry")
            pending = Unit(code="TERBUKA", name="Belum disimpan", level="ministry")
            open_session.add(pending)
            open_session.flush()
            audit.record(open_session, actor=None, action="create", entity="unit",
                         entity_id=pending.id, unit_id=pending.id, after=audit.snapshot(pending))
            open_session.flush()
            backups.create_backup(source, target=tmp_path / "open.tar")
            open_session.commit()
    finally:
        writer_engine.dispose()

    target = _settings(scratch_database_url, tmp_path / "target")
    backups.restore_backup(target, archive=tmp_path / "open.tar")
    unit_count, records, codes = _count_units_and_records(scratch_database_url)
    assert codes == {"SUDAH", "KEMEN-2"}
    assert records == 2


def test_the_upload_store_is_copied_as_it_lies_but_for_writes_in_progress(
    db, database_url, tmp_path
):
    source = _settings(database_url, tmp_path / "source")
    _small_instance(db, source)
    store = source.resolved_upload_dir()
    (store / "evidence" / ".upload-0123abcd").write_bytes(b"half an upload")
    (store / "xlsx-import").mkdir()
    (store / "xlsx-import" / "7-abc.xlsx").write_bytes(b"PK staged")
    result = backups.create_backup(source, target=tmp_path / "zona.tar")
    names = {name for name in _members(result.path) if name.startswith("uploads/")}
    expected = {f"uploads/{name}" for name in _files(store) if "/.upload-" not in name}
    assert names == expected and len(names) == 3
    assert result.path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
