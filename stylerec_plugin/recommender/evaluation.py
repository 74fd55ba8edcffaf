"""Offline evaluation: the hybrid against its parts and the baselines.

Protocol (comparable with the published MovieLens-100k figures): one row per
(user, item); a per-user 75/25 split (seeded), or a per-user time-ordered one;
k = 10; candidates are the items a user has not interacted with in train;
binary relevance. Every setting (each part's parameters, the blend weights) is
chosen on a validation split carved out of train, never on test.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .choice import PartLimits
from .collaborative import AUTO, RatingSVD, set_thread_count
from .data import Events, aggregate, stratified_split, time_split
from .hybrid import HybridRecommender, fit_hybrid
from .metrics import ranking_metrics, top_k
from .style import StyleInputs

Progress = Callable[[str], None]


@dataclass
class EvaluationRow:
    name: str
    label: str
    precision: float
    recall: float
    ndcg: float
    map: float
    coverage: float
    fit_seconds: float
    users: int
    fit_cpu_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class EvaluationResult:
    dataset: str
    split: str
    k: int
    n_users: int
    n_items: int
    n_train: int
    n_test: int
    rows: list[EvaluationRow]
    blend_weights: dict[str, float]
    chosen_params: dict[str, Any]
    validation: dict[str, Any]
    choice: dict[str, Any] = field(default_factory=dict)
    choice_lines: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["rows"] = [row.as_dict() for row in self.rows]
        return out

    def table(self) -> str:
        lines = [
            f"{self.dataset} ({self.split} split, k={self.k}): {self.n_users} users, {self.n_items} items, "
            f"{self.n_train} train / {self.n_test} test pairs",
            f"{'model':<44} {'P@k':>7} {'R@k':>7} {'NDCG@k':>7} {'MAP':>7} {'cover':>7} {'fit s':>7} {'CPU s':>7}",
        ]
        for row in self.rows:
            lines.append(
                f"{row.label:<44} {row.precision:7.4f} {row.recall:7.4f} {row.ndcg:7.4f} {row.map:7.4f} "
                f"{row.coverage:7.4f} {row.fit_seconds:7.1f} {row.fit_cpu_seconds:7.1f}"
            )
        weights = ", ".join(f"{part} {weight:.2f}" for part, weight in self.blend_weights.items())
        lines.append(f"blend weights (chosen on validation): {weights}")
        lines.append("what training chose:")
        lines.extend(f"  {line}" for line in self.choice_lines)
        lines.append(f"this split took {self.seconds:.1f} s ({self.cpu_seconds:.1f} s CPU)")
        return "\n".join(lines)


def _split(pairs, split: str, seed: int):
    if split == "user":
        return stratified_split(pairs, 0.75, seed)
    if split == "time":
        return time_split(pairs, 0.75)
    raise ValueError(f"unknown split {split!r}: use 'user' or 'time'")


def _row(name: str, label: str, metrics, seconds: float, cpu_seconds: float) -> EvaluationRow:
    return EvaluationRow(
        name,
        label,
        metrics.precision,
        metrics.recall,
        metrics.ndcg,
        metrics.map,
        metrics.coverage,
        float(seconds),
        metrics.users,
        float(cpu_seconds or 0.0),
    )


def _hybrid_rows(hybrid: HybridRecommender, measure: Callable) -> list[EvaluationRow]:
    """The hybrid, its collaborative parts blended (when there are several), and each fitted part alone."""
    rows = [
        _row(
            "hybrid",
            "Hybrid (" + " + ".join(p for p in hybrid.parts if hybrid.blend_weights.get(p)) + ")",
            measure(hybrid.score),
            hybrid.fit_seconds,
            hybrid.choice.cpu_seconds,
        )
    ]
    collaborative = [p for p in hybrid.parts if p not in ("style", "popular") and p in hybrid.scorers]
    if len(collaborative) > 1:
        weights = {p: hybrid.blend_weights.get(p, 0.0) for p in collaborative}
        if sum(weights.values()) > 0:

            def collab_scores(batch):
                parts = hybrid.part_scores(batch)
                return sum(weights[p] * parts[p] for p in collaborative if p in parts)

            rows.append(
                _row(
                    "collaborative",
                    "Collaborative parts blended",
                    measure(collab_scores),
                    sum(hybrid.scorers[p].fit_seconds for p in collaborative),
                    sum(hybrid.scorers[p].fit_cpu_seconds for p in collaborative),
                )
            )
    for part in hybrid.parts:
        scorer = hybrid.scorers.get(part)
        if scorer is not None:
            rows.append(
                _row(part, f"{scorer.label} alone", measure(scorer.score), scorer.fit_seconds, scorer.fit_cpu_seconds)
            )
    return rows


def evaluate(
    events: Events,
    *,
    dataset: str = "",
    style_inputs: StyleInputs | None = None,
    algorithms: str | Sequence[str] = AUTO,
    split: str = "user",
    k: int = 10,
    seed: int = 42,
    half_life_days: float | None = None,
    search: bool = True,
    part_params: dict[str, dict[str, Any]] | None = None,
    time_budget_seconds: float | None = None,
    limits: PartLimits | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Fit the hybrid on the train side of ``split`` and measure it, each part alone and
    plain Surprise SVD on the test side. Every part the choice kept is refitted (also
    those the blend gave no weight), so each can be shown alone."""
    # The protocol, top to bottom (split, fit, measure every scorer, the rating baseline);
    # the row building lives in _hybrid_rows, the rest reads better in one place.
    say = progress or (lambda message: None)
    started, started_cpu = time.perf_counter(), time.process_time()
    pairs = aggregate(events, half_life_days)
    train, test = _split(pairs, split, seed)
    seen = train.matrix(binary=True)
    relevant = test.matrix(binary=True)
    users = np.unique(test.users)
    say(f"fitting the hybrid on {len(train)} pairs")
    hybrid, _ = fit_hybrid(
        train,
        style_inputs=style_inputs,
        algorithms=algorithms,
        time_budget_seconds=time_budget_seconds,
        limits=limits,
        search=search,
        part_params=part_params,
        validation_split=split,
        k=k,
        seed=seed,
        refit_unweighted=True,
        progress=say,
    )

    def measure(scores_for: Callable[[np.ndarray], np.ndarray]) -> Any:
        tops = []
        for start in range(0, len(users), 2048):
            batch = users[start : start + 2048]
            tops.append(top_k(scores_for(batch), k, seen, batch))
        top = np.concatenate(tops) if tops else np.empty((0, k), dtype=np.int64)
        return ranking_metrics(top, relevant, users, pairs.n_items, k)

    say("ranking with the hybrid")
    rows = _hybrid_rows(hybrid, measure)
    collaborative = [p for p in hybrid.parts if p not in ("style", "popular") and p in hybrid.scorers]
    say("fitting plain Surprise SVD (rating prediction)")
    baseline = RatingSVD().fit(train)
    rows.append(_row("svd", RatingSVD.label, measure(baseline.score), baseline.fit_seconds, baseline.fit_cpu_seconds))
    extra: dict[str, Any] = {}
    scorers = {**{part: hybrid.scorers[part] for part in collaborative}, "svd": baseline}
    for part, scorer in scorers.items():
        if hasattr(scorer, "predict_one"):
            extra.setdefault("predict_agreement", {})[part] = predict_agreement(scorer, train)
    return EvaluationResult(
        dataset=dataset,
        split=split,
        k=k,
        n_users=pairs.n_users,
        n_items=pairs.n_items,
        n_train=len(train),
        n_test=len(test),
        rows=rows,
        blend_weights=hybrid.blend_weights,
        chosen_params=hybrid.chosen_params,
        validation=hybrid.validation,
        choice=hybrid.choice.as_dict(),
        choice_lines=hybrid.choice.summary(),
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - started_cpu,
        extra=extra,
    )


def _say_to_stderr(label: str, started: float, message: str) -> None:
    print(f"[{time.time() - started:6.1f} s] {label}: {message}", file=sys.stderr, flush=True)


def _task(kind: str, payload: Any, options: dict[str, Any], verbose_since: float | None) -> Any:
    if kind == "rmse":
        return surprise_rmse_check(payload)
    progress = functools.partial(_say_to_stderr, f"{options['split']} split", verbose_since) if verbose_since else None
    return evaluate(payload, progress=progress, **options)


# The worker's thread limits, kept referenced for the life of the process.
_worker_limits: Any = None


def _start_worker(threads: int) -> None:
    """Each worker process's share of the cores: ``threads`` for BLAS, OpenMP and implicit's ALS.

    Unlimited, every process would start one BLAS/OpenMP/ALS thread per CPU, so N
    workers on N cores would run N x N threads that take the cores from each other.
    """
    global _worker_limits
    import threadpoolctl

    set_thread_count(threads)
    _worker_limits = threadpoolctl.threadpool_limits(threads)


def worker_count(jobs: int | None, tasks: int) -> int:
    """Processes for ``tasks`` independent tasks: ``jobs`` (default one per CPU), never more than tasks."""
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    return max(1, min(tasks, jobs or os.cpu_count() or 1))


def evaluate_splits(
    events: Events,
    splits: Sequence[str],
    *,
    rmse_rows: Sequence[tuple[str, str, float, float]] | None = None,
    jobs: int | None = None,
    verbose: bool = False,
    **options: Any,
) -> tuple[list[EvaluationResult], dict[str, float] | None, float]:
    """:func:`evaluate` on each split (and the Surprise RMSE check when ``rmse_rows`` are given).

    The tasks are independent, so with ``jobs`` > 1 (default: one per CPU, at
    most one per task) they run in parallel processes, started fresh ("spawn":
    nothing of the caller, e.g. a database connection, is inherited), each
    limited to its share of the cores' threads. The results are the same as
    one after the other (``jobs=1``, in this process): each task seeds its own
    random numbers. Returns the results in ``splits`` order, the RMSE check,
    and the CPU seconds the worker processes used.
    """
    tasks: list[tuple[str, Any, dict[str, Any]]] = [
        ("evaluate", events, {**options, "split": split}) for split in splits
    ]
    if rmse_rows is not None:
        tasks.append(("rmse", list(rmse_rows), {}))
    workers = worker_count(jobs, len(tasks))
    since = time.time() if verbose else None
    if workers == 1:
        outputs = [_task(kind, payload, task_options, since) for kind, payload, task_options in tasks]
        child_cpu = 0.0
    else:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        threads = max(1, (os.cpu_count() or 1) // workers)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(threads,)
        ) as pool:
            # Submitted longest first (the splits, then the shorter RMSE check), so the
            # short task fills the core that frees first.
            futures = [pool.submit(_task, kind, payload, opts, since) for kind, payload, opts in tasks]
            outputs = [future.result() for future in futures]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rmse = outputs.pop() if rmse_rows is not None else None
    return outputs, rmse, child_cpu


def predict_agreement(scorer, train, samples: int = 200, seed: int = 0) -> float:
    """Largest |numpy score - Surprise predict()| over sampled pairs of known users and items.

    Surprise refuses to predict for users/items it never saw in training (it
    returns its default instead), so the check samples from known ones.
    """
    rng = np.random.default_rng(seed)
    known_users = np.unique(train.users)
    known_items = np.unique(train.items)
    users = rng.choice(known_users, samples)
    items = rng.choice(known_items, samples)
    scores = scorer.score(users)
    diffs = [
        abs(scorer.predict_one(int(u), int(i)) - float(scores[row, i]))
        for row, (u, i) in enumerate(zip(users, items, strict=True))
    ]
    return float(max(diffs))


def surprise_rmse_check(rows: Sequence[tuple[str, str, float, float]], folds: int = 5) -> dict[str, float]:
    """Surprise's published check: SVD, default parameters, 5-fold KFold(random_state=0)."""
    from surprise import SVD, Dataset, Reader
    from surprise.model_selection import KFold, cross_validate

    # Surprise reads ratings from a file; a private temporary one, removed at once.
    handle, path = tempfile.mkstemp(suffix=".tsv", prefix="stylerec-ratings-")
    try:
        with os.fdopen(handle, "w") as out:
            for user, item, rating, stamp in rows:
                out.write(f"{user}\t{item}\t{rating:g}\t{int(stamp)}\n")
        data = Dataset.load_from_file(
            path, Reader(line_format="user item rating timestamp", sep="\t", rating_scale=(1, 5))
        )
        started = time.perf_counter()
        result = cross_validate(SVD(random_state=0), data, measures=["rmse", "mae"], cv=KFold(folds, random_state=0))
        seconds = time.perf_counter() - started
    finally:
        os.unlink(path)
    return {
        "rmse": float(np.mean(result["test_rmse"])),
        "mae": float(np.mean(result["test_mae"])),
        "folds": folds,
        "seconds": seconds,
    }


def plot(results: Sequence[EvaluationResult], path: str, title: str = "") -> None:
    """Grouped bars of P@k, R@k, NDCG@k, MAP and coverage per model, one panel per result."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["precision", "recall", "ndcg", "map", "coverage"]
    names = ["P@10", "R@10", "NDCG@10", "MAP", "coverage"]
    fig, axes = plt.subplots(1, len(results), figsize=(6.5 * len(results), 4.8), squeeze=False)
    for axis, result in zip(axes[0], results, strict=True):
        width = 0.8 / max(len(result.rows), 1)
        positions = np.arange(len(metrics))
        top = 0.0
        for index, row in enumerate(result.rows):
            values = [getattr(row, m) for m in metrics]
            top = max(top, *values)
            bars = axis.bar(positions + index * width - 0.4 + width / 2, values, width, label=row.label)
            axis.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=6, padding=2, rotation=90)
        axis.set_xticks(positions, [n.replace("10", str(result.k)) for n in names])
        axis.set_ylim(0, min(1.15, top * 1.2 + 0.05))
        axis.set_title(f"{result.dataset}: {result.split} split")
        axis.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(3, len(labels)), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    rows_of_legend = (len(labels) + 2) // 3
    fig.tight_layout(rect=(0, 0.07 * rows_of_legend, 1, 1))
    fig.savefig(path, dpi=80)
    plt.close(fig)
