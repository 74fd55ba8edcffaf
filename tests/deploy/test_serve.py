"""The web host of docs/deploy.md, followed step by step: gunicorn, WhiteNoise, DEBUG off, Redis cache, PostgreSQL.

Each command the test runs is checked to appear in docs/deploy.md, so the doc and
the test cannot drift apart.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import connection

from tests.restyling.conftest import PRODUCT_PHOTOS, small_jpeg

from .conftest import free_port, stop, wait_for_port

pytestmark = [pytest.mark.deploy, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(django_settings.BASE_DIR)
DOC = ROOT / "docs" / "deploy.md"
WEB_COMMANDS = [
    ["manage.py", "migrate", "--noinput"],
    ["manage.py", "collectstatic", "--noinput"],
]
GUNICORN = ["gunicorn", "-c", "demo_shop/gunicorn.conf.py"]
WEB_ENVIRONMENT = ("DATABASE_URL", "DJANGO_CACHE_URL", "DJANGO_STATIC_MANIFEST=1", "DJANGO_ALLOWED_HOSTS",
                   "DJANGO_SECRET_KEY")
WORKERS, THREADS = 2, 3


@pytest.fixture
def shop(media_root):
    from demo_shop.catalog.models import Category, Product

    category = Category.objects.create(name="Prints", slug="prints")
    products = []
    for index in range(3):
        product = Product(name=f"Print {index}", slug=f"print-{index}", price="20.00", category=category)
        product.image.save(f"print-{index}.jpg", ContentFile(small_jpeg(PRODUCT_PHOTOS[index], 160)), save=False)
        product.save()
        products.append(product)
    return products


def _environment(tmp_path: Path, media_root: Path, **extra: str) -> dict[str, str]:
    database = connection.settings_dict
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "STYLEREC_")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="demo_shop.settings",
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECRET_KEY="a-test-secret-key-that-is-long-enough-for-check-deploy-0123456789",
        DJANGO_MEDIA_ROOT=str(media_root),
        STYLEREC_DEMO_VAR=str(tmp_path / "var"),
        STYLEREC_QUEUE_MODE="rq",
        REDIS_URL=django_settings.RQ_QUEUES["stylerec"]["URL"],
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def _burst(url: str, clients: int = 16, each: int = 4) -> list[int]:
    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(lambda _: _get(url)[0], range(clients * each)))


def _server_connections() -> int:
    """Connections to the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        )
        return cursor.fetchone()[0]


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "w") as handle:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def test_the_web_host_serves_the_shop_under_gunicorn_as_docs_deploy_md_says(shop, media_root, tmp_path):
    doc = DOC.read_text()
    for command in [*WEB_COMMANDS, GUNICORN]:
        assert " ".join(command) in doc, f"docs/deploy.md no longer says `{' '.join(command)}`"
    for variable in WEB_ENVIRONMENT:
        assert variable in doc, variable

    import redis

    cache_url = django_settings.RQ_QUEUES["stylerec"]["URL"]
    env = _environment(tmp_path, media_root, DJANGO_CACHE_URL=cache_url, DJANGO_STATIC_MANIFEST="1",
                       GUNICORN_WORKERS=str(WORKERS), GUNICORN_THREADS=str(THREADS), GUNICORN_ACCESS_LOG="")
    for command in WEB_COMMANDS:
        done = subprocess.run([sys.executable, *command, "--verbosity", "0"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    server = _start([sys.executable, "-m", *GUNICORN, "--bind", f"127.0.0.1:{port}"], env, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    cache = redis.Redis.from_url(cache_url)
    try:
        wait_for_port(port, server)
        pages = {}
        for path in ("/", "/products/", "/category/prints/", f"/product/{shop[0].slug}/", "/styles/",
                     "/stylerec/api/styles/", "/stylerec/api/docs/", f"/media/{shop[0].image.name}"):
            status, _, body = _get(base + path)
            assert status == 200, (path, status, body[:500])
            pages[path] = body

        # DEBUG is off: a missing page is a plain 404, never Django's debug page.
        status, _, body = _get(base + "/no-such-page/")
        assert status == 404 and "DEBUG = True" not in body and "Traceback" not in body

        # Static files: hashed names, served by WhiteNoise with far-future headers.
        stylesheets = re.findall(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', pages["/"])
        assert stylesheets, "the pages link hashed static files"
        status, headers, _ = _get(base + stylesheets[0])
        assert status == 200
        cache_control = headers["Cache-Control"]
        assert "immutable" in cache_control and int(re.search(r"max-age=(\d+)", cache_control)[1]) >= 365 * 86400

        # A burst of clients: no errors, and at most one persistent connection per gunicorn thread.
        assert set(_burst(base + "/products/")) == {200}
        assert 0 < _server_connections() <= WORKERS * THREADS
        # The cache is the shared Redis, not per-process memory.
        assert cache.keys(":1:*"), "nothing was cached in Redis"
    finally:
        stop(server)
        for key in cache.keys(":1:*"):
            cache.delete(key)
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log, log[-3000:]


def test_the_development_server_keeps_no_connection_per_request_thread(shop, media_root, tmp_path):
    """The finding: runserver with CONN_MAX_AGE=60 ran PostgreSQL out of connections (a thread per request)."""
    env = _environment(tmp_path, media_root)
    port = free_port()
    server = _start([sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
                    env, tmp_path / "runserver.log")
    try:
        wait_for_port(port, server)
        assert set(_burst(f"http://127.0.0.1:{port}/products/")) == {200}
        assert _server_connections() <= 1, "request threads kept their database connections"
    finally:
        stop(server)
