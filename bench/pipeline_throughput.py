"""Restyling pipeline throughput: the demo catalogue in N styles with 1 and 2 worker processes.

    python bench/pipeline_throughput.py --styles 2 --workers 1 2

It uses a scratch PostgreSQL database (created if missing, default ``stylerec_bench``), a
queue of its own (``stylerec-bench``, on ``--redis``, default ``redis://127.0.0.1:6379/4``)
and the media folder ``var/bench-media``. Per worker count it deletes every variant, starts that many
``manage.py rqworker stylerec-bench --worker-class stylerec_plugin.restyling.worker.StyleRecWorker``
processes, waits until each has loaded its engines, queues every variant and times until
the last one is finished. Worker start-up (loading torch and the networks) is reported
apart. torch threads per worker: cores / workers, so workers do not fight over cores.

Prints a Markdown table: variants, seconds, variants per minute, speed-up over 1 worker,
median engine ms per variant, failed/rejected.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", type=int, default=2, help="How many demo styles (first by order). Default 2.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Worker counts to try.")
    parser.add_argument("--products", type=int, default=0, help="Only the first K products (0: all 54).")
    parser.add_argument("--max-side", type=int, default=1024, help="STYLEREC MAX_SIDE for the run.")
    parser.add_argument("--batch", type=int, default=4, help="Variants per job (BATCH_SIZE).")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/stylerec_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads per worker (0: cores / workers, at least 1)."
    )
    return parser.parse_args()


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def setup_environment(args: argparse.Namespace, media: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.pipeline_settings",
        "DATABASE_URL": args.database,
        "REDIS_URL": args.redis,
        "DJANGO_MEDIA_ROOT": media,
        "STYLEREC_BENCH_MAX_SIDE": str(args.max_side),
        "STYLEREC_BENCH_BATCH": str(args.batch),
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    return env


def threads_for(count: int, args: argparse.Namespace) -> int:
    return args.threads or max(1, args.cores // count)


def start_workers(count: int, env: dict[str, str], threads: int) -> list[subprocess.Popen]:
    threads = str(threads)
    workers = []
    for number in range(count):
        worker_env = {**env, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        workers.append(
            subprocess.Popen(
                [
                    sys.executable, "manage.py", "rqworker", "stylerec-bench",
                    "--name", f"bench-{count}-{number}-{os.getpid()}",
                    "--worker-class", "stylerec_plugin.restyling.worker.StyleRecWorker",
                ],
                cwd=str(ROOT),
                env=worker_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    return workers


def wait_until_loaded(workers: list[subprocess.Popen], timeout: float = 600) -> float:
    """Seconds until every worker logged that its engines are loaded (output is drained afterwards)."""
    started = time.monotonic()
    ready = threading.Barrier(len(workers) + 1, timeout=timeout)
    logs: list[list[str]] = [[] for _ in workers]

    def follow(index: int, worker: subprocess.Popen) -> None:
        announced = False
        for line in worker.stdout:
            logs[index].append(line)
            if not announced and "engines loaded" in line:
                announced = True
                ready.wait()
        if not announced:
            ready.abort()

    for index, worker in enumerate(workers):
        threading.Thread(target=follow, args=(index, worker), daemon=True).start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        raise SystemExit("a worker did not start:\n" + "".join(line for log in logs for line in log[-30:])) from None
    return time.monotonic() - started


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def main() -> None:
    args = parse_args()
    ensure_database(args.database)
    # Kept with the database (var/ is git-ignored): products in it point at these files.
    media = str(ROOT / "var" / "bench-media")
    os.makedirs(media, exist_ok=True)
    env = setup_environment(args, media)

    import django

    django.setup()
    from django.core.management import call_command

    from demo_shop.catalog.demo_data import load_catalogue, load_styles
    from demo_shop.catalog.models import Product
    from stylerec_plugin.models import RestyledImage, Style, VariantStatus
    from stylerec_plugin.queue import get_queue, run_jobs_inline
    from stylerec_plugin.restyling import planning
    from stylerec_plugin.restyling.jobs import sync_product
    from stylerec_plugin.signals import paused

    call_command("migrate", interactive=False, verbosity=0)
    with paused():
        load_catalogue()
        load_styles()
        styles = list(Style.objects.order_by("sort_order", "pk"))
        chosen = styles[: args.styles]
        for style in styles:
            style.is_active = style in chosen
            style.save()
    product_ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    if args.products:
        product_ids = product_ids[: args.products]
    print(f"Analysing {len(product_ids)} photos once (not timed) ...", flush=True)
    with run_jobs_inline():
        for pk in product_ids:
            sync_product(pk, plan=False)

    results = []
    for count in args.workers:
        with paused():
            RestyledImage.objects.all().delete()
        get_queue().empty()
        workers = start_workers(count, env, threads_for(count, args))
        try:
            startup = wait_until_loaded(workers)
            started = time.monotonic()
            plan = planning.plan_variants(product_ids, chosen)
            planning.queue_plan(plan)
            total = plan.queued_rows
            last_done, last_change = -1, time.monotonic()
            while True:
                done = RestyledImage.objects.filter(
                    status__in=[VariantStatus.READY, VariantStatus.REJECTED, VariantStatus.FAILED]
                ).count()
                if done >= total:
                    break
                if all(worker.poll() is not None for worker in workers):
                    raise SystemExit("all workers exited before the work was done")
                if done != last_done:
                    last_done, last_change = done, time.monotonic()
                elif time.monotonic() - last_change > 300:
                    raise SystemExit(f"no progress for 300 s ({done} of {total} done): the pipeline is stuck")
                time.sleep(0.5)
            elapsed = time.monotonic() - started
        finally:
            stop_workers(workers)
        rows = list(RestyledImage.objects.values_list("status", "duration_ms"))
        engine_ms = [ms for status, ms in rows if ms is not None]
        results.append(
            {
                "workers": count,
                "variants": total,
                "seconds": elapsed,
                "per_minute": total / elapsed * 60 if elapsed else 0.0,
                "startup": startup,
                "median_ms": statistics.median(engine_ms) if engine_ms else 0.0,
                "failed": sum(1 for status, _ in rows if status == VariantStatus.FAILED),
                "rejected": sum(1 for status, _ in rows if status == VariantStatus.REJECTED),
            }
        )
        print(f"{count} worker(s): {total} variants in {elapsed:.1f}s", flush=True)

    base = results[0]["per_minute"] or 1.0
    style_names = ", ".join(f"{s.slug} ({s.kind})" for s in chosen)
    print()
    print(f"Demo catalogue: {len(product_ids)} products x {len(chosen)} styles [{style_names}], "
          f"MAX_SIDE {args.max_side}, BATCH_SIZE {args.batch}, {args.cores} cores")
    print()
    print("| workers | torch threads each | variants | seconds | variants/min | speed-up | worker start-up s "
          "| median engine ms/variant | rejected | failed |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['workers']} | {threads_for(row['workers'], args)} | {row['variants']} | {row['seconds']:.1f} "
            f"| {row['per_minute']:.1f} | {row['per_minute'] / base:.2f}x | {row['startup']:.1f} "
            f"| {row['median_ms']:.0f} | {row['rejected']} | {row['failed']} |"
        )


if __name__ == "__main__":
    main()
