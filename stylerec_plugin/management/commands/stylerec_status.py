"""manage.py stylerec_status: what the restyling pipeline is doing, per style and status."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from ...restyling.status import pipeline_status

STATUSES = ("ready", "pending", "running", "failed", "rejected")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


class Command(BaseCommand):
    help = "Variant counts per style and status, oldest pending age, failures, weak photos and the queue."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON document instead of tables.")
        parser.add_argument("--failures", type=int, default=10, help="How many recent failures to list.")

    def handle(self, *args, **options) -> None:
        report = pipeline_status(failures=options["failures"])
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, sort_keys=True, default=str))
            return
        out = self.stdout.write
        header = f"{'style':<24} {'active':<6} {'ver':>4} " + " ".join(f"{s:>8}" for s in STATUSES) + f" {'missing':>8}"
        out(header)
        out("-" * len(header))
        for entry in report["styles"]:
            counts = entry["counts"]
            out(
                f"{entry['style'][:24]:<24} {'yes' if entry['active'] else 'no':<6} {entry['version'] or '-':>4} "
                + " ".join(f"{counts.get(s, 0):>8}" for s in STATUSES)
                + f" {entry['missing']:>8}"
            )
        totals = report["totals"]
        out("-" * len(header))
        out(f"{'total':<36}" + " ".join(f"{totals.get(s, 0):>8}" for s in STATUSES))
        out("")
        out(f"Oldest pending: {_age(report['oldest_pending_seconds'])}; "
            f"oldest running: {_age(report['oldest_running_seconds'])}")
        queue = report["queue"]
        if queue.get("redis"):
            out(
                f"Queue {queue['name']!r} ({queue['mode']}): {queue['queued']} queued, {queue['started']} started, "
                f"{queue['scheduled']} scheduled (retries), {queue['failed']} in RQ's failed registry, "
                f"{queue['workers']} workers"
                + (f" ({queue['silent_workers']} more registered but silent)" if queue["silent_workers"] else "")
            )
        else:
            out(f"Queue {queue['name']!r} ({queue['mode']}): Redis does not answer; jobs run {queue['effective']}.")
        photos = report["photos"]
        out(
            f"Photos: {photos['products']} products, {photos['analysed']} analysed, {photos['not_analysed']} not yet, "
            f"{photos['weak']} weak, {photos['unreadable']} unreadable"
        )
        if photos["weak_reasons"]:
            out("  weak because: " + "; ".join(f"{reason} ({n})" for reason, n in photos["weak_reasons"].items()))
        if report["failures"]:
            out("")
            out("Recent failures:")
            for failure in report["failures"]:
                out(
                    f"  variant {failure['variant']} (product {failure['product']}, style {failure['style']}, "
                    f"{failure['attempts']} attempts): {failure['error']}"
                )
