"""Fixtures for the production tier: moto's S3 server on loopback, S3 storage settings, subprocesses.

The S3 server is a real HTTP API (``python -m moto.server``) in its own process. It
logs every request it answers; :class:`S3Server` reads that log, so tests count
storage calls where they arrive, not by patching the client.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

# The pipeline's fixtures (real Redis, real RQ worker, real engine, small photos) serve here too.
from tests.restyling.conftest import (  # noqa: F401
    category,
    make_product,
    make_style,
    pipeline_settings,
    run_worker,
)

ACCESS_KEY = "stylerec-test"
SECRET_KEY = "stylerec-test-secret"
REGION = "us-east-1"
_bucket_numbers = itertools.count(1)
# werkzeug's request line: 127.0.0.1 - - [date] "PUT /bucket/key HTTP/1.1" 200 -
_REQUEST_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3})')
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@dataclass(frozen=True)
class S3Request:
    method: str
    bucket: str
    key: str
    query: str
    status: int


class S3Server:
    """moto's S3 server in a subprocess, and the requests it logged."""

    def __init__(self, port: int, log_path: Path, process: subprocess.Popen) -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process = process

    def requests(self) -> list[S3Request]:
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            match = _REQUEST_LINE.search(_ANSI.sub("", line))
            if not match:
                continue
            parts = urlsplit(match["target"])
            bucket, _, key = unquote(parts.path).lstrip("/").partition("/")
            if bucket.startswith("moto-api"):
                continue
            found.append(S3Request(match["method"], bucket, key, parts.query, int(match["status"])))
        return found

    def mark(self) -> int:
        """A position in the log; :meth:`since` gives the requests after it."""
        time.sleep(0.2)  # the server writes its log line after answering
        return len(self.requests())

    def since(self, mark: int, bucket: str | None = None) -> list[S3Request]:
        time.sleep(0.2)
        return [r for r in self.requests()[mark:] if bucket is None or r.bucket == bucket]

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> S3Server:
    """moto's standalone S3 server on a free loopback port, for the whole session."""
    pytest.importorskip("moto.server", reason="moto[server] is in the dev extra (make install)")
    folder = tmp_path_factory.mktemp("moto")
    port = free_port()
    log_path = folder / "requests.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            cwd=folder, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                 "AWS_SECRET_ACCESS_KEY": SECRET_KEY},
        )
    try:
        wait_for_port(port, process)
        yield S3Server(port, log_path, process)
    finally:
        stop(process)


@dataclass
class Bucket:
    name: str
    server: S3Server
    storages: dict

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.server.client().list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def head(self, key: str) -> dict:
        return self.server.client().head_object(Bucket=self.name, Key=key)

    def get(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def requests_since(self, mark: int) -> list[S3Request]:
        return self.server.since(mark, bucket=self.name)


def bucket_storages(server: S3Server, bucket: str, **overrides) -> dict:
    """The demo's recommended STORAGES (demo_shop/s3.py) pointed at the test server."""
    from demo_shop.s3 import s3_storages

    return s3_storages(
        bucket,
        endpoint_url=server.endpoint,
        # Public URLs straight from the bucket, as a CDN in front of it would serve them.
        custom_domain=f"127.0.0.1:{server.port}/{bucket}",
        url_protocol="http:",
        region_name=REGION,
        default_acl="public-read",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        **overrides,
    )


@pytest.fixture
def s3_bucket(s3_server, pipeline_settings) -> Bucket:  # noqa: F811 - the imported fixture
    """A fresh bucket holding this test's photos and variants (STORAGES as docs/deploy.md recommends)."""
    name = f"stylerec-test-{os.getpid()}-{next(_bucket_numbers)}"
    s3_server.client().create_bucket(Bucket=name)
    storages = bucket_storages(s3_server, name)
    pipeline_settings.STORAGES = {**pipeline_settings.STORAGES, **storages}
    pipeline_settings.STYLEREC = {**pipeline_settings.STYLEREC, "STORAGE": "stylerec_variants"}
    # Nothing may land on the local disk: a write there would fail loudly.
    pipeline_settings.MEDIA_ROOT = "/nonexistent/stylerec-media"
    return Bucket(name, s3_server, storages)


def start_pipeline_worker(
    settings, *args: str, pause: float = 60, prefix: tuple[str, ...] = (), module: str = "tests.restyling.slow_worker"
) -> subprocess.Popen:
    """A real StyleRec worker subprocess on the test database, queue and media folder.

    ``module`` is ``tests.restyling.slow_worker`` (a burst worker whose engine waits
    ``pause`` seconds before each batch) unless told otherwise; ``prefix`` wraps the
    command (e.g. ``unshare ...``). Its output is a pipe of text lines.
    """
    from django.conf import settings as django_settings
    from django.db import connection

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.restyling.worker_settings",
        "STYLEREC_TEST_DB_NAME": connection.settings_dict["NAME"],
        "STYLEREC_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "STYLEREC_TEST_REDIS_URL": django_settings.RQ_QUEUES["stylerec"]["URL"],
        "STYLEREC_TEST_PAUSE": str(pause),
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.Popen(
        [*prefix, sys.executable, "-m", module, *args],
        cwd=str(Path(django_settings.BASE_DIR)), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_line(process: subprocess.Popen, text: str, timeout: float = 180) -> list[str]:
    """Read the worker's output until a line holds ``text``; returns the lines read."""
    deadline = time.monotonic() + timeout
    lines = []
    for line in process.stdout:
        lines.append(line)
        if text in line:
            return lines
        if time.monotonic() > deadline:
            break
    pytest.fail(f"the worker never printed {text!r}:\n" + "".join(lines[-40:]))


def kill(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
