"""A bundle of several hundred MB streams in constant memory: three sparse evidence files of
96-112 MiB (no disk blocks, read back as zeros after a PDF header), the generator read chunk
by chunk under tracemalloc; the ZIP is then checked entry by entry, and by Info-ZIP's unzip
when it is installed. ZIP64 is exercised by lowering zipfile's ZIP64 limit below the files'
sizes (the same code path a 5 GB file takes)."""

from __future__ import annotations

import hashlib
import secrets
import shutil
import subprocess
import tracemalloc
import zipfile

import pytest

from app.models.lke.evidence import Evidence
from app.services.lke import bundle, evidence, evidence_links

MIB = 1024 * 1024
SIZES = (96 * MIB, 104 * MIB, 112 * MIB)  # 312 MiB of evidence
REFS = ("PPA1A", "PPA1B", "PPA2A")


def _sparse_evidence(db, settings, unit_id: int, size: int, n: int) -> tuple[Evidence, str]:
    stored_name = secrets.token_hex(20)
    path = evidence.stored_path(settings.resolved_upload_dir(), stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = b"%PDF-1.4\n% evidence " + str(n).encode() + b"\n"
    with open(path, "wb") as out:
        out.write(header)
        out.truncate(size)  # the rest is a hole: zeros, no disk blocks
    digest = hashlib.sha256(header)
    zeros = bytes(MIB)
    left = size - len(header)
    while left:
        digest.update(zeros[: min(left, MIB)])
        left -= min(left, MIB)
    row = Evidence(unit_id=unit_id, kind="file", title=f"Laporan {n}",
                   original_name=f"laporan-{n}.pdf", stored_name=stored_name,
                   media_type="application/pdf", size=size, sha256=digest.hexdigest(),
                   uploaded_by_label="system")
    db.add(row)
    db.commit()
    return row, digest.hexdigest()


@pytest.mark.slow
def test_a_several_hundred_mb_bundle_streams_in_constant_memory(
        db, world, engine, settings, assessment_a1, tmp_path, monkeypatch):
    unit = world.unit("UNIT-A1")
    expected = {}
    for n, (size, ref) in enumerate(zip(SIZES, REFS, strict=True), start=1):
        row, sha = _sparse_evidence(db, settings, unit, size, n)
        evidence_links.link(db, actor=None, assessment_id=assessment_a1.id,
                            evidence_id=row.id, question_ref=ref)
        expected[f"laporan-{n}.pdf"] = (size, sha)
    plan = bundle.plan(db, actor=None, assessment_id=assessment_a1.id)
    assert plan.total_bytes == sum(SIZES)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 64 * MIB)  # every file here needs ZIP64 now

    output = tmp_path / "bundle.zip"
    largest_chunk = total = 0
    tracemalloc.start()
    try:
        with open(output, "wb") as out:
            for chunk in bundle.stream(plan, bind=engine, actor=None,
                                       upload_dir=settings.resolved_upload_dir()):
                largest_chunk = max(largest_chunk, len(chunk))
                total += len(chunk)
                out.write(chunk)
                del chunk
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > sum(SIZES)
    # one evidence CHUNK (1 MiB) plus the ZIP's headers at a time, whatever the bundle's size
    assert largest_chunk <= evidence.CHUNK + 64 * 1024
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB for a {total / MIB:.0f} MiB bundle"

    with zipfile.ZipFile(output) as archive:
        found = {}
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[1]
            if name not in expected:
                continue
            digest = hashlib.sha256()
            with archive.open(info) as source:
                while piece := source.read(4 * MIB):
                    digest.update(piece)
            found[name] = (info.file_size, digest.hexdigest())
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.extra[:2] == b"\x01\x00"  # the ZIP64 extra field
        assert found == expected
    if shutil.which("unzip"):  # another reader agrees (data descriptors, ZIP64)
        result = subprocess.run(["unzip", "-tq", str(output)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
