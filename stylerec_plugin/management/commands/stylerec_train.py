"""manage.py stylerec_train: fit a new recommender model and make it the active one.

Runs here with a progress bar, or with ``--enqueue`` as an RQ job
(``stylerec_plugin.recommendations.training.train_job``). Serving keeps using the
previous model until the new one is swapped in.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ...conf import settings
from ...recommender.collaborative import parse_algorithms


class Command(BaseCommand):
    help = "Train the recommender from the current interactions and activate the new model."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--algorithm",
            help="Collaborative algorithm(s): auto, or e.g. implicit_svd or ease+als "
            "(default: STYLEREC['COLLABORATIVE_ALGORITHM']).",
        )
        parser.add_argument(
            "--no-search",
            action="store_true",
            help="Use each part's default parameters instead of searching them on a validation split.",
        )
        parser.add_argument("--enqueue", action="store_true", help="Queue the training job on RQ and return.")

    def handle(self, *args, **options) -> None:
        algorithm = options["algorithm"] or settings.COLLABORATIVE_ALGORITHM
        try:
            parse_algorithms(algorithm)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        from ...recommendations import training as recommendations

        if options["enqueue"]:
            job_id = recommendations.enqueue_training(options["algorithm"])
            if job_id:
                self.stdout.write(f"queued training job {job_id}")
            else:
                self.stdout.write("training ran inline or could not be queued (see the log)")
            return

        bar = tqdm(total=1, unit="step", disable=options["verbosity"] == 0, file=self.stderr._out)
        last_stage = [None]

        def progress(stage: str, done: int, total: int) -> None:
            if stage != last_stage[0]:
                last_stage[0] = stage
                bar.reset(total=max(total, 1))
                bar.set_description(stage[:40])
            bar.n = done
            bar.refresh()

        try:
            model = recommendations.train(progress, algorithm=algorithm, search=not options["no_search"])
        except Exception as exc:
            raise CommandError(f"training failed: {exc}") from exc
        finally:
            bar.close()
        weights = ", ".join(f"{k} {v:.2f}" for k, v in (model.blend_weights or {}).items())
        self.stdout.write(
            self.style.SUCCESS(
                f"model {model.pk} active: {model.n_shoppers} shoppers, {model.n_products} products, "
                f"{model.n_interactions} interactions, fitted in {model.fit_seconds:.1f} s; blend: {weights}"
            )
        )
        # What the cost-aware choice used and why it left parts out (also on the admin page).
        summary = (model.training_choice or {}).get("summary") or []
        if summary:
            self.stdout.write("what training chose:")
            for line in summary:
                self.stdout.write(f"  {line}")
