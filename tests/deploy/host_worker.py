"""A long-running StyleRec worker for the two-host test, as a host would run it.

    python -m tests.deploy.host_worker --name host-a   (DJANGO_SETTINGS_MODULE=tests.deploy.host_settings)

``STYLEREC_TEST_PAUSE`` > 0 makes its engine wait before each batch (so the test can
kill it mid-job). The worker checks for dead jobs every few seconds instead of every
2 minutes, only to keep the test short; the evidence it acts on is the production one.
``STYLEREC_TEST_PRODUCTION_TIMING=1`` runs the production StyleRecWorker with RQ's
default worker TTL instead (docs/benchmarks.md, "Recovery across hosts").
"""

import os
import sys

import django

from stylerec_plugin.restyling.worker import StyleRecWorker


class QuickRecoveryWorker(StyleRecWorker):
    recovery_interval = 3


def main() -> None:
    django.setup()
    from django.core.management import call_command

    from tests.restyling.slow_worker import pause_engine

    pause = float(os.environ.get("STYLEREC_TEST_PAUSE", "0"))
    if pause > 0:
        pause_engine(pause)
    if os.environ.get("STYLEREC_TEST_PRODUCTION_TIMING") == "1":
        timing = ["--worker-class", "stylerec_plugin.restyling.worker.StyleRecWorker"]  # and --worker-ttl 420
    else:
        timing = ["--worker-class", "tests.deploy.host_worker.QuickRecoveryWorker", "--worker-ttl", "20"]
    call_command("rqworker", "stylerec", *timing, *sys.argv[1:])


if __name__ == "__main__":
    main()
