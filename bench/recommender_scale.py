"""Recommender scale benchmark: the time-budgeted choice, its quality, cost, memory and serving time.

    .venv/bin/python bench/recommender_scale.py                      # 100k shoppers, 10k products, 1M events
    .venv/bin/python bench/recommender_scale.py --best               # + the best setting found at any cost
    .venv/bin/python bench/recommender_scale.py --no-choice --svd-grid 10:2,20:4,30:6   # implicit SVD alone
    .venv/bin/python bench/recommender_scale.py --data movielens-100k --no-choice --als-grid 16:20:4,64:50:8
    .venv/bin/python bench/recommender_scale.py --ease-memory 2000,5000,10000,20000
    .venv/bin/python bench/recommender_scale.py --shoppers 1000000 --products 100000 \
        --interactions 10000000 --precompute-sample 20000                    # the 10x run
    .venv/bin/python bench/recommender_scale.py --serve-db 10000     # + recommend() through Django/PostgreSQL

The data is synthetic and made in memory (stylerec_plugin.recommender.synthetic).
Each shopper's pairs are split 75/25 (seeded); the hybrid is fitted on the 75 %
by ``fit_hybrid`` within ``--time-budget`` (validation search included), then
the top-N lists of every shopper are precomputed (their training pairs left
out) and the held-out NDCG@10 is read off those lists. Every step prints wall
and CPU seconds; on a shared machine the wall figures are inflated, the CPU
ones less so. ``--serve-db N`` also writes N shoppers' lists into a throwaway
PostgreSQL database (tests.settings, database ``bench_rec`` unless
STYLEREC_TEST_DB_NAME says otherwise) and times ``recommend()`` for them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stylerec_plugin.recommender import data  # noqa: E402
from stylerec_plugin.recommender.choice import PartLimits  # noqa: E402
from stylerec_plugin.recommender.collaborative import ALS, EASE, ImplicitSVD  # noqa: E402
from stylerec_plugin.recommender.hybrid import REASON_FOR_PART, HybridRecommender, fit_hybrid  # noqa: E402
from stylerec_plugin.recommender.metrics import ranking_metrics, top_k  # noqa: E402
from stylerec_plugin.recommender.synthetic import make_shop  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100.0 * (len(ordered) - 1))))]


class Clock:
    """Wall and CPU seconds of a step."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.1f} s ({self.cpu:.1f} s CPU)"


def held_out_ndcg(scorer, train: data.Pairs, test: data.Pairs, users: np.ndarray, k: int = 10) -> float:
    seen, relevant = train.matrix(binary=True), test.matrix(binary=True)
    tops = [top_k(scorer.score(users[s : s + 2048]), k, seen, users[s : s + 2048]) for s in range(0, len(users), 2048)]
    return ranking_metrics(np.concatenate(tops), relevant, users, train.n_items, k).ndcg


def precompute(hybrid: HybridRecommender, users: np.ndarray, top_n: int, exclude, keep: int) -> tuple[np.ndarray, dict]:
    """Top-N of every shopper in ``users`` (as training writes them); returns the top-10s and ``keep`` lists."""
    tops, lists = [], {}
    for start in range(0, len(users), 2048):
        batch = users[start : start + 2048]
        ranking = hybrid.rank(batch, top_n, exclude, batch_size=2048)
        tops.append(ranking.items[:, :10])
        if len(lists) < keep:
            for row, user in enumerate(batch[: keep - len(lists)]):
                lists[int(user)] = [
                    [int(i), round(float(s), 5), REASON_FOR_PART[hybrid.parts[r]], None]
                    for i, s, r in zip(ranking.items[row], ranking.scores[row], ranking.reasons[row], strict=True)
                    if i >= 0
                ]
    return np.concatenate(tops), lists


def run_choice(args, shop, train, test, label: str, budget: float | None, **options) -> dict:
    """Fit with ``fit_hybrid``, precompute the lists, read the held-out NDCG off them."""
    print(f"\n== {label} ==", flush=True)
    with Clock() as fit_clock:
        hybrid, choice = fit_hybrid(
            train, style_inputs=shop.style_inputs, time_budget_seconds=budget, progress=_say, **options
        )
    for line in choice.summary():
        print(f"  {line}")
    for report in choice.parts:
        for candidate in report.candidates:
            print(
                f"    {report.name} {candidate.params}: validation NDCG {candidate.ndcg:.4f}, "
                f"fit {candidate.fit_seconds:.1f} s ({candidate.fit_cpu_seconds:.1f} s CPU)"
            )
    seen = train.matrix(binary=True)
    users = np.arange(train.n_users)
    if args.precompute_sample and args.precompute_sample < len(users):
        users = np.sort(np.random.default_rng(3).choice(users, args.precompute_sample, replace=False))
    with Clock() as rank_clock:
        tops, lists = precompute(hybrid, users, args.top_n, seen, keep=max(args.serve_db, 1000))
    relevant = test.matrix(binary=True)
    ndcg = ranking_metrics(tops, relevant, users, train.n_items, 10).ndcg
    share = len(users) / train.n_users
    per_shopper_ms = rank_clock.wall / len(users) * 1000
    row = {
        "label": label,
        "fit_wall": fit_clock.wall,
        "fit_cpu": fit_clock.cpu,
        "precompute_wall": rank_clock.wall / share,
        "precompute_cpu": rank_clock.cpu / share,
        "ndcg": ndcg,
        "used": choice.used,
        "weights": {p: w for p, w in choice.blend_weights.items() if w},
        "skipped": choice.skipped,
        "choice": choice.as_dict(),
        "precomputed_shoppers": len(users),
    }
    extrapolated = " (extrapolated from a sample)" if share < 1 else ""
    print(
        f"  fit {fit_clock}; top-{args.top_n} precompute for {train.n_users:,} shoppers "
        f"{rank_clock.wall / share:.1f} s ({rank_clock.cpu / share:.1f} s CPU, {per_shopper_ms:.2f} ms per shopper)"
        f"{extrapolated}; fit + precompute {fit_clock.wall + rank_clock.wall / share:.1f} s; "
        f"held-out NDCG@10 {ndcg:.4f} (over {len(users):,} shoppers); RSS now {rss_mib():,.0f} MiB, "
        f"peak {peak_rss_mib():,.0f} MiB",
        flush=True,
    )
    if options.get("refit_unweighted"):
        test_users = np.intersect1d(np.unique(test.users), users)
        row["alone"] = {}
        for part, scorer in hybrid.scorers.items():
            row["alone"][part] = held_out_ndcg(scorer, train, test, test_users)
            print(f"  {scorer.label} alone: held-out NDCG@10 {row['alone'][part]:.4f}", flush=True)
    row["lists"] = lists
    return row


def _say(message: str) -> None:
    print(f"    [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def svd_grid(args, train, test) -> None:
    """Implicit SVD alone: quality against fit time for epochs x negatives (x lr, reg, factors)."""
    users = np.unique(test.users)
    defaults = ImplicitSVD.default_params
    print("\n== implicit SVD alone, held-out NDCG@10 ==")
    header = ("epochs", 6), ("negatives", 9), ("lr", 6), ("reg", 6), ("factors", 7), ("NDCG@10", 8), ("fit s", 7)
    print("  " + " ".join(f"{name:>{width}}" for name, width in header) + f" {'CPU s':>7}")
    for setting in args.svd_grid.split(","):
        values = setting.split(":")
        epochs, ratio = int(values[0]), float(values[1])
        lr = float(values[2]) if len(values) > 2 else defaults["lr"]
        reg = float(values[3]) if len(values) > 3 else defaults["reg"]
        factors = int(values[4]) if len(values) > 4 else defaults["n_factors"]
        scorer = ImplicitSVD(n_factors=factors, n_epochs=epochs, negative_ratio=ratio, lr=lr, reg=reg).fit(train)
        ndcg = held_out_ndcg(scorer, train, test, users)
        print(
            f"  {epochs:>6} {ratio:>9g} {lr:>6g} {reg:>6g} {factors:>7} {ndcg:8.4f} "
            f"{scorer.fit_seconds:7.1f} {scorer.fit_cpu_seconds:7.1f}",
            flush=True,
        )


def als_grid(args, train, test) -> None:
    """ALS alone: held-out quality against fit time for factors x regularisation x alpha (x iterations)."""
    users = np.unique(test.users)
    defaults = ALS.default_params
    print("\n== ALS alone, held-out NDCG@10 ==")
    print(f"  {'factors':>7} {'reg':>6} {'alpha':>6} {'iters':>5} {'NDCG@10':>8} {'fit s':>7} {'CPU s':>7}")
    for setting in args.als_grid.split(","):
        values = setting.split(":")
        factors, reg, alpha = int(values[0]), float(values[1]), float(values[2])
        iterations = int(values[3]) if len(values) > 3 else defaults["iterations"]
        scorer = ALS(factors=factors, reg=reg, alpha=alpha, iterations=iterations).fit(train)
        ndcg = held_out_ndcg(scorer, train, test, users)
        print(
            f"  {factors:>7} {reg:>6g} {alpha:>6g} {iterations:>5} {ndcg:8.4f} "
            f"{scorer.fit_seconds:7.1f} {scorer.fit_cpu_seconds:7.1f}",
            flush=True,
        )


def ease_memory(sizes: str) -> None:
    """EASE^R alone at several catalogue sizes, each in a fresh process (so max RSS is its own)."""
    print("\n== EASE^R fit (primal form): items, seconds, peak memory ==")
    print(f"  {'items':>7} {'fit s':>7} {'CPU s':>7} {'peak RSS MiB':>12} {'of which EASE':>13} {'estimate MiB':>12}")
    for n in (int(v) for v in sizes.split(",")):
        result = subprocess.run([sys.executable, __file__, "--ease-one", str(n)], capture_output=True, text=True)
        if result.returncode != 0:
            print(f"  {n:>7} failed: {result.stderr.strip()[-300:]}")
            continue
        seconds, cpu, peak, delta = json.loads(result.stdout.strip().splitlines()[-1])
        estimate = EASE().estimate_bytes(*ease_shop_size(n)[:2], ease_shop_size(n)[2]) / 1024**2
        print(f"  {n:>7} {seconds:7.1f} {cpu:7.1f} {peak:12,.0f} {delta:13,.0f} {estimate:12,.0f}", flush=True)


def ease_shop_size(n_items: int) -> tuple[int, int, int]:
    """Shoppers, items, events of the shop EASE^R is measured on (more shoppers than items: primal form)."""
    return max(5 * n_items, 20_000), n_items, 40 * n_items


def ease_one(n_items: int) -> None:
    """In a fresh process: fit EASE^R once, print [wall, CPU, peak RSS MiB, RSS growth MiB] as JSON."""
    shop = make_shop(*ease_shop_size(n_items), dim=4, seed=0)
    pairs = data.aggregate(shop.events)
    before = peak_rss_mib()
    scorer = EASE().fit(pairs)
    print(json.dumps([scorer.fit_seconds, scorer.fit_cpu_seconds, peak_rss_mib(), peak_rss_mib() - before]))


def serving_in_memory(lists: dict[int, list], purchased) -> str:
    rng = np.random.default_rng(1)
    sample = rng.choice(list(lists), min(1000, len(lists)))
    timings = []
    for user in sample:
        t0 = time.perf_counter()
        excluded = set(purchased.indices[purchased.indptr[user] : purchased.indptr[user + 1]].tolist())
        _ = [row for row in lists[int(user)] if row[0] not in excluded][:24]
        timings.append((time.perf_counter() - t0) * 1000)
    return f"p50 {percentile(timings, 50):.3f} ms, p95 {percentile(timings, 95):.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data",
        choices=["synthetic", "movielens-100k", "instacart-sample"],
        default="synthetic",
        help="the synthetic shop (sizes below) or a real data set read from its cached wheel",
    )
    parser.add_argument("--shoppers", type=int, default=100_000)
    parser.add_argument(
        "--own-group",
        type=float,
        default=0.55,
        help="share of a synthetic shopper's events from their own taste group (more: more collaborative signal)",
    )
    parser.add_argument("--second-group", type=float, default=0.25, help="share from a second taste group")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--algorithm", default="auto", help="candidates for fit_hybrid (default auto)")
    parser.add_argument(
        "--time-budget",
        type=float,
        default=75.0,
        help="fit budget in seconds (default 75: leaves room for the precompute within 2 minutes)",
    )
    parser.add_argument("--best", action="store_true", help="also fit every part at any cost, without a budget")
    parser.add_argument("--no-choice", action="store_true", help="skip the budgeted run (with --svd-grid etc.)")
    parser.add_argument(
        "--svd-grid", metavar="E:N[:LR[:REG[:F]]],...", help="implicit SVD alone: epochs:negatives[:lr[:reg[:factors]]]"
    )
    parser.add_argument(
        "--als-grid", metavar="F:REG:ALPHA[:ITERS],...", help="ALS alone: factors:reg:alpha[:iterations]"
    )
    parser.add_argument("--ease-memory", metavar="ITEMS,...", help="EASE^R's time and memory at these sizes")
    parser.add_argument("--ease-one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--top-n", type=int, default=100)
    parser.add_argument(
        "--precompute-sample", type=int, default=0, metavar="N", help="precompute N shoppers and extrapolate"
    )
    parser.add_argument(
        "--serve-db",
        type=int,
        default=0,
        metavar="N",
        help="also time recommend() for N shoppers' lists stored in PostgreSQL",
    )
    parser.add_argument("--json", metavar="OUT", help="write the rows as JSON")
    args = parser.parse_args()
    if args.ease_one:
        ease_one(args.ease_one)
        return

    sizes = f"{args.shoppers:,} shoppers, {args.products:,} products, {args.interactions:,} interactions"
    print(
        f"StyleRec recommender scale benchmark: {sizes if args.data == 'synthetic' else args.data}; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.ease_memory:
        ease_memory(args.ease_memory)
        if args.no_choice and not args.svd_grid:
            return
    with Clock() as clock:
        if args.data == "synthetic":
            shop = make_shop(
                args.shoppers,
                args.products,
                args.interactions,
                dim=100,
                seed=0,
                own_group=args.own_group,
                second_group=min(args.second_group, 1.0 - args.own_group),
            )
            pairs = data.aggregate(shop.events, half_life_days=30.0)
        else:
            loader = {"movielens-100k": data.load_movielens_100k, "instacart-sample": data.load_instacart_sample}
            events = loader[args.data]()
            shop = SimpleNamespace(events=events, style_inputs=None, kinds=np.zeros(len(events), dtype=int))
            pairs = data.aggregate(events)
        train, test = data.stratified_split(pairs, 0.75, seed=42)
    print(
        f"generate + aggregate + split: {clock}; {len(pairs):,} pairs, {len(train):,} train / {len(test):,} held out; "
        f"RSS {rss_mib():,.0f} MiB",
        flush=True,
    )
    if args.svd_grid:
        svd_grid(args, train, test)
    if args.als_grid:
        als_grid(args, train, test)
    runs = []
    if not args.no_choice:
        runs.append((f"fit_hybrid, {args.time_budget:g} s budget", args.time_budget, {}))
    if args.best:
        every_part = {"limits": PartLimits(ease_max_items=max(args.products, 1)), "refit_unweighted": True}
        runs.append(("best at any cost: every part, full search, no budget", None, every_part))
    rows = [
        run_choice(args, shop, train, test, label, budget, algorithms=args.algorithm, **options)
        for label, budget, options in runs
    ]
    if rows:
        best = max(row["ndcg"] for row in rows)
        print("\n== summary (held-out NDCG@10; fit + precompute of all shoppers) ==")
        for row in rows:
            print(
                f"  {row['label']:<52} NDCG {row['ndcg']:.4f} ({(row['ndcg'] / best - 1) * 100:+.1f} % of the best)  "
                f"fit {row['fit_wall']:.1f} s + precompute {row['precompute_wall']:.1f} s = "
                f"{row['fit_wall'] + row['precompute_wall']:.1f} s "
                f"(CPU {row['fit_cpu']:.1f} + {row['precompute_cpu']:.1f} s); weights {row['weights']}"
            )
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
        print(f"  serve 24 from an in-memory precomputed list: {serving_in_memory(rows[0]['lists'], purchased)}")
        print(f"  peak memory (max RSS of the whole run): {peak_rss_mib():,.0f} MiB")
        if args.serve_db:
            for name, value in serve_through_django(rows[0]["lists"], args.products, args.serve_db):
                print(f"  {name}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps([{k: v for k, v in r.items() if k != "lists"} for r in rows], indent=2))


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
