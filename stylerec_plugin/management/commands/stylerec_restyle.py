"""manage.py stylerec_restyle: make every active style's variants exist and be current.

It also heals whatever the signals could not do: Redis was down during a save, a bulk
import bypassed ``save()``, photos were rewritten in storage under the same names, a
worker died mid-job.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max, Min, Q
from tqdm import tqdm

from ...conf import settings
from ...models import ProductPhoto, RestyledImage, Style, VariantStatus
from ...products import get_product_adapter
from ...queue import effective_mode, redis_available, run_jobs_inline
from ...restyling.jobs import (
    queue_style_vector,
    queue_sync_product,
    restyle_variants,
    sync_product,
    update_style_vector,
)
from ...restyling.planning import Plan, lost_pending_rows, plan_stale, plan_variants, prune_products, queue_plan
from ...restyling.recovery import recover_stuck_variants
from ...restyling.variants import active_styles, chunk_size, chunked, engine_version
from .stylerec_status import _age as _duration


class Command(BaseCommand):
    help = (
        "Create and queue the variants that are missing (default), stale (--stale) or all of them (--all), "
        "re-hashing product photos to catch changed files. --inline renders here instead of queueing."
    )

    def add_arguments(self, parser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--missing",
            action="store_const",
            dest="mode",
            const="missing",
            help="Variants with no current row, pending rows whose job was lost, stuck rows (default).",
        )
        mode.add_argument(
            "--stale",
            action="store_const",
            dest="mode",
            const="stale",
            help="Only (product, style) pairs whose variant is out of date (photo, style or engine changed).",
        )
        mode.add_argument(
            "--all",
            action="store_const",
            dest="mode",
            const="all",
            help="Re-render every variant in scope, ready ones included (they keep showing meanwhile).",
        )
        parser.add_argument("--failed", action="store_true", help="Also retry failed and rejected variants.")
        parser.add_argument("--style", action="append", default=[], metavar="SLUG", help="Only this style (repeat).")
        parser.add_argument(
            "--product", action="append", type=int, default=[], metavar="PK", help="Only this product (repeat)."
        )
        parser.add_argument("--inline", action="store_true", help="Run the jobs in this process, not on RQ.")
        parser.add_argument(
            "--trust-hashes",
            action="store_true",
            help="Skip re-reading photos: trust the stored hashes (faster; misses files rewritten in place).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")
        parser.add_argument(
            "--estimate",
            action="store_true",
            help="Queue nothing: print how many variants the catalogue needs and how long N workers would take, "
            "from this shop's own rendering times.",
        )
        parser.add_argument(
            "--workers", type=int, nargs="+", default=[1, 2, 4, 8], metavar="N",
            help="Worker counts for --estimate (default 1 2 4 8).",
        )

    def handle(self, *args, **options) -> None:
        mode = options["mode"] or "missing"
        show = not options["no_progress"] and options["verbosity"] > 0
        styles = self._styles(options["style"])
        adapter = get_product_adapter()
        # Children that show their parent's photo share its variants: not restyled themselves.
        products = adapter.restyled()
        if options["product"]:
            products = products.filter(pk__in=options["product"])
            known = adapter.queryset().filter(pk__in=options["product"]).values_list("pk", flat=True)
            unknown = set(options["product"]) - set(known)
            if unknown:
                raise CommandError(f"No product with pk {', '.join(map(str, sorted(unknown)))}.")
        product_ids = list(products.order_by("pk").values_list("pk", flat=True))
        if options["estimate"]:
            self._estimate(styles, product_ids, options["workers"])
            return
        inline = self._inline(options["inline"])
        recovery = recover_stuck_variants()

        # 0. The styles' own style vectors (the recommender compares photos with them).
        outdated = [style.pk for style in styles if style.style_vector_version != style.version]
        for pk in tqdm(outdated, desc="Style vectors", unit="style", disable=not (show and inline)):
            if inline:
                update_style_vector(pk)
            else:
                queue_style_vector(pk)

        # 1. Photos: which are new or changed (by content hash)?
        to_analyse = self._photos_to_analyse(products, product_ids, options["trust_hashes"], mode, show)
        if inline:
            with run_jobs_inline():
                for pk in tqdm(to_analyse, desc="Analysing photos", unit="photo", disable=not show):
                    sync_product(pk, plan=False)
        else:
            for pk in to_analyse:
                queue_sync_product(pk)
        queued_for_analysis = set() if inline else set(to_analyse)
        planned_ids = [pk for pk in product_ids if pk not in queued_for_analysis]

        # 2. Variants: plan rows, then queue or render them.
        plan = self._plan(planned_ids, styles, mode, options["failed"])
        if inline:
            summary, jobs = self._render_here(plan, mode == "all", show), 0
        else:
            summary = {}
            with tqdm(total=plan.queued_rows, desc="Queueing", unit="variant", disable=not show) as bar:
                jobs = queue_plan(plan, regenerate=mode == "all", progress=bar.update)
        pruned = prune_products(planned_ids, [style.pk for style in styles])

        counts = {"outdated": len(outdated), "analysed": len(to_analyse), "jobs": jobs, "pruned": pruned}
        for line in self._summary(len(product_ids), styles, plan, inline, summary, recovery, counts):
            self.stdout.write(line)

    def _summary(self, n_products, styles, plan, inline, summary, recovery, counts) -> list[str]:
        analysed = counts["analysed"]
        lines = [
            f"Products in scope: {n_products}; styles: {', '.join(s.slug for s in styles) or 'none active'}.",
            f"Style vectors {'computed' if inline else 'queued'}: {counts['outdated']}.",
            f"Photos new or changed: {analysed}"
            + (f" (analysed here: {analysed})" if inline else f" (queued {analysed} analysis jobs)"),
            f"Variant rows created: {plan.created}; already ready: {plan.already_ready}; "
            f"failed at once (unreadable photo): {plan.failed_at_once}.",
        ]
        if inline:
            done = ", ".join(f"{key} {value}" for key, value in sorted(summary.items())) or "nothing to do"
            lines.append(f"Rendered here: {plan.queued_rows} variants ({done}).")
        else:
            lines.append(f"Queued: {plan.queued_rows} variants in {counts['jobs']} jobs on {settings.QUEUE_NAME!r}.")
        if recovery.requeued or recovery.failed:
            lines.append(
                f"Recovered from dead jobs: {len(recovery.requeued)} re-queued, {len(recovery.failed)} failed."
            )
        if counts["pruned"]:
            lines.append(f"Superseded variants removed: {counts['pruned']}.")
        return lines

    def _inline(self, asked: bool) -> bool:
        """Whether to render here: asked for, or Redis is down and QUEUE_MODE allows it."""
        if asked:
            return True
        if effective_mode() == "inline":
            self.stdout.write("Redis does not answer and QUEUE_MODE allows it: running the jobs here.")
            return True
        if settings.QUEUE_MODE == "rq" and not redis_available():
            raise CommandError(f"Redis for queue {settings.QUEUE_NAME!r} does not answer. Start it, or use --inline.")
        return False

    def _plan(self, product_ids: list[int], styles: list[Style], mode: str, failed: bool) -> Plan:
        """The rows to (re)render; a pending row whose job is still queued is left alone, a lost one is queued."""
        if mode == "stale":
            plan = plan_stale(product_ids, styles, include_failed=failed)
        else:
            plan = plan_variants(product_ids, styles, include_failed=failed or mode == "all", regenerate=mode == "all")
        in_scope = RestyledImage.objects.filter(product_id__in=product_ids, style__in=styles)
        lost = set(lost_pending_rows(in_scope))
        waiting = set(in_scope.filter(status=VariantStatus.PENDING).values_list("pk", flat=True)) - lost
        for style_id in list(plan.to_queue):
            plan.to_queue[style_id] = [pk for pk in plan.to_queue[style_id] if pk not in waiting]
        if mode != "stale":
            for pk, style_id in in_scope.filter(pk__in=lost).values_list("pk", "style_id"):
                if pk not in plan.to_queue[style_id]:
                    plan.to_queue[style_id].append(pk)
        return plan

    def _render_here(self, plan: Plan, regenerate: bool, show: bool) -> dict[str, int]:
        """Run the restyle jobs in this process; returns what they did, summed."""
        summary: dict[str, int] = defaultdict(int)
        with run_jobs_inline(), tqdm(total=plan.queued_rows, desc="Restyling", unit="variant", disable=not show) as bar:
            for pks in plan.to_queue.values():
                for chunk in chunked(sorted(set(pks)), chunk_size()):
                    outcome = restyle_variants(chunk, regenerate=regenerate)
                    for key, value in outcome.items():
                        if key != "claimed":
                            summary[key] += value
                    bar.update(len(chunk))
        return summary

    def _estimate(self, styles: list[Style], product_ids: list[int], worker_counts: list[int]) -> None:
        out = self.stdout.write
        total = len(product_ids) * len(styles)
        current = Q(pk__in=[])
        for style in styles:
            current |= Q(style=style, style_version=style.version, engine_version=engine_version(style.kind))
        done = RestyledImage.objects.filter(
            current, product_id__in=product_ids, status__in=[VariantStatus.READY, VariantStatus.REJECTED]
        ).count()
        todo = total - done
        out(
            f"Catalogue: {len(product_ids)} products x {len(styles)} active styles = {total} variants; "
            f"{done} done (ready or rejected), {todo} to make."
        )
        rates = measured_seconds_per_variant()
        if rates:
            out("Measured on this shop (a job's rows one after another, photo decode to stored file):")
            for device, (seconds, variants, jobs) in sorted(rates.items()):
                out(
                    f"  {device}: {_three_figures(seconds)} s per variant per worker = "
                    f"{60 / seconds:.0f} variants/min per worker (from {variants} variants in {jobs} jobs)"
                )
        else:
            seconds = 60 / REFERENCE_CPU_VARIANTS_PER_MINUTE
            rates = {"cpu (reference)": (seconds, 0, 0)}
            out(
                "No variant rendered here yet: using the reference figure of docs/benchmarks.md, "
                f"{REFERENCE_CPU_VARIANTS_PER_MINUTE} variants/min per CPU worker (800 px photos, MAX_SIDE 1024, "
                "a quiet 2-core machine). Run a worker for a while, then ask again."
            )
        if "cuda" not in rates:
            out("  cuda: not measured here (no variant rendered on a GPU yet).")
        header = f"{'workers':>8}" + "".join(f"  {device + ' to make':>18}  {device + ' all':>14}" for device in rates)
        out(header)
        for count in worker_counts:
            cells = "".join(
                f"  {_duration(todo * seconds / count):>18}  {_duration(total * seconds / count):>14}"
                for seconds, _variants, _jobs in rates.values()
            )
            out(f"{count:>8}{cells}")
        out("N workers are assumed to scale linearly: one CPU worker per core (OMP_NUM_THREADS=1), "
            "one GPU worker per GPU; 2 CPU workers measured 1.93x one on 2 cores (docs/benchmarks.md).")

    def _styles(self, slugs: list[str]) -> list[Style]:
        if not slugs:
            return active_styles()
        found = {style.slug: style for style in Style.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise CommandError(f"No style with slug {', '.join(unknown)}.")
        inactive = [slug for slug, style in found.items() if not style.is_active]
        if inactive:
            raise CommandError(f"Style {', '.join(inactive)} is not active; activate it first.")
        return list(found.values())

    def _photos_to_analyse(self, products, product_ids, trust_hashes: bool, mode: str, show: bool) -> list[int]:
        adapter = get_product_adapter()
        photos = {
            photo.product_id: photo
            for photo in ProductPhoto.objects.filter(product_id__in=product_ids).only(
                "product_id", "source_hash", "style_vector", "last_error", "engine_version"
            )
        }
        from ...engine import ENGINE_VERSIONS

        to_analyse = []
        iterator = adapter.with_photo(products).order_by("pk").iterator(chunk_size=500)
        for product in tqdm(iterator, total=len(product_ids), desc="Checking photos", unit="photo", disable=not show):
            photo = photos.get(product.pk)
            if photo is None or not photo.source_hash or photo.engine_version != ENGINE_VERSIONS["reference"]:
                to_analyse.append(product.pk)
                continue
            if mode == "all" and not photo.last_error:
                continue
            field_file = adapter.photo_file(product)
            if trust_hashes or field_file is None:
                continue
            try:
                with field_file.storage.open(field_file.name, "rb") as handle:
                    digest = hashlib.sha256()
                    for block in iter(lambda handle=handle: handle.read(1 << 20), b""):
                        digest.update(block)
            except (FileNotFoundError, OSError):
                to_analyse.append(product.pk)  # the job records the missing file
                continue
            if digest.hexdigest() != photo.source_hash:
                to_analyse.append(product.pk)
        return to_analyse


# docs/benchmarks.md, "Pipeline": 1 worker, 1 torch thread, quiet 2-core machine.
REFERENCE_CPU_VARIANTS_PER_MINUTE = 242
# A job longer than this is not a measurement (a worker paused, a clock jumped).
LONGEST_JOB = timedelta(hours=1)


def measured_seconds_per_variant() -> dict[str, tuple[float, int, int]]:
    """Per device ("cpu", "cuda"): seconds per variant for one worker, variants and jobs measured.

    A restyle job's rows are claimed together and rendered one after another (a GPU
    batch at once), so a job's span from its claim to its last stored file, divided by
    its rows, is one worker's time per variant, decoding and storage included.
    """
    spans: dict[str, list[float]] = defaultdict(lambda: [0.0, 0, 0])
    jobs = (
        RestyledImage.objects.filter(status__in=[VariantStatus.READY, VariantStatus.REJECTED])
        .exclude(job_id="")
        .exclude(started_at=None)
        .exclude(finished_at=None)
        .values("job_id", "device")
        .annotate(rows=Count("pk"), first=Min("started_at"), last=Max("finished_at"))
    )
    for job in jobs:
        span = job["last"] - job["first"]
        if span <= timedelta(0) or span > LONGEST_JOB:
            continue
        device = "cuda" if str(job["device"]).startswith("cuda") else "cpu"
        entry = spans[device]
        entry[0] += span.total_seconds()
        entry[1] += job["rows"]
        entry[2] += 1
    return {device: (seconds / rows, rows, count) for device, (seconds, rows, count) in spans.items() if rows}


def _three_figures(seconds: float) -> str:
    """Seconds to three significant figures without an exponent (0.0312, 0.312, 3.12, 31.2)."""
    decimals = 2
    while decimals < 6 and seconds < 10 ** (2 - decimals):
        decimals += 1
    return f"{seconds:.{decimals}f}"
