"""Admin page weight and speed on the demo data (run `make demo` or `manage.py demo_setup` first).

    .venv/bin/python bench/admin_pages.py

Prints, side by side in one process (medians of several warm requests):
- the variant changelist per page of 100 rows: HTML bytes + the thumbnails it shows, fetched;
- the experiment report page (HTML with its inline SVG chart) against the old path (the same
  page plus the matplotlib chart.png, which builds the report a second time).

Uses the demo's own settings and database (SQLite db.sqlite3 by default, DATABASE_URL overrides).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_shop.settings")


def median_ms(action, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from stylerec_plugin.admin.report_chart import chart_svg
    from stylerec_plugin.experiments.report import build_report
    from stylerec_plugin.models import RestyledImage
    from stylerec_plugin.models.experiments import Experiment

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is None:
        sys.exit("No superuser: run `manage.py demo_setup` first.")
    client.force_login(admin)

    changelist = "/admin/stylerec_plugin/restyledimage/"
    pages = max(1, min(3, RestyledImage.objects.count() // 100))
    print(f"Variant changelist ({RestyledImage.objects.count()} variants, 100 rows a page):")
    for page in range(1, pages + 1):
        response = client.get(f"{changelist}?p={page}")
        html = response.content.decode()
        rows = html[html.index('id="result_list"'):]
        rows = rows[: rows.index("</table>")]
        urls = [u.replace("&amp;", "&") for u in re.findall(r'<img [^>]*src="([^"]+)"', rows)
                if not u.startswith("/static/")]
        images = sum(len(client.get(url).content) for url in urls)
        print(f"  page {page}: {len(response.content) / 1024:.0f} KB HTML + {len(urls)} thumbnails "
              f"{images / 1024:.0f} KB = {(len(response.content) + images) / 1024:.0f} KB")

    experiment = Experiment.objects.first()
    if experiment is None:
        print("No experiment: run `manage.py demo_experiment`.")
        return
    report_url = f"/admin/stylerec_plugin/experiment/{experiment.pk}/report/"
    client.get(report_url)
    client.get(report_url + "chart.png")  # warm matplotlib
    report = build_report(experiment)
    page_ms = median_ms(lambda: client.get(report_url), 5)
    build_ms = median_ms(lambda: build_report(experiment), 5)
    svg_ms = median_ms(lambda: chart_svg(report), 20)
    png_ms = median_ms(lambda: client.get(report_url + "chart.png"), 3)
    print(f"Experiment report ({experiment.exposures.count()} exposures, {experiment.assignments.count()} "
          f"shoppers), medians:")
    print(f"  report page with inline SVG chart: {page_ms:.0f} ms (build_report {build_ms:.0f} ms, "
          f"chart_svg {svg_ms:.1f} ms)")
    print(f"  chart.png (second build_report + matplotlib): {png_ms:.0f} ms")
    print(f"  page + PNG chart, as before: {page_ms - svg_ms + png_ms:.0f} ms -> now {page_ms:.0f} ms "
          f"({(page_ms - svg_ms + png_ms) / page_ms:.1f}x)")


if __name__ == "__main__":
    main()
