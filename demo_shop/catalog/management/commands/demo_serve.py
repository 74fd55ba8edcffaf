"""Serve the demo shop on http://127.0.0.1:8000, with a style worker when Redis answers.

``--gunicorn`` serves it the production way (``make serve``): gunicorn with
``demo_shop/gunicorn.conf.py`` instead of the development server.
"""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from demo_shop.catalog.redis_probe import redis_available

WORKER_COMMAND = [
    "rqworker", "stylerec", "--with-scheduler", "--worker-class", "stylerec_plugin.restyling.worker.StyleRecWorker"
]


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the demo web server and, when Redis is up, an RQ worker for style jobs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument(
            "--gunicorn", action="store_true", help="Serve with gunicorn (DEBUG off, static via WhiteNoise)."
        )

    def handle(self, *args, addr: str, gunicorn: bool = False, **options) -> None:
        worker = None
        if redis_available(settings.RQ_QUEUES["stylerec"]["URL"]):
            # One torch thread per worker process: measured fastest on small CPUs (docs/pipeline.md).
            worker = subprocess.Popen(
                [sys.executable, "manage.py", *WORKER_COMMAND],
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )
            self.stdout.write(f"Style worker started (pid {worker.pid}).")
        else:
            self.stdout.write("Redis is not reachable: style jobs run inline in the web process.")
        self.stdout.write(self.style.SUCCESS(f"Demo shop: http://{addr}/  admin: http://{addr}/admin/"))
        if gunicorn:
            server = subprocess.Popen(self._gunicorn_command(addr), env=self._gunicorn_env())
        else:
            if not settings.DEBUG:
                self.stdout.write("DEBUG is off: static files come from WhiteNoise (run collectstatic first).")
            server = subprocess.Popen([sys.executable, "manage.py", "runserver", addr, "--noreload"])
        # Stopped with SIGTERM (systemd, `kill`) as with Ctrl-C: the server and the worker go too.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stopping = [process for process in (server, worker) if process is not None and process.poll() is None]
            for process in stopping:
                process.terminate()
            for process in stopping:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _gunicorn_command(self, addr: str) -> list[str]:
        if settings.DEBUG:
            self.stdout.write(self.style.WARNING("DEBUG is on under gunicorn: unset DJANGO_DEBUG for production."))
        return [sys.executable, "-m", "gunicorn", "-c", "demo_shop/gunicorn.conf.py", "--bind", addr]

    def _gunicorn_env(self) -> dict[str, str]:
        env = dict(os.environ)
        cache_url = env.get("DJANGO_CACHE_URL", "")
        if cache_url.startswith("redis") and not redis_available(cache_url):
            # A cache that does not answer would turn every page into an error.
            self.stdout.write(
                self.style.WARNING(f"The cache {cache_url} does not answer: each process keeps its own cache.")
            )
            env.pop("DJANGO_CACHE_URL")
        return env
