"""Serve the demo shop on http://127.0.0.1:8000, with a style worker when Redis answers."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from demo_shop.catalog.redis_probe import redis_available

WORKER_COMMAND = [
    "rqworker", "stylerec", "--with-scheduler", "--worker-class", "stylerec_plugin.restyling.worker.StyleRecWorker"
]


class Command(BaseCommand):
    help = "Run the demo web server and, when Redis is up, an RQ worker for style jobs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options) -> None:
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
        try:
            subprocess.call([sys.executable, "manage.py", "runserver", addr, "--noreload"])
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
