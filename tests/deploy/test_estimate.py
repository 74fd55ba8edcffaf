"""``stylerec_restyle --estimate``: the catalogue's size in variants and the time N workers need, queueing nothing."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from stylerec_plugin import queue
from stylerec_plugin.management.commands.stylerec_restyle import REFERENCE_CPU_VARIANTS_PER_MINUTE
from stylerec_plugin.models import RestyledImage
from stylerec_plugin.signals import paused

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


def estimate(*args: str) -> str:
    out = StringIO()
    call_command("stylerec_restyle", "--estimate", *args, stdout=out)
    return out.getvalue()


def test_estimate_before_anything_was_rendered_uses_the_reference_figure(pipeline_settings, make_product,
                                                                         make_style):
    with paused():
        make_style("tone")
        make_style("tone", index=1)
        for index in range(3):
            make_product(index=index)
    text = estimate("--workers", "1", "2")
    assert "3 products x 2 active styles = 6 variants; 0 done (ready or rejected), 6 to make." in text
    assert f"{REFERENCE_CPU_VARIANTS_PER_MINUTE} variants/min per CPU worker" in text
    assert "cuda: not measured here" in text
    assert queue.get_queue().count == 0 and not RestyledImage.objects.exists(), "an estimate changes nothing"


def test_estimate_uses_this_shops_rendering_times(pipeline_settings, make_product, make_style, run_worker):
    style = make_style("tone")
    products = [make_product(index=index) for index in range(4)]
    run_worker()
    with paused():
        make_style("tone", index=1)  # a new style: its 4 variants are still to make
    rows = list(RestyledImage.objects.filter(style=style))
    assert len(rows) == 4
    text = estimate("--workers", "1", "2")
    assert f"{len(products)} products x 2 active styles = 8 variants; 4 done (ready or rejected), 4 to make." in text
    measured = re.search(r"cpu: ([\d.]+) s per variant per worker = (\d+) variants/min per worker "
                         r"\(from 4 variants in (\d+) jobs\)", text)
    assert measured, text
    seconds = float(measured[1])
    # The rate comes from the unrounded seconds: it lies within the printed figure's rounding.
    half_unit = 0.5 * 10 ** -len(measured[1].split(".")[1])
    assert 60 / (seconds + half_unit) - 1 <= int(measured[2]) <= 60 / (seconds - half_unit) + 1, text
    # Each job's span lies inside the run's: claim of the first row to the last stored file.
    first = min(row.started_at for row in rows)
    last = max(row.finished_at for row in rows)
    assert 0 < seconds <= (last - first).total_seconds()
    assert queue.get_queue().count == 0
