"""stylerec_evaluate in parallel worker processes gives what it gives one task after the other."""

from __future__ import annotations

import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stylerec_plugin.recommender.evaluation import _start_worker, worker_count
from stylerec_plugin.recommender.synthetic import make_shop


def _without_timings(text: str) -> str:
    """The printed report with its clock readings blanked: everything else must match."""
    # The tables' last two columns (fit s, CPU s: one decimal; the metrics have four).
    text = re.sub(r" +\d+\.\d +\d+\.\d$", " <fit s> <CPU s>", text, flags=re.MULTILINE)
    # "took 0.8 s (0.4 s CPU)", "fit 0.0 s", "searched in 0.2 s", "whole command: 5.4 s".
    return re.sub(r"\d+(\.\d+)? s\b", "<t> s", text)


def _evaluate(path, jobs: int) -> str:
    out = StringIO()
    call_command("stylerec_evaluate", f"--dataset=csv:{path}", f"--jobs={jobs}", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_parallel_evaluation_prints_the_same_report_as_the_serial_one(tmp_path):
    shop = make_shop(80, 40, 1400, dim=4, seed=3)
    path = tmp_path / "shop.csv"
    lines = ["user,item,value,timestamp"]
    for u, i, v, t in zip(
        shop.events.users, shop.events.items, shop.events.values, shop.events.timestamps, strict=True
    ):
        lines.append(f"u{u},i{i},{v},{t:.0f}")
    path.write_text("\n".join(lines))

    serial = _evaluate(path, jobs=1)
    parallel = _evaluate(path, jobs=2)

    # Default algorithms: EASE^R (BLAS), ALS (implicit's threads) and implicit SVD all take part.
    for label in ("Hybrid (", "EASE^R (closed form) alone", "ALS (implicit library) alone", "Implicit SVD"):
        assert label in serial
    assert "(user split, k=10)" in serial and "(time split, k=10)" in serial
    assert serial.index("(user split") < serial.index("(time split")
    assert _without_timings(parallel) == _without_timings(serial)
    # The blanking leaves the numbers that matter: NDCG and the chosen weights are compared.
    assert re.search(r"Hybrid \([^)]*\) +0\.\d{4} +0\.\d{4} +0\.\d{4}", _without_timings(serial))
    assert "blend weights (chosen on validation): ease" in _without_timings(serial)


def test_jobs_default_to_the_cpus_and_never_exceed_the_tasks(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert worker_count(None, 3) == 2
    assert worker_count(None, 1) == 1
    assert worker_count(1, 3) == 1
    assert worker_count(4, 3) == 3
    with pytest.raises(ValueError, match="at least 1"):
        worker_count(0, 3)


def test_jobs_below_one_is_a_clear_error():
    with pytest.raises(CommandError, match="--jobs must be at least 1"):
        call_command("stylerec_evaluate", "--dataset=synthetic", "--jobs=0")


def _thread_limits() -> tuple[list[int], int]:
    import threadpoolctl

    from stylerec_plugin.recommender.collaborative import thread_count

    return [pool["num_threads"] for pool in threadpoolctl.threadpool_info()], thread_count()


def test_each_worker_process_gets_its_share_of_the_threads():
    # Started like evaluate_splits' workers: BLAS, OpenMP and ALS limited to one thread each.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker, initargs=(1,)) as pool:
        pools, als_threads = pool.submit(_thread_limits).result()
    assert pools and set(pools) == {1}
    assert als_threads == 1
