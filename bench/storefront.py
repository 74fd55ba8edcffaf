"""Storefront speed: the personalised grid vs a plain product list, and a load run.

    # 1. Fill a separate PostgreSQL database with 10k products and 100k shoppers (once, ~minutes):
    .venv/bin/python bench/storefront.py seed
    # 2. Render timings (median / p99 / ratio), in-process:
    .venv/bin/python bench/storefront.py render --rounds 300
    # 3. Load run against the running demo (runserver on loopback) with wrk or a Python fallback:
    .venv/bin/python bench/storefront.py load --connections 16 --duration 30

The database is ``STYLEREC_BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/stylerec_bench_storefront); it is created when missing
and never touches the demo's or the tests' databases.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.loadtools import free_port, percentile, python_load, wrk  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/stylerec_bench_storefront"
BENCH_URL = os.environ.get("STYLEREC_BENCH_DATABASE_URL", DEFAULT_URL)
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_shop.settings")
os.environ.setdefault("STYLEREC_QUEUE_MODE", "inline")

N_CATEGORIES = 20
N_STYLES = 8
LIST_LENGTH = 48
NEIGHBOURS = 20
BATCH = 5000


def ensure_database() -> None:
    import psycopg
    from dj_database_url import parse

    config = parse(BENCH_URL)
    with psycopg.connect(
        host=config["HOST"], port=config["PORT"] or 5432, user=config["USER"], dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
            print(f"created database {config['NAME']}")


def setup_django() -> None:
    """Django on the bench database, migrated (a kept database may predate a new migration)."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def seed(n_products: int, n_shoppers: int, seed_value: int, force: bool = False) -> None:
    ensure_database()
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from demo_shop.catalog.models import Category, Product
    from stylerec_plugin.models import (
        Interaction,
        ProductPhoto,
        RecommendationList,
        RecommenderModel,
        RestyledImage,
        ShopperProfile,
        Style,
        StylePreference,
    )

    if not force and Product.objects.count() >= n_products and StylePreference.objects.count() > 0:
        print(f"already seeded: {Product.objects.count()} products; use --force to rebuild")
        return
    rng = random.Random(seed_value)
    started = time.perf_counter()
    with transaction.atomic():
        for model in (RecommendationList, RecommenderModel, Interaction, StylePreference, ShopperProfile,
                      RestyledImage, ProductPhoto, Product, Category, Style):
            model.objects.all().delete()
        categories = Category.objects.bulk_create(
            [Category(name=f"Category {i}", slug=f"category-{i}") for i in range(N_CATEGORIES)]
        )
        styles = [
            Style.objects.create(name=f"Style {i}", slug=f"style-{i}", kind="preset", preset_weights={str(i): 1})
            for i in range(N_STYLES)
        ]
        Product.objects.bulk_create(
            [
                Product(
                    name=f"Product {i}",
                    slug=f"product-{i}",
                    price=f"{rng.randint(5, 300)}.00",
                    category=categories[i % N_CATEGORIES],
                    image=f"products/bench-{i % 54}.jpg",
                )
                for i in range(n_products)
            ],
            batch_size=BATCH,
        )
        product_ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
        ProductPhoto.objects.bulk_create(
            [ProductPhoto(product_id=pk, source_hash=f"h{pk}", width=800, height=800) for pk in product_ids],
            batch_size=BATCH,
        )
        RestyledImage.objects.bulk_create(
            [
                RestyledImage(
                    product_id=pk, style=style, style_version=style.version, engine="preset",
                    engine_version="preset-1", source_hash=f"h{pk}", status="ready",
                    image=f"stylerec/variants/{style.pk}/{pk}.jpg", width=640, height=640,
                )
                for pk in product_ids
                for style in styles
            ],
            batch_size=BATCH,
        )
        print(f"products, photos and {len(product_ids) * N_STYLES} variants: {time.perf_counter() - started:.0f} s")
        shopper_keys = [f"user:{i}" if i % 3 == 0 else f"session:bench{i:07d}" for i in range(n_shoppers)]
        StylePreference.objects.bulk_create(
            [
                StylePreference(shopper_key=key, style=rng.choice(styles), weight=1.0, source="explicit")
                for key in shopper_keys
                if rng.random() < 0.7
            ],
            batch_size=BATCH,
        )
        ShopperProfile.objects.bulk_create(
            [ShopperProfile(shopper_key=key, personalisation_enabled=False) for key in shopper_keys[::20]],
            batch_size=BATCH,
        )
        now = timezone.now()
        kinds = ["view"] * 6 + ["click"] * 2 + ["cart", "purchase"]
        Interaction.objects.bulk_create(
            [
                Interaction(
                    shopper_key=key,
                    product_id=rng.choice(product_ids),
                    kind=rng.choice(kinds),
                    created_at=now - timedelta(days=rng.uniform(0.1, 60)),
                )
                for key in shopper_keys
                for _ in range(3)
            ],
            batch_size=BATCH,
        )
        print(f"shoppers, preferences, interactions: {time.perf_counter() - started:.0f} s")
        model = RecommenderModel.objects.create(
            status="ready", is_active=True, algorithm="bench",
            params={"data_until": (now - timedelta(days=1)).timestamp(),
                    "style_names": {str(s.pk): s.name for s in styles}},
            n_shoppers=n_shoppers, n_products=n_products,
        )

        def ranked(count: int, code: str, argument=None) -> list:
            chosen = rng.sample(product_ids, count)
            return [[pk, round(1.0 - i / count, 4), code, argument] for i, pk in enumerate(chosen)]

        shared = [RecommendationList(model=model, shopper_key="", items=ranked(100, "popular"))]
        shared += [RecommendationList(model=model, shopper_key=f"style:{s.pk}", items=ranked(100, "style", s.pk))
                   for s in styles]
        RecommendationList.objects.bulk_create(shared)
        RecommendationList.objects.bulk_create(
            (RecommendationList(model=model, shopper_key=f"item:{pk}", items=ranked(NEIGHBOURS, "similar"))
             for pk in product_ids),
            batch_size=BATCH,
        )
        RecommendationList.objects.bulk_create(
            (RecommendationList(model=model, shopper_key=key, items=ranked(LIST_LENGTH, "similar_shoppers"))
             for key in shopper_keys),
            batch_size=BATCH,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {n_products} products, {n_shoppers} shoppers in {time.perf_counter() - started:.0f} s")


# --- render timings -----------------------------------------------------------------------

PLAIN_LIST = """{% for product in products %}<article class="card">
<a href="{{ product.get_absolute_url }}"><img src="{{ product.image.url }}" alt="{{ product.name }}" loading="lazy"></a>
<h3><a href="{{ product.get_absolute_url }}">{{ product.name }}</a></h3><p class="price">${{ product.price }}</p>
</article>{% endfor %}"""
GRID = "{% load stylerec %}{% stylerec_grid count=24 %}"


def render(rounds: int, seed_value: int) -> None:
    setup_django()
    from django.core.cache import caches
    from django.db import connection, reset_queries
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from demo_shop.catalog.models import Product
    from stylerec_plugin.models import StylePreference
    from stylerec_plugin.shoppers import Shopper

    n_products = Product.objects.count()
    n_shoppers = StylePreference.objects.values("shopper_key").distinct().count()
    if n_products == 0:
        sys.exit("seed first: bench/storefront.py seed")
    rng = random.Random(seed_value)
    styled_keys = list(
        StylePreference.objects.filter(source="explicit").order_by("?").values_list("shopper_key", flat=True)[:5000]
    )
    plain = Template(PLAIN_LIST)
    grid = Template(GRID)
    factory = RequestFactory()

    def request_for(key: str):
        request = factory.get("/")
        request.session = None
        request.user = None
        request.shopper = Shopper(key, int(key.split(":")[1]) if key.startswith("user:") else None)
        return request

    def plain_once() -> float:
        offset = rng.randrange(0, max(1, n_products - 24))
        start = time.perf_counter()
        products = Product.objects.select_related("category").order_by("pk")[offset: offset + 24]
        plain.render(Context({"products": products}))
        return time.perf_counter() - start

    def grid_once(key: str) -> float:
        request = request_for(key)
        start = time.perf_counter()
        html = grid.render(Context({"request": request}))
        elapsed = time.perf_counter() - start
        assert html.count("<article") == 24, "the grid did not render 24 products"
        return elapsed

    from stylerec_plugin.recommendations import recommend
    from stylerec_plugin.storefront import photos_for, storefront_state

    def recommend_once(key: str) -> float:
        # The recommender's share of a grid (helper C's recommend()), for the breakdown.
        request = request_for(key)
        state = storefront_state(request)
        start = time.perf_counter()
        recommend(state.shopper, n=24, personalised=state.personalise)
        return time.perf_counter() - start

    def photos_once(key: str) -> float:
        # The photo lookup's share: style, variants and sizes for 24 products.
        request = request_for(key)
        offset = rng.randrange(0, max(1, n_products - 24))
        products = list(Product.objects.order_by("pk")[offset: offset + 24])
        start = time.perf_counter()
        state = storefront_state(request)
        photos_for(products, state.style, fallback_style=state.fallback_style)
        return time.perf_counter() - start

    for _ in range(20):  # warm up connections, templates, imports
        plain_once()
        grid_once(rng.choice(styled_keys))
    cold, warm, baseline, rec_part, photo_part = [], [], [], [], []
    hot_key = styled_keys[0]
    for i in range(rounds):
        baseline.append(plain_once())
        cold.append(grid_once(styled_keys[(i + 20) % len(styled_keys)]))  # a shopper not seen yet: cache miss
        warm.append(grid_once(hot_key))  # a returning shopper: lists and treatment cached
        rec_part.append(recommend_once(hot_key))
        photo_part.append(photos_once(hot_key))
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        grid_once(styled_keys[-1])
    cold_queries = len(queries)
    with CaptureQueriesContext(connection) as queries:
        grid_once(hot_key)
    warm_queries = len(queries)
    caches["default"].clear()

    plain_median = statistics.median(baseline)
    print(f"\nStorefront render benchmark: {n_products} products, {n_shoppers} shoppers with a style, "
          f"{rounds} rounds each, PostgreSQL on loopback, locmem cache\n")
    print(f"| {'what':48} | {'median ms':>9} | {'p99 ms':>7} | {'vs plain':>8} | {'queries':>7} |")
    print(f"|{'-' * 50}|{'-' * 11}|{'-' * 9}|{'-' * 10}|{'-' * 9}|")
    rows = [
        ("plain list of 24 (no personalisation)", baseline, 1),
        ("personalised grid of 24, new shopper (cold cache)", cold, cold_queries),
        ("personalised grid of 24, returning shopper", warm, warm_queries),
        ("  of which recommend() (returning shopper)", rec_part, "-"),
        ("  of which style + photo lookup (24 products)", photo_part, "-"),
    ]
    for label, values, query_count in rows:
        median = statistics.median(values)
        print(f"| {label:48} | {median * 1000:9.2f} | {percentile(values, 0.99) * 1000:7.2f} | "
              f"{median / plain_median:7.2f}x | {query_count:>7} |")


# --- load run ------------------------------------------------------------------------------


def load(connections: int, duration: int) -> None:
    setup_django()
    from django.contrib.sessions.backends.db import SessionStore

    from stylerec_plugin.models import Style, StylePreference

    # A returning shopper with a style, identified by a real session cookie.
    session = SessionStore()
    session.save()
    StylePreference.objects.update_or_create(
        shopper_key=f"session:{session.session_key}", style=Style.objects.order_by("pk").first(),
        source="explicit", defaults={"weight": 1.0},
    )
    port = free_port()
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    # The server logs every request: to a file, never to a pipe nobody reads (it would fill and block).
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"stylerec-bench-server-{port}.log"
    log_file = open(log_path, "w")  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=5).read()
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        tool = "wrk" if shutil.which("wrk") else "python"
        print(f"\nLoad run: Django runserver (threaded) on loopback, {connections} connections, {duration} s each, "
              f"tool: {tool}\n")
        print(f"| {'page':46} | {'requests':>8} | {'errors':>6} | {'req/s':>6} | {'p50 ms':>7} | {'p99 ms':>7} |")
        print(f"|{'-' * 48}|{'-' * 10}|{'-' * 8}|{'-' * 8}|{'-' * 9}|{'-' * 9}|")
        targets = [
            ("home, new visitor each request (popular grid)", "/", None),
            ("home, returning shopper with a style", "/", f"sessionid={session.session_key}"),
            ("all products, page 2 (restyled list)", "/products/?page=2", f"sessionid={session.session_key}"),
        ]
        for label, path, cookie in targets:
            if tool == "wrk":
                result = wrk(base + path, connections, duration, cookie)
            else:
                result = python_load(base + path, connections, duration, cookie)
            print(f"| {label:46} | {result['requests']:8d} | {result['errors']:6d} | {result['rps']:6.1f} | "
                  f"{result['p50_ms']:7.1f} | {result['p99_ms']:7.1f} |")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()
        server_errors = [line for line in log_path.read_text().splitlines() if '" 5' in line or "Traceback" in line]
        print(f"\nserver log: {log_path} ({len(server_errors)} error lines)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    seed_parser = sub.add_parser("seed")
    seed_parser.add_argument("--products", type=int, default=10_000)
    seed_parser.add_argument("--shoppers", type=int, default=100_000)
    seed_parser.add_argument("--force", action="store_true")
    render_parser = sub.add_parser("render")
    render_parser.add_argument("--rounds", type=int, default=300)
    load_parser = sub.add_parser("load")
    load_parser.add_argument("--connections", type=int, default=16)
    load_parser.add_argument("--duration", type=int, default=30)
    for each in (seed_parser, render_parser):
        each.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.products, args.shoppers, args.seed, force=args.force)
    elif args.command == "render":
        render(args.rounds, args.seed)
    else:
        load(args.connections, args.duration)


if __name__ == "__main__":
    main()
