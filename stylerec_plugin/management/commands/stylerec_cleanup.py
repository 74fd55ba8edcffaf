"""manage.py stylerec_cleanup: remove orphaned variant files and rows; nothing else is touched.

* rows superseded by a current ready variant (and stale pending/failed rows);
* unstarted rows of inactive styles (``--inactive-styles``: their ready rows too);
* rows stuck ``running`` whose job died (re-queued or failed, as the workers do);
* ready rows whose file is gone from storage (back to pending and queued);
* files under ``STYLEREC["UPLOAD_TO"]`` that no row uses and that are older than
  ``--min-age`` seconds (younger ones may belong to a job that is saving right now).

Product photos and style references are never deleted, even when they sit under the
variants folder.
"""

from __future__ import annotations

import posixpath
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from ...conf import settings
from ...models import RestyledImage, Style, VariantStatus
from ...restyling.files import delete_unreferenced_files, protected_names
from ...restyling.planning import Plan, prune_superseded, queue_plan
from ...restyling.recovery import death_reason, held_rows, recover_stuck_variants
from ...restyling.variants import reset_to_pending
from ...storage import variant_storage


def walk(storage, folder: str):
    """Every file name under ``folder`` through the storage API (works on S3-like backends)."""
    try:
        directories, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield posixpath.join(folder, name)
    for directory in directories:
        yield from walk(storage, posixpath.join(folder, directory))


class Command(BaseCommand):
    help = "Delete orphaned variant files and rows (superseded, unused, stuck). --dry-run only reports."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report what would be done; change nothing.")
        parser.add_argument(
            "--inactive-styles", action="store_true", help="Also delete ready variants of inactive styles."
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=3600,
            help="Leave files younger than this many seconds (a job may be saving them). Default 3600.",
        )

    def handle(self, *args, **options) -> None:
        dry = options["dry_run"]
        out = self.stdout.write
        verb = "Would" if dry else "Did"
        storage = variant_storage()
        superseded, inactive_count, missing_files = self._clean_rows(storage, dry, options["inactive_styles"])
        recovery_line = self._recover(dry)
        names, deleted, too_young = self._clean_files(storage, dry, options["min_age"])

        out(f"{verb} delete {superseded} superseded or stale variant rows (their files follow).")
        out(f"{verb} delete {inactive_count} variant rows of inactive styles.")
        out(f"{verb} re-queue {len(missing_files)} ready variants whose file is missing from storage.")
        out(recovery_line)
        out(
            f"{verb} delete {len(deleted)} orphaned files of {len(names)} under {settings.UPLOAD_TO!r}"
            + (f" ({too_young} younger than {options['min_age']}s left alone)." if too_young else ".")
        )
        if options["verbosity"] > 1:
            for name in deleted:
                out(f"  {name}")
        styles_without = Style.objects.filter(is_active=True).count()
        if not styles_without:
            out("Note: no style is active.")

    def _clean_rows(self, storage, dry: bool, inactive_styles: bool) -> tuple[int, int, list[tuple[int, int]]]:
        """Superseded rows, rows of inactive styles, ready rows whose file is gone (re-queued).

        Inside one transaction, rolled back on --dry-run; files go only on commit.
        """
        with transaction.atomic():
            pairs = set(RestyledImage.objects.values_list("product_id", "style_id").distinct())
            superseded = sum(prune_superseded(pid, sid) for pid, sid in pairs)
            inactive = RestyledImage.objects.filter(style__is_active=False)
            if not inactive_styles:
                inactive = inactive.filter(status__in=[VariantStatus.PENDING, VariantStatus.FAILED])
            inactive_count = inactive.count()
            inactive.delete()
            missing_files = []
            for row in RestyledImage.objects.filter(status=VariantStatus.READY).only("pk", "image", "style_id"):
                if not row.image or not storage.exists(row.image.name):
                    missing_files.append((row.pk, row.style_id))
            if missing_files:
                reset_to_pending(
                    [pk for pk, _ in missing_files],
                    last_error="The file was missing from storage; re-queued by stylerec_cleanup.",
                    clear_image=True,
                )
            if dry:
                transaction.set_rollback(True)
        if missing_files and not dry:
            plan = Plan()
            for pk, style_id in missing_files:
                plan.to_queue[style_id].append(pk)
            queue_plan(plan)
        return superseded, inactive_count, missing_files

    def _recover(self, dry: bool) -> str:
        """Rows stuck running after their job died: re-queued or failed (counted only on --dry-run)."""
        if dry:
            stuck = [
                row.pk
                for row in held_rows()
                if death_reason(row) is not None
            ]
            return f"Would recover {len(stuck)} variants stuck running after their job died."
        recovery = recover_stuck_variants()
        return (
            f"Recovered {len(recovery.requeued) + len(recovery.failed)} variants stuck running "
            f"({len(recovery.requeued)} re-queued, {len(recovery.failed)} failed)."
        )

    def _clean_files(self, storage, dry: bool, min_age: int) -> tuple[list[str], list[str], int]:
        """Files under UPLOAD_TO that nothing uses and are older than ``min_age`` seconds."""
        cutoff = timezone.now() - timedelta(seconds=min_age)
        names = list(walk(storage, settings.UPLOAD_TO.rstrip("/")))
        used = protected_names(names) if names else set()
        orphans, too_young = [], 0
        for name in names:
            if name in used:
                continue
            try:
                modified = storage.get_modified_time(name)
            except (NotImplementedError, OSError):
                modified = None
            if modified is not None and modified > cutoff:
                too_young += 1
                continue
            orphans.append(name)
        deleted = orphans if dry else delete_unreferenced_files(orphans)
        return names, deleted, too_young
