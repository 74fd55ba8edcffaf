"""Load and soak runs against the production server of docs/deploy.md, with the pipeline busy.

    # 1. Once: the demo shop in its own PostgreSQL database, variants made (a few minutes):
    .venv/bin/python bench/load.py setup
    # 2. Pages x visitors at 16 and 64 connections, 60 s each, while a worker restyles:
    .venv/bin/python bench/load.py run --connections 16 64 --duration 60
    # 3. A 10-minute mixed soak (browse, style picker, events API, cart), memory per process:
    .venv/bin/python bench/load.py soak --duration 600 --clients 16

The server is gunicorn with ``demo_shop/gunicorn.conf.py`` (DEBUG off, WhiteNoise,
hashed static files, a Redis cache, persistent connections), as docs/deploy.md runs
a web host. "Pipeline busy": one StyleRec worker (OMP_NUM_THREADS=1) re-renders
every variant (``stylerec_restyle --all``) again and again during the run, so it
competes with the web processes for the CPU and the database.

Load comes from wrk (Debian's ``wrk`` package) when installed, else from a Python
client with keep-alive connections (which itself needs CPU: prefer wrk). The soak is
always the Python client (it posts forms and JSON with CSRF tokens).

Everything lives apart from the demo and the tests: database
``STYLEREC_BENCH_LOAD_DATABASE_URL`` (default .../stylerec_bench_load), Redis
databases 12 (queue) and 13 (cache) unless ``STYLEREC_BENCH_REDIS_URL`` /
``STYLEREC_BENCH_CACHE_URL`` say otherwise, files under ``var/bench-load/``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.loadtools import (  # noqa: E402
    free_port,
    load,
    load_average,
    percentile,
    process_tree,
    rss_mib,
    wait_for_http,
)

DATABASE_URL = os.environ.get(
    "STYLEREC_BENCH_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/stylerec_bench_load"
)
REDIS_URL = os.environ.get("STYLEREC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
CACHE_URL = os.environ.get("STYLEREC_BENCH_CACHE_URL", "redis://127.0.0.1:6379/13")
VAR = ROOT / "var" / "bench-load"


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="demo_shop.settings",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DJANGO_CACHE_URL=CACHE_URL,
        DJANGO_STATIC_MANIFEST="1",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_MEDIA_ROOT=str(VAR / "media"),
        STYLEREC_DEMO_VAR=str(VAR),
        STYLEREC_QUEUE_MODE="rq",
        OMP_NUM_THREADS="1",
    )
    env.update(extra)
    return env


def manage(*args: str, output=None, **env: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment(**env), check=True,
                   stdout=output, stderr=output)


def setup() -> None:
    import psycopg
    from dj_database_url import parse

    config = parse(DATABASE_URL)
    with psycopg.connect(host=config["HOST"], port=config["PORT"] or 5432, user=config["USER"], dbname="postgres",
                         autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
    # No Redis during set-up: demo_setup then renders the variants here, with a progress bar.
    manage("demo_setup", REDIS_URL="redis://127.0.0.1:1/0", STYLEREC_QUEUE_MODE="auto")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    print(f"bench shop ready in {DATABASE_URL}, files in {VAR}")


def django_setup() -> None:
    os.environ.update(environment())
    import django

    django.setup()


def styled_session() -> str:
    """A returning shopper with a style: a real session whose shopper picked the first active style."""
    from django.contrib.sessions.backends.db import SessionStore

    from stylerec_plugin.models import Style, StylePreference

    session = SessionStore()
    session.save()
    StylePreference.objects.update_or_create(
        shopper_key=f"session:{session.session_key}", style=Style.objects.filter(is_active=True).order_by("pk").first(),
        source="explicit", defaults={"weight": 1.0},
    )
    return f"sessionid={session.session_key}"


class Shop:
    """gunicorn per docs/deploy.md plus a StyleRec worker kept busy re-rendering every variant."""

    def __init__(self, busy: bool = True) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.busy = busy
        self.processes: dict[str, subprocess.Popen] = {}
        self._stop = threading.Event()
        self.feeds = 0

    def __enter__(self) -> Shop:
        VAR.mkdir(parents=True, exist_ok=True)
        self.log = open(VAR / "server.log", "w")  # noqa: SIM115 - closed in __exit__
        env = environment(GUNICORN_ACCESS_LOG="")
        self.processes["gunicorn"] = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "demo_shop/gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        if self.busy:
            self.processes["worker"] = subprocess.Popen(
                [sys.executable, "manage.py", "rqworker", "stylerec", "--worker-class",
                 "stylerec_plugin.restyling.worker.StyleRecWorker"],
                cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            )
            self._feeder = threading.Thread(target=self._feed, daemon=True)
            self._feeder.start()
        wait_for_http(self.base + "/")
        return self

    def _feed(self) -> None:
        import redis

        connection = redis.Redis.from_url(REDIS_URL)
        while not self._stop.is_set():
            if connection.llen("rq:queue:stylerec") == 0:
                manage("stylerec_restyle", "--all", "--trust-hashes", "--no-progress", output=self.log)
                self.feeds += 1
            self._stop.wait(2)

    def memory(self) -> list[tuple[str, int, float]]:
        rows = []
        for name, process in self.processes.items():
            for pid in process_tree(process.pid):
                rss = rss_mib(pid)
                if rss is not None:
                    rows.append((name if pid == process.pid else f"{name} child", pid, rss))
        return rows

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()
        errors = [line for line in (VAR / "server.log").read_text().splitlines() if "Traceback" in line]
        print(f"\nserver and worker log: {VAR / 'server.log'} ({len(errors)} tracebacks)")


def run(connection_counts: list[int], duration: int, busy: bool) -> None:
    django_setup()
    from demo_shop.catalog.models import Category, Product

    cookie = styled_session()
    category = Category.objects.order_by("pk").first()
    product = Product.objects.order_by("pk").first()
    pages = [("home", "/"), ("category", f"/category/{category.slug}/"), ("product", f"/product/{product.slug}/")]
    with Shop(busy=busy) as shop:
        print(f"\nLoad run: gunicorn ({os.cpu_count()} cores), {duration} s per row, pipeline "
              f"{'busy restyling' if busy else 'idle'}, load average at start {load_average()}\n")
        print("| connections | page | visitor | requests | errors | req/s | p50 ms | p99 ms | tool |")
        print("|---:|---|---|---:|---:|---:|---:|---:|---|")
        for connections in connection_counts:
            for label, path in pages:
                for visitor, visitor_cookie in (("new", None), ("returning, styled", cookie)):
                    tool, result = load(shop.base + path, connections, duration, visitor_cookie)
                    print(f"| {connections} | {label} | {visitor} | {result['requests']} | {result['errors']} | "
                          f"{result['rps']:.1f} | {result['p50_ms']:.1f} | {result['p99_ms']:.1f} | {tool} |",
                          flush=True)
        print(f"\nload average at the end {load_average()}; the pipeline was fed {shop.feeds} times")


# --- soak ----------------------------------------------------------------------------------------


class Visitor:
    """One shopper with a cookie jar: browses, picks a style, sends events, fills a cart."""

    def __init__(self, base: str, slugs: dict[str, list[str]], rng: random.Random) -> None:
        self.base, self.slugs, self.rng = base, slugs, rng
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _csrf(self) -> str:
        return next((cookie.value for cookie in self.jar if cookie.name == "csrftoken"), "")

    def request(self, path: str, data: dict | None = None, json_body: dict | None = None) -> int:
        headers = {"Referer": self.base + "/"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self._csrf()}, doseq=True).encode()
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers.update({"Content-Type": "application/json", "X-CSRFToken": self._csrf()})
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def actions(self):
        pick = self.rng.choice
        product = pick(self.slugs["products"])
        yield "home", lambda: self.request("/")
        yield "category", lambda: self.request(f"/category/{pick(self.slugs['categories'])}/")
        yield "product", lambda: self.request(f"/product/{product}/")
        yield "picker", lambda: self.request("/styles/")
        yield "picker post", lambda: self.request("/styles/", data={"use": pick(self.slugs["styles"])})
        yield "event api", lambda: self.request(
            "/stylerec/api/events/", json_body={"product": self.slugs["product_ids"][product], "kind": "view"}
        )
        yield "cart add", lambda: self.request(f"/cart/add/{product}/", data={})


def soak(duration: int, clients: int, busy: bool) -> None:
    django_setup()
    from demo_shop.catalog.models import Category, Product
    from stylerec_plugin.models import Style

    products = list(Product.objects.values_list("slug", "pk"))
    slugs = {
        "products": [slug for slug, _ in products],
        "product_ids": dict(products),
        "categories": list(Category.objects.values_list("slug", flat=True)),
        "styles": list(Style.objects.filter(is_active=True).values_list("slug", flat=True)),
    }
    timings: dict[str, list[float]] = defaultdict(list)
    codes: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()
    with Shop(busy=busy) as shop:
        time.sleep(5)
        start_memory = shop.memory()
        deadline = time.monotonic() + duration

        def shopper(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                visitor = Visitor(shop.base, slugs, rng)  # a new shopper every round, as real traffic
                for name, action in visitor.actions():
                    started = time.perf_counter()
                    status = action()
                    with lock:
                        timings[name].append(time.perf_counter() - started)
                        codes[name][status] += 1
                    if time.monotonic() >= deadline:
                        return

        threads = [threading.Thread(target=shopper, args=(seed,)) for seed in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        end_memory = shop.memory()
    print(f"\nSoak: {clients} shoppers for {duration} s, pipeline {'busy' if busy else 'idle'}, "
          f"load average at the end {load_average()}\n")
    print("| action | requests | 2xx/3xx | 429 (throttled) | other errors | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, values in timings.items():
        ok = sum(n for code, n in codes[name].items() if 200 <= code < 400)
        throttled = codes[name].get(429, 0)
        print(f"| {name} | {len(values)} | {ok} | {throttled} | {len(values) - ok - throttled} | "
              f"{statistics.median(values) * 1000:.1f} | {percentile(values, 0.99) * 1000:.1f} |")
    print("\n| process | pid | RSS at start MiB | RSS at end MiB |")
    print("|---|---:|---:|---:|")
    end = {pid: rss for _name, pid, rss in end_memory}
    for name, pid, rss in start_memory:
        after = f"{end[pid]:.0f}" if pid in end else "gone (recycled)"
        print(f"| {name} | {pid} | {rss:.0f} | {after} |")
    for name, pid, rss in end_memory:
        if pid not in {p for _n, p, _r in start_memory}:
            print(f"| {name} (started during the soak) | {pid} | - | {rss:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup")
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    run_parser.add_argument("--duration", type=int, default=60)
    soak_parser = sub.add_parser("soak")
    soak_parser.add_argument("--duration", type=int, default=600)
    soak_parser.add_argument("--clients", type=int, default=16)
    for each in (run_parser, soak_parser):
        each.add_argument("--idle-pipeline", action="store_true", help="No restyling during the run (a baseline).")
    args = parser.parse_args()
    if args.command == "setup":
        setup()
    elif args.command == "run":
        run(args.connections, args.duration, busy=not args.idle_pipeline)
    else:
        soak(args.duration, args.clients, busy=not args.idle_pipeline)


if __name__ == "__main__":
    main()
