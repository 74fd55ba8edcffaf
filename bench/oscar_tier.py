"""Where the Oscar test tier's one-time setup goes: Oscar's migrations, the restyled shop, the index.

    PYTHONPATH=. STYLEREC_TEST_DB_NAME=bench_oscar .venv/bin/python -W ignore bench/oscar_tier.py

Creates and drops its own test database (``<STYLEREC_TEST_DB_NAME>_oscar``) on the
PostgreSQL the tests use; prints the three timings side by side (docs/benchmarks.md).
"""

import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oscar.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main() -> None:
    setup_test_environment()
    start = time.perf_counter()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    migrated = time.perf_counter()
    try:
        from tests.oscar.shop import build_shop

        build_shop()
        built = time.perf_counter()
        call_command("rebuild_index", interactive=False, verbosity=0)
        indexed = time.perf_counter()
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    print(
        f"migrations {migrated - start:.1f}s  shop + restyle {built - migrated:.1f}s  "
        f"search index {indexed - built:.1f}s  total {indexed - start:.1f}s"
    )


if __name__ == "__main__":
    main()
