"""Backup and restore of a whole Zona instance (``zona backup``, ``zona restore``).

One tar archive (gzip-compressed, unless its name ends in ``.tar``) holds everything an
instance needs to answer as before:

    database/zona.sqlite3   SQLite: a snapshot by SQLite's online backup API
    database/zona.pgdump    PostgreSQL: ``pg_dump --format=custom``, made by this module
    secret_key              the key that signs sessions and links (see below)
    uploads/...             the upload store (evidence files), laid out as on disk; with
                            an S3 store (ZONA_STORAGE_URL=s3://...) its evidence objects,
                            read from the bucket, under the same names (uploads/<key>)
    manifest.json           last: format version, Zona version, creation time, database
                            backend and Alembic revision, and the sha256 and size of every
                            other file (and a checksum of the manifest itself)

The database is copied first, then the upload store: an evidence file is stored before its
row is committed, so every file the snapshot names is on disk by the time the files are read
(a file uploaded after the snapshot is carried along, harmless). Hidden files (a name starting
with ``.``) are uploads still being written and are left out.

The secret key: in development it is the generated ``<data dir>/secret_key`` file, which is
always archived. Where it comes from the environment (``ZONA_SECRET_KEY``, production) it is
NOT written into the archive unless asked (``include_secret``); the manifest keeps only a
fingerprint so that a restore can tell whether the key in use is the one the backup was
made with. Without the same key every session and signed link made before is refused.

A restore goes into an empty data folder only (no database tables, no file in the upload
store, no object in the S3 store), checks every sha256 before it writes anything, writes the
upload files (evidence into the configured store: an archive from a local folder restores
into S3 and the other way round) and the key, and restores the database last. If anything fails on the way, what it wrote is removed.

These are system operations of the command line (``actor=None`` by nature): the archive is
the audit log as it was, and a restore brings back that log unchanged.
"""

from app.services.backup.archive import (
    FORMAT_VERSION,
    BackupError,
    human_size,
    manifest_checksum,
    summary,
    verify_archive,
)
from app.services.backup.create import BackupResult, create_backup
from app.services.backup.restore import RestoreResult, restore_backup

__all__ = [
    "FORMAT_VERSION",
    "BackupError",
    "BackupResult",
    "RestoreResult",
    "create_backup",
    "human_size",
    "manifest_checksum",
    "restore_backup",
    "summary",
    "verify_archive",
]
