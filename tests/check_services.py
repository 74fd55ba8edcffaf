"""Fail fast, saying which, when the PostgreSQL or Redis the tests need is unreachable."""

import os
import socket
import sys
from urllib.parse import urlparse

SERVICES = {
    "PostgreSQL": os.environ.get("STYLEREC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
    "Redis": os.environ.get("STYLEREC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
}


def reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=3):
            return True
    except OSError:
        return False


def main() -> int:
    down = [f"{name} at {url}" for name, url in SERVICES.items() if not reachable(url)]
    for item in down:
        print(f"ERROR: the test suite needs {item}, which is unreachable.", file=sys.stderr)
    return 1 if down else 0


if __name__ == "__main__":
    sys.exit(main())
