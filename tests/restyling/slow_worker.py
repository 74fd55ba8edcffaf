"""A StyleRec worker whose engine waits before each batch, so a test can kill it mid-job.

The engine itself is the real one; only a pause is added in front of it.
Run: python -m tests.restyling.slow_worker  (DJANGO_SETTINGS_MODULE=tests.restyling.worker_settings)
"""

import os
import sys
import time

import django


def pause_engine(pause: float) -> None:
    """Make every engine batch of this process wait ``pause`` seconds first (and say so)."""
    from stylerec_plugin.engine import Stylizer

    original = Stylizer.restyle_batch

    def paused_restyle_batch(self, *args, **kwargs):
        print("STYLEREC-TEST: engine entered", flush=True)
        time.sleep(pause)
        return original(self, *args, **kwargs)

    Stylizer.restyle_batch = paused_restyle_batch


def main() -> None:
    django.setup()
    from django.core.management import call_command

    pause_engine(float(os.environ.get("STYLEREC_TEST_PAUSE", "60")))
    call_command(
        "rqworker",
        "stylerec",
        "--burst",
        "--worker-class",
        "stylerec_plugin.restyling.worker.StyleRecWorker",
        *sys.argv[1:],
    )


if __name__ == "__main__":
    main()
