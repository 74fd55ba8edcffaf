"""Demo data: a finished experiment "Restyled vs original photos" with SYNTHETIC, seeded traffic.

The shoppers are made up (keys ``session:synthetic-exp-NNNNN``) and their behaviour is drawn from
fixed rates, with restyled photos given a modest click-through advantage, so the report has
something to show on first run. It is written straight into the experiment tables: no
``Interaction`` rows are created, so the recommender never trains on invented behaviour.
Running it again changes nothing; ``--reset`` regenerates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from stylerec_plugin.conf import get_product_model
from stylerec_plugin.experiments import arm_for_bucket, bucket_for
from stylerec_plugin.models import (
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    ExperimentExposure,
    ExperimentOutcome,
)

NAME = "Restyled vs original photos"
SLUG = "restyled-vs-original-photos"
KEY_PREFIX = "session:synthetic-exp-"
# Per exposed shopper: P(click-through), P(cart | click), P(purchase | cart). Restyled photos get
# a small click-through lift; further down the funnel the arms barely differ, as is typical.
FUNNEL = {"original": (0.20, 0.30, 0.40), "restyled": (0.235, 0.30, 0.40)}
GRID_SIZE = 12


@dataclass
class SimulationSummary:
    created: bool
    shoppers: int
    exposures: int
    outcomes: int


def simulate_experiment(
    *, shoppers: int = 3000, days: int = 21, seed: int = 2024, running: bool = False, reset: bool = False
) -> SimulationSummary:
    """Create (or with ``reset``, recreate) the demo experiment and its synthetic traffic."""
    product_ids = list(get_product_model().objects.order_by("pk").values_list("pk", flat=True))
    if len(product_ids) < GRID_SIZE:
        raise CommandError(f"Need at least {GRID_SIZE} products to simulate; load the demo catalogue first.")
    experiment = Experiment.objects.filter(slug=SLUG).first()
    if experiment is not None:
        real = experiment.assignments.exclude(shopper_key__startswith=KEY_PREFIX).exists()
        if real:
            raise CommandError(f"“{experiment.name}” has real (non-synthetic) shoppers; not touching it.")
        if not reset:
            return SimulationSummary(
                False, experiment.assignments.count(), experiment.exposures.count(), experiment.outcomes.count()
            )

    rng = np.random.default_rng(seed)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=days)
    with transaction.atomic():
        if experiment is not None:
            experiment.outcomes.all().delete()
            experiment.exposures.all().delete()
            experiment.assignments.all().delete()
            experiment.arms.all().delete()
            experiment.delete()
        experiment = Experiment.objects.create(
            name=NAME,
            slug=SLUG,
            description=(
                "SYNTHETIC DEMO DATA (made by `manage.py demo_experiment`): do restyled product photos get "
                "more click-throughs, add-to-carts and purchases than the original photos?"
            ),
            subject="photos",
            primary_metric="click",
            status="running" if running else "stopped",
            start_at=start,
            stop_at=None if running else now,
        )
        arms = {
            "original": ExperimentArm.objects.create(
                experiment=experiment, name="original", is_control=True, weight=50, restyle=False
            ),
            "restyled": ExperimentArm.objects.create(
                experiment=experiment, name="restyled", weight=50, restyle=True
            ),
        }
        split = [(name, arm.weight) for name, arm in arms.items()]
        assignments, exposures, outcomes = [], [], []
        window = (now - start).total_seconds()
        for number in range(shoppers):
            key = f"{KEY_PREFIX}{number:05d}"
            bucket = bucket_for(SLUG, key)
            arm_name = arm_for_bucket(bucket, split)
            arm = arms[arm_name]
            # Arrivals spread over the window; the last day's arrivals have had less time to act.
            arrival = start + timedelta(seconds=float(rng.uniform(0, window * 0.98)))
            assignments.append(
                ExperimentAssignment(
                    experiment=experiment, arm=arm, shopper_key=key, bucket=bucket, assigned_at=arrival
                )
            )
            visits = int(rng.geometric(0.55))  # 1, 2, 3... visits, most shoppers come once or twice
            seen: list[tuple] = []
            for visit in range(visits):
                when = arrival + timedelta(hours=float(visit * rng.uniform(2, 72)))
                if when >= now:
                    break
                shown = [int(pk) for pk in rng.choice(product_ids, size=GRID_SIZE, replace=False)]
                seen.append((when, shown))
                exposures.append(
                    ExperimentExposure(
                        experiment=experiment,
                        arm=arm,
                        shopper_key=key,
                        surface="grid",
                        product_ids=shown,
                        product_count=len(shown),
                        restyle=arm.restyle,
                        personalise=arm.personalise,
                        created_at=when,
                    )
                )
            p_click, p_cart, p_purchase = FUNNEL[arm_name]
            when, shown = seen[int(rng.integers(len(seen)))]
            product = shown[int(rng.integers(len(shown)))]
            moment = when
            for kind, probability in (("click", p_click), ("cart", p_cart), ("purchase", p_purchase)):
                if rng.random() >= probability:
                    break
                moment = moment + timedelta(minutes=float(rng.uniform(1, 30)))
                if moment >= now:
                    break
                outcomes.append(
                    ExperimentOutcome(
                        experiment=experiment,
                        arm=arm,
                        shopper_key=key,
                        kind=kind,
                        product_id=product,
                        product_was_shown=True,
                        created_at=moment,
                    )
                )
        ExperimentAssignment.objects.bulk_create(assignments, batch_size=1000)
        ExperimentExposure.objects.bulk_create(exposures, batch_size=1000)
        ExperimentOutcome.objects.bulk_create(outcomes, batch_size=1000)
    return SimulationSummary(True, len(assignments), len(exposures), len(outcomes))


class Command(BaseCommand):
    help = (
        f"Create the demo experiment “{NAME}” with seeded SYNTHETIC shoppers, exposures and outcomes "
        "over the last weeks (idempotent; --reset regenerates)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--shoppers", type=int, default=3000, help="Synthetic shoppers (default 3000).")
        parser.add_argument("--days", type=int, default=21, help="Length of the simulated run (default 21).")
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument(
            "--running",
            action="store_true",
            help="Leave it running (real visitors are then enrolled too); default: stopped.",
        )
        parser.add_argument("--reset", action="store_true", help="Delete and regenerate the synthetic traffic.")

    def handle(self, *args, shoppers: int, days: int, seed: int, running: bool, reset: bool, **options) -> None:
        if shoppers < 1 or days < 1:
            raise CommandError("--shoppers and --days must be at least 1.")
        summary = simulate_experiment(shoppers=shoppers, days=days, seed=seed, running=running, reset=reset)
        verb = "created" if summary.created else "already there (use --reset to regenerate)"
        self.stdout.write(
            f"Demo experiment “{NAME}” {verb}: {summary.shoppers} synthetic shoppers, "
            f"{summary.exposures} exposures, {summary.outcomes} outcomes. "
            f"Report: manage.py stylerec_experiment_report {SLUG}"
        )
