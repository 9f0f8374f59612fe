"""Evidence upload and download through the file store, local folder and S3, against bare
writes and reads of the same bytes in the same run (docs/storage.md, bench/README.md).

    .venv/bin/python -m bench.storage                   # 20 files of 1 MiB + 3 of 20 MiB
    .venv/bin/python -m bench.storage --small 50 --large 5

S3 is SeaweedFS started here on loopback (the test extra's `weed`), or the server named by
ZONA_TEST_S3_URL / ZONA_TEST_S3_ENDPOINT_URL / ..._ACCESS_KEY_ID / ..._SECRET_ACCESS_KEY.
Each round uploads the files through ``evidence.upload_file`` (staged, hashed, type checked,
stored and verified, the row committed) and reads them back through ``evidence.open_file``
(``file.chunks()``, as a streamed download does); the baselines write the same bytes to a
file with fsync / ``PutObject`` and read them back, nothing else.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlmodel import Session

import app.models  # noqa: F401  (register every table)
from app.db import make_engine
from app.migrate import upgrade
from app.services import storage, units
from app.services.lke import evidence

PDF_HEAD = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
MIB = 1024 * 1024


def _pdf(size: int) -> bytes:
    return PDF_HEAD + b"%" + secrets.token_bytes(size - len(PDF_HEAD) - 1)


def _bare_local(folder: Path, files: list[bytes]) -> tuple[float, float]:
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    paths = []
    for data in files:
        path = folder / secrets.token_hex(8)
        with open(path, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        paths.append(path)
    written = time.perf_counter() - start
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as source:
            while source.read(MIB):
                pass
    return written, time.perf_counter() - start


def _bare_s3(store, files: list[bytes]) -> tuple[float, float]:
    client, bucket = store.client, store.where.bucket
    prefix = f"bare-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    for number, data in enumerate(files):
        client.put_object(Bucket=bucket, Key=f"{prefix}/{number}", Body=data)
    written = time.perf_counter() - start
    start = time.perf_counter()
    for number in range(len(files)):
        body = client.get_object(Bucket=bucket, Key=f"{prefix}/{number}")["Body"]
        for _ in body.iter_chunks(MIB):
            pass
    return written, time.perf_counter() - start


def _zona(session: Session, unit_id: int, store, files: list[bytes]) -> tuple[float, float]:
    start = time.perf_counter()
    ids = [
        evidence.upload_file(session, actor=None, unit_id=unit_id, filename="b.pdf",
                             stream=io.BytesIO(data), store=store, max_bytes=64 * MIB).id
        for data in files
    ]
    written = time.perf_counter() - start
    start = time.perf_counter()
    for evidence_id in ids:
        _, file = evidence.open_file(session, actor=None, evidence_id=evidence_id, store=store)
        for _ in file.chunks():
            pass
    return written, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20, help="files of 1 MiB")
    parser.add_argument("--large", type=int, default=3, help="files of 20 MiB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from tests.support.seaweedfs import S3Server, SeaweedFS, ensure_bucket

    work = Path(tempfile.mkdtemp(prefix="zona-bench-storage-"))
    server, weed = S3Server.from_env(), None
    if server is None:
        weed = SeaweedFS(work / "seaweedfs")
        server = weed.start()
    ensure_bucket(server)
    try:
        url = f"sqlite:///{work / 'zona.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            unit = units.create(session, actor=None, code="BENCH", name="Bench", level="ministry")
            for label, sizes in (("1 MiB files", [MIB] * args.small),
                                 ("20 MiB files", [20 * MIB] * args.large)):
                total = sum(sizes) / MIB
                print(f"== {len(sizes)} x {label} ({total:.0f} MiB), median of "
                      f"{args.rounds} rounds, MiB/s")
                results: dict[str, list[tuple[float, float]]] = {}
                for round_number in range(args.rounds):
                    files = [_pdf(size) for size in sizes]  # new bytes: no dedupe between rounds
                    local = storage.local(work / f"uploads-{round_number}")
                    s3 = storage.s3_store(
                        f"{server.url}/bench-{uuid.uuid4().hex[:8]}", server.endpoint_url,
                        server.region, server.access_key_id, server.secret_access_key, "path")
                    runs = {
                        "bare file write+fsync / read": (
                            _bare_local, work / f"bare-{round_number}", files),
                        "zona local upload / download": (_zona, session, unit.id, local, files),
                        "bare S3 PutObject / GetObject": (_bare_s3, s3, files),
                        "zona S3 upload / download": (_zona, session, unit.id, s3, files),
                    }
                    for name, (function, *arguments) in runs.items():
                        results.setdefault(name, []).append(function(*arguments))
                rates = {name: (total / statistics.median(r[0] for r in runs),
                                total / statistics.median(r[1] for r in runs))
                         for name, runs in results.items()}
                for name, (up, down) in rates.items():
                    print(f"  {name:<32} up {up:8.1f}   down {down:8.1f}")
                for zona_name, bare_name in (("zona local upload / download",
                                              "bare file write+fsync / read"),
                                             ("zona S3 upload / download",
                                              "bare S3 PutObject / GetObject")):
                    up = rates[zona_name][0] / rates[bare_name][0]
                    down = rates[zona_name][1] / rates[bare_name][1]
                    print(f"  ratio {zona_name.split(' upload')[0]:<10} vs bare: upload "
                          f"{up:.2f}x, download {down:.2f}x")
        engine.dispose()
    finally:
        if weed is not None:
            weed.stop()


if __name__ == "__main__":
    main()
