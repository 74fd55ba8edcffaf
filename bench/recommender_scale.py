"""Recommender scale benchmark: fit, top-N precompute, peak memory and serving time.

    .venv/bin/python bench/recommender_scale.py                      # 100k shoppers, 10k products, 1M events
    .venv/bin/python bench/recommender_scale.py --serve-db 10000     # + recommend() through Django/PostgreSQL

The data is synthetic and made in memory (stylerec_plugin.recommender.synthetic).
The core works on arrays; ``--serve-db N`` also writes N shoppers' precomputed
lists into a throwaway PostgreSQL database (tests.settings, database
``bench_rec`` unless STYLEREC_TEST_DB_NAME says otherwise) and times
``recommend()`` for them, with the lists cached and not cached.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stylerec_plugin.recommender import data  # noqa: E402
from stylerec_plugin.recommender.hybrid import REASON_FOR_PART, HybridRecommender  # noqa: E402
from stylerec_plugin.recommender.synthetic import make_shop  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100.0 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--algorithm", default="implicit_svd")
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--negative-ratio", type=float, default=4.0)
    parser.add_argument("--top-n", type=int, default=100)
    parser.add_argument(
        "--serve-db",
        type=int,
        default=0,
        metavar="N",
        help="also time recommend() for N shoppers' lists stored in PostgreSQL",
    )
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []
    started = time.perf_counter()
    shop = make_shop(args.shoppers, args.products, args.interactions, dim=100, seed=0)
    pairs = data.aggregate(shop.events, half_life_days=30.0)
    rows.append(("generate + aggregate", f"{time.perf_counter() - started:.1f} s ({len(pairs):,} pairs)"))

    part_params = {
        "implicit_svd": {"n_factors": args.factors, "n_epochs": args.epochs, "negative_ratio": args.negative_ratio}
    }
    parts = args.algorithm.split("+")
    weights = {part: 0.6 / len(parts) for part in parts} | {"style": 0.2, "popular": 0.2}
    hybrid = HybridRecommender(
        algorithms=parts, style_inputs=shop.style_inputs, search=False, part_params=part_params, blend_weights=weights
    )
    started = time.perf_counter()
    hybrid.fit(pairs)
    fit_seconds = time.perf_counter() - started
    detail = ", ".join(f"{p} {hybrid.scorers[p].fit_seconds:.1f} s" for p in hybrid.parts)
    rows.append(("fit (blend weights fixed)", f"{fit_seconds:.1f} s ({detail})"))

    is_purchase = shop.kinds == 3
    purchased = data.Pairs(
        shop.events.users[is_purchase],
        shop.events.items[is_purchase],
        np.ones(int(is_purchase.sum())),
        np.zeros(int(is_purchase.sum())),
        np.zeros(int(is_purchase.sum())),
        pairs.n_users,
        pairs.n_items,
    ).matrix(binary=True)
    users = np.arange(pairs.n_users)
    started = time.perf_counter()
    lists: dict[int, list] = {}
    keep_lists = max(args.serve_db, 1000)
    for start in range(0, len(users), 2048):
        batch = users[start : start + 2048]
        ranking = hybrid.rank(batch, args.top_n, purchased, batch_size=2048)
        if start < keep_lists:
            for row, user in enumerate(batch[: keep_lists - start]):
                lists[int(user)] = [
                    [int(i), round(float(s), 5), REASON_FOR_PART[hybrid.parts[r]], None]
                    for i, s, r in zip(ranking.items[row], ranking.scores[row], ranking.reasons[row], strict=True)
                    if i >= 0
                ]
    precompute = time.perf_counter() - started
    rows.append(
        (
            f"top-{args.top_n} precompute, all shoppers",
            f"{precompute:.1f} s ({precompute / len(users) * 1000:.2f} ms per shopper)",
        )
    )
    rows.append(("peak memory (max RSS)", f"{peak_rss_mib():,.0f} MiB"))

    # Serving from precomputed lists in memory: the lookup + purchase filter recommend() does.
    rng = np.random.default_rng(1)
    sample = rng.choice(list(lists), 1000)
    timings = []
    for user in sample:
        t0 = time.perf_counter()
        excluded = set(purchased.indices[purchased.indptr[user] : purchased.indptr[user + 1]].tolist())
        _ = [row for row in lists[int(user)] if row[0] not in excluded][:24]
        timings.append((time.perf_counter() - t0) * 1000)
    rows.append(
        (
            "serve 24 from an in-memory list",
            f"p50 {percentile(timings, 50):.3f} ms, p95 {percentile(timings, 95):.3f} ms",
        )
    )

    if args.serve_db:
        rows.extend(serve_through_django(lists, args.products, args.serve_db))

    print(
        f"StyleRec recommender scale benchmark: {args.shoppers:,} shoppers, {args.products:,} products, "
        f"{args.interactions:,} interactions; {args.algorithm} ({args.factors} factors, {args.epochs} epochs, "
        f"{args.negative_ratio:g} negatives per positive) + style + popularity; {os.cpu_count()} CPUs"
    )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def serve_through_django(lists: dict[int, list], n_products: int, n_shoppers: int) -> list[tuple[str, str]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("STYLEREC_TEST_DB_NAME", "bench_rec")
    import django

    django.setup()
    from decimal import Decimal

    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from demo_shop.catalog.models import Category, Product
    from stylerec_plugin import signals
    from stylerec_plugin.models import RecommendationList, RecommenderModel
    from stylerec_plugin.recommendations import recommend
    from stylerec_plugin.shoppers import Shopper

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    out: list[tuple[str, str]] = []
    try:
        started = time.perf_counter()
        with signals.paused():
            category = Category.objects.create(name="All", slug="all")
            Product.objects.bulk_create(
                [
                    Product(
                        name=f"Product {n}",
                        slug=f"p-{n}",
                        price=Decimal("9.99"),
                        category=category,
                        image=f"products/p-{n}.jpg",
                    )
                    for n in range(n_products)
                ],
                batch_size=2000,
            )
        pks = list(Product.objects.order_by("pk").values_list("pk", flat=True))
        model = RecommenderModel.objects.create(
            algorithm="bench", status="ready", is_active=True, params={"data_until": time.time()}
        )
        users = list(lists)[:n_shoppers]
        RecommendationList.objects.bulk_create(
            [
                RecommendationList(
                    model=model, shopper_key=f"session:u{u}", items=[[pks[i], s, c, a] for i, s, c, a in lists[u]]
                )
                for u in users
            ]
            + [
                RecommendationList(
                    model=model, shopper_key="", items=[[pks[i], 0.0, "popular", None] for i in range(100)]
                )
            ],
            batch_size=2000,
        )
        out.append((f"write {len(users):,} lists + products to PostgreSQL", f"{time.perf_counter() - started:.1f} s"))
        rng = np.random.default_rng(2)
        sample = rng.choice(users, min(500, len(users)), replace=False)
        # personalised=True is how the API and template tags call it (consent comes
        # with the experiment treatment, cached per request); None costs one more query.
        for personalised in (True, None):
            cold, warm, warm_cpu, cold_queries, warm_queries = [], [], [], [], []
            for user in sample:
                shopper = Shopper(key=f"session:u{user}")
                cache.clear()
                t0 = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    recommend(shopper, n=24, personalised=personalised)
                cold.append((time.perf_counter() - t0) * 1000)
                cold_queries.append(len(captured))
                t0, c0 = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as captured:
                    recommend(shopper, n=24, personalised=personalised)
                warm.append((time.perf_counter() - t0) * 1000)
                warm_cpu.append((time.process_time() - c0) * 1000)
                warm_queries.append(len(captured))
            label = f"recommend(n=24, personalised={personalised})"
            out.append(
                (
                    f"{label}, cache cold",
                    f"p50 {percentile(cold, 50):.2f} ms, p95 {percentile(cold, 95):.2f} "
                    f"ms, {statistics.mean(cold_queries):.0f} queries",
                )
            )
            out.append(
                (
                    f"{label}, lists cached",
                    f"p50 {percentile(warm, 50):.2f} ms, p95 {percentile(warm, 95):.2f}"
                    f" ms, {statistics.mean(warm_queries):.0f} queries; CPU in this process p50 "
                    f"{percentile(warm_cpu, 50):.2f} ms",
                )
            )
        # A database round trip on this machine now, for scale.
        pings = []
        for _ in range(200):
            t0 = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            pings.append((time.perf_counter() - t0) * 1000)
        out.append(
            (
                "PostgreSQL round trip (SELECT 1)",
                f"p50 {percentile(pings, 50):.2f} ms, p95 {percentile(pings, 95):.2f} ms",
            )
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return out


if __name__ == "__main__":
    main()
