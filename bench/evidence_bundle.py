"""Evidence bundle throughput against bare baselines over the same bytes, in this process.

A seeded assessment gets ``--files`` evidence files of ``--mb`` MiB each (random-looking
bytes: a random MiB repeated), each linked to a question. Then, interleaved ``--rounds``
times, the same bytes go to a file in the same folder by:

- ``copy``: reading each file in 1 MiB chunks and writing them (a plain copy);
- ``zipfile``: ``zipfile.ZipFile.write`` of each file, stored (a plain ZIP of them);
- ``bundle``: Zona's bundle (``app.services.lke.bundle``: plan, then the streamed ZIP with
  the index, the links and the manifest, a sha256 of every file, through the evidence
  service's ``open_file``).

Printed: the median time, MiB/s and CPU time (all threads) of each, and the ratios
bundle/copy and bundle/zipfile (goal: "streams at disk speed", a ratio near 1). On a busy
machine the CPU ratio is the steadier figure.

    .venv/bin/python -m bench.evidence_bundle                  # 8 x 64 MiB, 3 rounds
    .venv/bin/python -m bench.evidence_bundle --files 4 --mb 256 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from sqlmodel import Session

from app.db import make_engine
from app.models.lke.evidence import Evidence
from app.services.lke import bundle, evidence, evidence_links
from bench._seed import seed

MIB = 1024 * 1024
REFS = ("PPA1A", "PPA1B", "PPA2A", "PPA2B", "PPA2C", "PPA3A", "PPA3B", "PPA3C", "PPA4A",
        "PPA4B", "PPA4C", "PPA4D", "PPB1A", "PPB1B", "PPB1C", "PPB2A")


def make_files(session: Session, upload_dir: Path, unit_id: int, assessment_id: int,
               count: int, size: int) -> list[Path]:
    block = os.urandom(MIB)
    paths = []
    for n in range(count):
        stored_name = secrets.token_hex(20)
        path = evidence.stored_path(upload_dir, stored_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            out.write(b"%PDF-1.4\n")
            left = size - 9
            while left:
                out.write(block[: min(left, MIB)])
                left -= min(left, MIB)
        row = Evidence(unit_id=unit_id, kind="file", title=f"Laporan {n}",
                       original_name=f"laporan-{n}.pdf", stored_name=stored_name,
                       media_type="application/pdf", size=size, sha256="0" * 64,
                       uploaded_by_label="bench")
        session.add(row)
        session.commit()
        evidence_links.link(session, actor=None, assessment_id=assessment_id,
                            evidence_id=row.id, question_ref=REFS[n % len(REFS)])
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--mb", type=int, default=64, help="MiB per file")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="zona-bench-bundle-"))
    try:
        seeded = seed(data_dir=data_dir)
        upload_dir = seeded.settings.resolved_upload_dir()
        engine = make_engine(seeded.database_url)
        with Session(engine, expire_on_commit=False) as session:
            paths = make_files(session, upload_dir, seeded.unit_id, seeded.assessment_id,
                               args.files, args.mb * MIB)
        total = args.files * args.mb * MIB
        out_path = data_dir / "out.bin"

        def copy() -> int:
            with open(out_path, "wb") as out:
                for path in paths:
                    with open(path, "rb") as source:
                        while chunk := source.read(MIB):
                            out.write(chunk)
            return out_path.stat().st_size

        def plain_zip() -> int:
            with zipfile.ZipFile(out_path, "w", zipfile.ZIP_STORED) as archive:
                for n, path in enumerate(paths):
                    archive.write(path, f"laporan-{n}.pdf")
            return out_path.stat().st_size

        def zona_bundle() -> int:
            with Session(engine, expire_on_commit=False) as session:
                plan = bundle.plan(session, actor=None, assessment_id=seeded.assessment_id)
            with open(out_path, "wb") as out:
                for chunk in bundle.stream(plan, bind=engine, actor=None,
                                           upload_dir=upload_dir):
                    out.write(chunk)
            return out_path.stat().st_size

        runs: dict[str, list[float]] = {"copy": [], "zipfile": [], "bundle": []}
        cpu: dict[str, list[float]] = {"copy": [], "zipfile": [], "bundle": []}
        sizes = {}
        for fn in (copy, plain_zip, zona_bundle):  # warm the page cache and imports
            fn()
        for _ in range(args.rounds):
            for name, fn in (("copy", copy), ("zipfile", plain_zip), ("bundle", zona_bundle)):
                start, start_cpu = time.perf_counter(), time.process_time()
                sizes[name] = fn()
                runs[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)  # all threads
        print(f"{args.files} files x {args.mb} MiB = {total / MIB:.0f} MiB of evidence, "
              f"{args.rounds} rounds (median)")
        for name, times in runs.items():
            median = statistics.median(times)
            print(f"  {name:8s} {median * 1000:8.0f} ms  {total / MIB / median:7.0f} MiB/s  "
                  f"CPU {statistics.median(cpu[name]) * 1000:6.0f} ms  "
                  f"output {sizes[name] / MIB:.1f} MiB")

        def ratio(table: dict[str, list[float]], a: str, b: str) -> float:
            return statistics.median(table[a]) / statistics.median(table[b])

        print(f"  bundle/copy:    {ratio(runs, 'bundle', 'copy'):.2f}x time, "
              f"{ratio(cpu, 'bundle', 'copy'):.2f}x CPU")
        print(f"  bundle/zipfile: {ratio(runs, 'bundle', 'zipfile'):.2f}x time, "
              f"{ratio(cpu, 'bundle', 'zipfile'):.2f}x CPU")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
