"""Record the file-system steps of app.services.durable_files, in order, for ordering tests."""

from __future__ import annotations

import os
import stat

from app.services import durable_files


def record_fs_events(monkeypatch) -> list[str]:
    """Patch durable_files' fsync and rename to log "fsync file", "fsync dir" and "rename"
    into the returned list (the real calls still run)."""
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(durable_files.os, "fsync", fsync)
    monkeypatch.setattr(durable_files.os, "replace", replace)
    return events
