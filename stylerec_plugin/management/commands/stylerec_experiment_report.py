"""Print an experiment's report: ``manage.py stylerec_experiment_report NAME [--json] [--plot OUT.png]``."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from ...experiments.render import format_text, render_chart
from ...experiments.report import DEFAULT_MDE, build_report
from ...models import Experiment


class Command(BaseCommand):
    help = (
        "Per-arm exposures, click-through, add-to-cart and conversion rates with 95% Wilson intervals, "
        "lift vs the control and a two-proportion z-test; optionally a PNG of the rates over time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The experiment's name or slug (case-insensitive).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON instead of a table.")
        parser.add_argument("--plot", metavar="OUT.png", help="Also write a chart of the rates over time here.")
        parser.add_argument("--alpha", type=float, default=0.05, help="Significance level (default 0.05).")
        parser.add_argument(
            "--mde",
            type=float,
            default=DEFAULT_MDE,
            help="Relative lift the sample-size hint is computed for (default 0.10 = +10%%).",
        )

    def handle(self, *args, name: str, plot: str | None, alpha: float, mde: float, **options) -> None:
        if not 0 < alpha < 1:
            raise CommandError("--alpha must be between 0 and 1.")
        if mde <= 0:
            raise CommandError("--mde must be above 0.")
        experiment = Experiment.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name)).first()
        if experiment is None:
            known = ", ".join(Experiment.objects.values_list("name", flat=True)[:20]) or "none"
            raise CommandError(f"No experiment named {name!r}. Known experiments: {known}.")
        report = build_report(experiment, alpha=alpha, mde=mde)
        if plot:
            path = Path(plot)
            if not path.parent.exists():
                raise CommandError(f"The folder {path.parent} does not exist.")
            try:
                path.write_bytes(render_chart(report))
            except ImportError as exc:
                raise CommandError("--plot needs matplotlib: pip install 'django-stylerec[reports]'.") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(format_text(report))
            if plot:
                self.stdout.write(f"\nChart written to {plot}")
