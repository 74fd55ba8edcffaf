"""The hybrid: collaborative scorers + style similarity + popularity, blended.

Every choice is made on a validation split carved out of the training pairs
(per-user 75/25 by default): each part's parameters from its small search
space, then the blend weights on a simplex grid refined by small moves. The
parts the blend weighs are then refitted on all training pairs with the chosen
parameters. Each part's scores are standardised per shopper before blending,
so weights compare like with like.

The choice is cost-aware: a part is left out before it costs anything when a
hard limit rules it out (EASE^R's catalogue size, memory), or when a short
probe fit says its validation fit and refit would not end within the time
budget; cheap parts go first. :func:`fit_hybrid` is the entry point training
calls; the :class:`~.choice.TrainingChoice` it returns says what was used and why.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .choice import (
    DEFAULT_TIME_BUDGET_SECONDS,
    EASE_ITEM_LIMIT,
    FIXED,
    MEMORY_LIMIT,
    NO_DATA,
    NO_WEIGHT,
    SKIPPED,
    TIME_BUDGET,
    UNUSED,
    USED,
    CandidateReport,
    PartLimits,
    PartReport,
    TrainingChoice,
    format_bytes,
)
from .collaborative import AUTO, EASE, Popularity, Scorer, ease_bytes, make_scorer, parse_algorithms
from .data import Pairs, stratified_split, time_split
from .metrics import hit_matrix, ranking_metrics, top_k
from .style import StyleInputs, StyleScorer

# Reason codes shoppers see (translated by the Django adapter).
REASON_FOR_PART = {
    "implicit_svd": "similar_shoppers",
    "ease": "similar_shoppers",
    "als": "similar_shoppers",
    "item_knn": "similar_shoppers",
    "user_knn": "similar_shoppers",
    "svd": "similar_shoppers",
    "style": "style",
    "popular": "popular",
}

Progress = Callable[[str], None]


def standardise(scores: np.ndarray, weight: float = 1.0, *, in_place: bool = False) -> np.ndarray:
    """Per row: zero mean, unit standard deviation, times ``weight`` (a constant row becomes zeros).

    ``in_place`` reuses ``scores`` (a float32 array the caller owns and no longer needs).
    Four passes over the block and no temporaries: at 100,000 shoppers x 10,000 products
    the former ``(s - mean) / std`` with its copies took a third of the list building.
    """
    owned = in_place and scores.dtype == np.float32 and scores.flags.writeable and scores.flags.c_contiguous
    out = scores if owned else np.array(scores, dtype=np.float32, order="C", copy=True)
    if out.size == 0:
        return out
    out -= out.mean(axis=1, keepdims=True)
    std = np.sqrt(np.einsum("ij,ij->i", out, out) / np.float32(out.shape[1]))
    scale = np.divide(np.float32(weight), std, out=np.zeros_like(std), where=std > 1e-12)
    out *= scale[:, None]
    return out


def simplex_grid(n_parts: int, steps: int) -> list[tuple[float, ...]]:
    """All weight vectors with entries in {0, 1/steps, ...} summing to 1."""
    grid = []
    for combo in itertools.product(range(steps + 1), repeat=n_parts):
        if sum(combo) == steps:
            grid.append(tuple(c / steps for c in combo))
    return grid


@dataclass
class Ranking:
    """Top-N per user: item indices (-1 pads), blended scores, reason part per slot."""

    items: np.ndarray
    scores: np.ndarray
    reasons: np.ndarray  # index into HybridRecommender.parts
    reason_styles: np.ndarray  # style row for "style" reasons, else -1


def _seconds(value: float) -> str:
    return f"{value:,.0f} s" if value >= 10 else f"{value:.2g} s"


@dataclass
class _Round:
    """One validation split: fit on ``fit_part``, judge on ``relevant`` for ``users``."""

    fit_part: Pairs
    seen: sp.csr_matrix
    relevant: sp.csr_matrix
    users: np.ndarray


@dataclass
class _Fitted:
    """A part's best setting so far, with its validation scorers (one per round)."""

    ndcg: float
    params: dict[str, Any]
    scorers: list[Scorer]
    tops: list[np.ndarray]
    seconds: float


@dataclass
class _BlendBoard:
    """Validation NDCG@k of a weighted blend, on a fixed candidate set per shopper."""

    scores: np.ndarray  # (parts, users, candidates) standardised
    valid: np.ndarray  # (users, candidates)
    hits: np.ndarray  # (users, candidates) candidate is relevant
    n_relevant: np.ndarray  # (users,)
    k: int

    def __post_init__(self) -> None:
        discounts = 1.0 / np.log2(np.arange(2, self.k + 2))
        self.discounts = discounts
        self.ideal = np.cumsum(discounts)[np.clip(np.minimum(self.n_relevant, self.k), 1, None) - 1]

    def ndcg(self, weights: Sequence[float]) -> float:
        per_user = self.per_user(weights)
        return float(per_user.mean()) if len(per_user) else 0.0

    def per_user(self, weights: Sequence[float]) -> np.ndarray:
        """NDCG@k of each judged shopper (those with a relevant validation item)."""
        blended = np.tensordot(np.asarray(weights, dtype=np.float32), self.scores, axes=1)
        blended[~self.valid] = -np.inf
        k = min(self.k, blended.shape[1])
        part = np.argpartition(-blended, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(blended, part, axis=1), axis=1, kind="stable")
        best = np.take_along_axis(part, order, axis=1)
        hits = np.take_along_axis(self.hits, best, axis=1)
        dcg = (hits * self.discounts[:k]).sum(axis=1)
        return (dcg / self.ideal)[self.n_relevant > 0]


@dataclass
class HybridRecommender:
    algorithms: Sequence[str] = ("implicit_svd",)
    style_inputs: StyleInputs | None = None
    use_popularity: bool = True
    # Overrides per part, e.g. {"implicit_svd": {"n_epochs": 20}}; a part with
    # overrides is not searched.
    part_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    search: bool = True
    validation_fraction: float = 0.75
    k: int = 10
    seed: int = 0
    max_validation_users: int = 3000
    # Validation splits averaged over (None: 3 below 20,000 pairs, else 1).
    validation_rounds: int | None = None
    # "user": per-user random validation split; "time": each user's latest pairs
    # (for a time-ordered evaluation, so choices are made on the same kind of split).
    validation_split: str = "user"
    # Fixed blend weights skip the validation search for them.
    blend_weights: dict[str, float] | None = None
    # Wall seconds the whole fit may take, validation search included (None: no limit).
    # Parts whose probe-estimated cost does not fit in what is left are skipped.
    time_budget_seconds: float | None = None
    limits: PartLimits = field(default_factory=PartLimits)
    # Refit parts the blend gave no weight too (the evaluation shows each part alone);
    # training leaves them out. Style and popularity are always fitted.
    refit_unweighted: bool = False
    # The blend search ranks among each part's best this many items per shopper.
    blend_candidates: int = 100

    def __post_init__(self) -> None:
        self.algorithms = parse_algorithms(list(self.algorithms))
        self.parts: list[str] = list(self.algorithms)
        if self.style_inputs is not None and self.style_inputs.usable:
            self.parts.append("style")
        if self.use_popularity:
            self.parts.append("popular")
        self.scorers: dict[str, Scorer] = {}
        self.chosen_params: dict[str, dict[str, Any]] = {}
        self.validation: dict[str, Any] = {}
        self.fit_seconds: float | None = None
        self.choice: TrainingChoice | None = None
        # Training pairs per shopper with any (set by fit; some parts' search spaces depend on it).
        self._pairs_per_shopper = np.inf

    # -- fitting ------------------------------------------------------------------------

    def _new_scorer(self, part: str, params: dict[str, Any]) -> Scorer:
        if part == "style":
            return StyleScorer(self.style_inputs, **params)
        if part == "popular":
            return Popularity(**params)
        return make_scorer(part, **params)

    def _label(self, part: str) -> str:
        if part == "style":
            return StyleScorer.label
        if part == "popular":
            return Popularity.label
        return make_scorer(part).label

    def _candidates(self, part: str) -> list[dict[str, Any]]:
        if part in self.part_params:
            return [self.part_params[part]]
        if part == "style":
            space = StyleScorer.search_space
        elif part == "popular":
            space = [{}]
        else:
            space = type(make_scorer(part)).search_space_for(self._pairs_per_shopper)
        return space if self.search else space[:1]

    def _rounds(self, train: Pairs) -> int:
        if self.validation_rounds is not None:
            return max(1, self.validation_rounds)
        # Small data sets give noisy validation scores: average over several splits.
        return 3 if len(train) < 20_000 else 1

    def _limit_reason(self, part: str, train: Pairs) -> tuple[str, str]:
        """Why ``part`` must not be fitted at all on ``train``: (reason code, words); ("", "") if it may."""
        if part in ("style", "popular"):
            return "", ""
        n_users, n_items, n_pairs = train.n_users, train.n_items, len(train)
        if n_pairs == 0:
            # Nothing to factorise (a new shop): style and popularity still make the lists.
            return NO_DATA, "no interactions to learn from yet"
        if part == "ease" and EASE.system_size(n_users, n_items) > self.limits.ease_max_items:
            size = f"{n_items:,} items" if n_items <= n_users else f"{n_items:,} items and {n_users:,} shoppers"
            return EASE_ITEM_LIMIT, (
                f"{size} > limit {self.limits.ease_max_items:,} "
                f"(would need ~{format_bytes(ease_bytes(n_items, n_users))})"
            )
        needed = self._new_scorer(part, self._candidates(part)[0]).estimate_bytes(n_users, n_items, n_pairs)
        if needed > self.limits.memory():
            limit = format_bytes(self.limits.memory())
            return MEMORY_LIMIT, f"would need ~{format_bytes(needed)} > memory limit {limit}"
        return "", ""

    def _make_rounds(self, train: Pairs) -> list[_Round]:
        rounds = []
        n_rounds = 1 if self.validation_split == "time" else self._rounds(train)
        for round_index in range(n_rounds):
            if self.validation_split == "time":
                fit_part, validation = time_split(train, self.validation_fraction)
            else:
                fit_part, validation = stratified_split(
                    train, self.validation_fraction, seed=self.seed + 1 + round_index
                )
            users = np.unique(validation.users)
            if len(users) > self.max_validation_users:
                rng = np.random.default_rng(self.seed + round_index)
                users = np.sort(rng.choice(users, self.max_validation_users, replace=False))
            if len(users):
                rounds.append(_Round(fit_part, fit_part.matrix(binary=True), validation.matrix(binary=True), users))
        return rounds

    def fit(self, train: Pairs, progress: Progress | None = None) -> HybridRecommender:
        started, started_cpu = time.perf_counter(), time.process_time()
        say = progress or (lambda message: None)
        self._pairs_per_shopper = len(train) / max(1, len(np.unique(train.users))) if len(train) else np.inf
        budget = self.time_budget_seconds
        deadline = started + budget if budget is not None else np.inf
        choice = TrainingChoice(
            budget_seconds=budget,
            n_users=train.n_users,
            n_items=train.n_items,
            n_pairs=len(train),
            validation_split=self.validation_split,
        )
        reports = {part: PartReport(part, self._label(part), SKIPPED) for part in self.parts}
        choice.parts = [reports[part] for part in self.parts]
        self.choice = choice
        for part in self.parts:
            reports[part].reason_code, reports[part].reason = self._limit_reason(part, train)
        active = [part for part in self.parts if not reports[part].reason]

        rounds = self._make_rounds(train) if len(train) else []
        needs_validation = bool(rounds) and (
            self.blend_weights is None or any(len(self._candidates(p)) > 1 for p in active)
        )
        best: dict[str, _Fitted] = {}
        if needs_validation:
            choice.validation_rounds = len(rounds)
            choice.validation_users = int(sum(len(r.users) for r in rounds))
            self.validation["rounds"] = len(rounds)
            fit_share = len(train) / max(1, len(rounds[0].fit_part))
            collaborative = [p for p in active if p not in ("style", "popular")]
            estimates = {}
            for part in collaborative:
                probe = self._new_scorer(part, self._candidates(part)[0])
                reports[part].estimated_bytes = probe.estimate_bytes(train.n_users, train.n_items, len(train))
                if budget is None:
                    # The probes are short timed fits (MovieLens: about 1.3 s CPU a split) that
                    # only the budget reads; without one they change nothing.
                    continue
                say(f"estimating the cost of {part}")
                estimates[part] = probe.estimate_fit_seconds(rounds[0].fit_part)
                reports[part].estimated_seconds = estimates[part] * fit_share
            # Cheap parts first, so an expensive one is what the budget leaves out.
            # (sorted is stable: without a budget, the parts' own order.)
            by_cost = sorted(collaborative, key=lambda p: estimates.get(p, 0.0))
            order = [p for p in active if p not in collaborative] + by_cost
            # Refits promised to the parts kept so far, and a reserve for the blend search
            # (busy machine, 3,000 shoppers: 1.5 s for two parts; 54 s for five on a grid of eighths).
            committed = 0.0 if budget is None else min(0.15 * budget, 60.0)
            # Breadth first: every part's first setting, then the other settings while
            # time is left (another part usually adds more to a blend than a tuned one).
            for first in (True, False):
                for part in order:
                    if not first and part not in best:
                        continue
                    before = best.get(part)
                    fitted = self._validate_part(
                        part, rounds, reports[part], estimates.get(part), fit_share, deadline - committed, say,
                        first=first, fitted=before,
                    )
                    if fitted is not None and fitted is not before:
                        best[part] = fitted
                        committed += (fitted.seconds - (before.seconds if before else 0.0)) / len(rounds) * fit_share
            active = [part for part in active if part in best]

        if self.blend_weights is None:
            if best:
                blend_started = time.perf_counter()
                say(f"searching blend weights over {len(best)} parts")
                weights, choice.blend_ndcg = self._search_blend(best, rounds)
                choice.blend_seconds = time.perf_counter() - blend_started
                self.validation["blend_ndcg"] = choice.blend_ndcg
            else:
                # Nothing to validate on (tiny data): every usable part counts the same.
                weights = {p: 1.0 / len(active) for p in active}
        else:
            weights = {p: float(w) for p, w in self.blend_weights.items() if p in active}
            total = sum(weights.values())
            if 0 < total and len(weights) < len([p for p in self.blend_weights if p in self.parts]):
                # A part with a given weight was left out (limits): the others share its weight.
                weights = {p: w / total for p, w in weights.items()}
        self.blend_weights = {p: float(weights.get(p, 0.0)) for p in self.parts}
        best.clear()

        for part in active:
            report = reports[part]
            self.chosen_params[part] = report.params or self._candidates(part)[0]
            report.params = self.chosen_params[part]
            report.weight = self.blend_weights[part]
            if not needs_validation:
                report.status = FIXED
            elif report.weight > 0:
                report.status = USED
            else:
                report.status, report.reason = UNUSED, "no weight in the validation blend"
                report.reason_code = NO_WEIGHT
            if report.weight == 0 and part not in ("style", "popular") and not self.refit_unweighted:
                continue
            say(f"fitting {part}")
            scorer = self._new_scorer(part, self.chosen_params[part]).fit(train)
            self.scorers[part] = scorer
            report.fit_seconds, report.fit_cpu_seconds = scorer.fit_seconds, scorer.fit_cpu_seconds
        self.popularity = self.scorers.get("popular") or Popularity().fit(train)
        self.n_users, self.n_items = train.n_users, train.n_items
        self.fit_seconds = time.perf_counter() - started
        choice.blend_weights = dict(self.blend_weights)
        choice.elapsed_seconds = self.fit_seconds
        choice.cpu_seconds = time.process_time() - started_cpu
        return self

    def _validate_part(
        self,
        part: str,
        rounds: list[_Round],
        report: PartReport,
        estimate: float | None,
        fit_share: float,
        deadline: float,
        say: Progress,
        *,
        first: bool = True,
        fitted: _Fitted | None = None,
    ) -> _Fitted | None:
        """Fit the first setting of ``part`` (``first``) or its other ones on every round while
        the budget allows; the best so far (``fitted``) is kept unless a setting beats it.

        ``estimate`` is the probe's seconds for one validation fit of the first
        setting (None: a cheap part, whose first setting is always fitted). A
        setting is tried only if its validation fits, and the refit on all
        training pairs should it win, end before ``deadline``. Sets
        ``report.reason`` when the first setting does not fit.
        """
        candidates = self._candidates(part)
        budget = self.time_budget_seconds
        indices = range(0, 1) if first else range(1, len(candidates))
        for index in indices:
            params = candidates[index]
            # A cheap part (no estimate: style, popularity) always gets its first setting;
            # its further settings are budgeted like any other, at the first one's cost.
            if budget is not None and (estimate is not None or index > 0):
                first_seconds = report.candidates[0].fit_seconds / len(rounds) if report.candidates else 0.0
                if index == 0:
                    expected = estimate
                elif estimate is None:
                    expected = first_seconds
                else:
                    # The probe of this setting, corrected by how far off the first setting's probe was.
                    probe = self._new_scorer(part, params).estimate_fit_seconds(rounds[0].fit_part)
                    expected = probe * (first_seconds / estimate if estimate else 1.0)
                refit = expected * fit_share - (fitted.seconds / len(rounds) * fit_share if fitted else 0.0)
                needed = expected * len(rounds) + max(0.0, refit)
                left = deadline - time.perf_counter()
                if needed > left:
                    if fitted is None:
                        report.reason_code = TIME_BUDGET
                        report.reason = (
                            f"estimated {_seconds(needed)} for its validation fit and refit > "
                            f"{_seconds(max(left, 0.0))} left of the {budget:g} s budget"
                        )
                        return None
                    report.candidates_not_tried = len(candidates) - index
                    return fitted
            say(f"validating {part} {params}")
            ndcgs, scorers, tops, seconds, cpu = [], [], [], 0.0, 0.0
            for round_ in rounds:
                scorer = self._new_scorer(part, params).fit(round_.fit_part)
                seconds += scorer.fit_seconds or 0.0
                cpu += scorer.fit_cpu_seconds or 0.0
                top = self._top(scorer, round_)
                n_items = round_.seen.shape[1]
                ndcgs.append(ranking_metrics(top[:, : self.k], round_.relevant, round_.users, n_items, self.k).ndcg)
                scorers.append(scorer)
                tops.append(top)
            ndcg = float(np.mean(ndcgs))
            report.candidates.append(CandidateReport(dict(params), ndcg, seconds, cpu))
            self.validation.setdefault("parts", {}).setdefault(part, []).append(
                {"params": params, "ndcg": ndcg, "fit_seconds": seconds}
            )
            if fitted is None or ndcg > fitted.ndcg:
                fitted = _Fitted(ndcg, dict(params), scorers, tops, seconds)
        if fitted is not None:
            report.params = fitted.params
            report.validation_ndcg = fitted.ndcg
        return fitted

    def _top(self, scorer: Scorer, round_: _Round, batch: int = 1024) -> np.ndarray:
        """The scorer's best ``blend_candidates`` unseen items per validation user, best first."""
        n = max(self.k, min(self.blend_candidates, round_.seen.shape[1]))
        out = []
        for start in range(0, len(round_.users), batch):
            users = round_.users[start : start + batch]
            out.append(top_k(scorer.score(users), n, round_.seen, users, copy=False))
        return np.concatenate(out)

    def _search_blend(self, best: dict[str, _Fitted], rounds: list[_Round]) -> tuple[dict[str, float], float]:
        """Blend weights on a simplex grid, then refined by small moves, judged on validation NDCG.

        Each round's candidates are the union of every part's best items per
        shopper; every part's standardised scores on them are blended, so a
        weight vector costs a few small array operations whatever the catalogue.
        The blend is kept only when it beats the best part alone by more than
        the standard error of that gain over the validation shoppers; a smaller
        gain is noise, and the best part alone is the safer choice.
        """
        parts = [p for p in self.parts if p in best]
        if len(parts) == 1:
            return {parts[0]: 1.0}, best[parts[0]].ndcg
        boards = [self._board(best, parts, index, round_) for index, round_ in enumerate(rounds)]

        def judge(weights: Sequence[float]) -> float:
            return float(np.mean([board.ndcg(weights) for board in boards]))

        # Up to four parts a grid of tenths (286 points); more parts a grid of fifths
        # refined twice, since a grid of tenths grows too fast (1,001 points for five).
        # (A grid of fifths refined for four parts too cost a third as much, but moved
        # MovieLens' hybrid from 0.5000 to 0.4999: docs/benchmarks.md.)
        steps, refinements = (10, (0.05,)) if len(parts) <= 4 else (5, (0.1, 0.05))
        scored = [(judge(w), w) for w in simplex_grid(len(parts), steps)]
        top_ndcg, top_weights = max(scored, key=lambda item: item[0])
        # Refine: move a small step of weight between two parts while that helps.
        weights = np.array(top_weights)
        for step in refinements:
            for _ in range(40):
                improved = False
                for a, b in itertools.permutations(range(len(parts)), 2):
                    if weights[a] < step - 1e-12:
                        continue
                    trial = weights.copy()
                    trial[a] -= step
                    trial[b] += step
                    value = judge(trial)
                    if value > top_ndcg + 1e-9:
                        top_ndcg, weights, improved = value, trial, True
                if not improved:
                    break
        weights = weights / weights.sum()
        alone = np.eye(len(parts))
        single_ndcgs = [judge(row) for row in alone]
        single = int(np.argmax(single_ndcgs))
        gains = np.concatenate([b.per_user(weights) - b.per_user(alone[single]) for b in boards])
        gain = float(gains.mean())
        error = float(gains.std(ddof=1) / np.sqrt(len(gains))) if len(gains) > 1 else 0.0
        self.choice.blend_gain, self.choice.blend_gain_error = gain, error
        if gain <= error and weights[single] < 1.0:
            self.choice.blend_note = (
                f"the blend's validation gain over {self._label(parts[single])} alone ({gain:+.4f}) was within "
                f"its standard error ({error:.4f}): {self._label(parts[single])} alone"
            )
            weights, top_ndcg = alone[single], single_ndcgs[single]
        weights = np.round(weights, 4)
        return {p: float(w) for p, w in zip(parts, weights, strict=True)}, top_ndcg

    def _board(self, best: dict[str, _Fitted], parts: list[str], index: int, round_: _Round) -> _BlendBoard:
        """The candidates of one round and every part's standardised scores on them."""
        stacked = np.concatenate([best[p].tops[index] for p in parts], axis=1)
        stacked = np.sort(stacked, axis=1)
        duplicate = np.zeros(stacked.shape, dtype=bool)
        duplicate[:, 1:] = stacked[:, 1:] == stacked[:, :-1]
        stacked[duplicate] = -1
        # Valid candidates first in each row, then pad with -1.
        order = np.argsort(stacked < 0, axis=1, kind="stable")
        candidates = np.take_along_axis(stacked, order, axis=1)
        width = int((candidates >= 0).sum(axis=1).max())
        candidates = candidates[:, :width]
        valid = candidates >= 0
        safe = np.maximum(candidates, 0)
        scores = []
        for part in parts:
            scorer = best[part].scorers[index]
            block = np.empty(candidates.shape, dtype=np.float32)
            for start in range(0, len(round_.users), 1024):
                users = round_.users[start : start + 1024]
                z = standardise(scorer.score(users))
                block[start : start + len(users)] = np.take_along_axis(z, safe[start : start + len(users)], axis=1)
            block[~valid] = 0.0
            scores.append(block)
        hits = hit_matrix(candidates, round_.relevant, round_.users) & valid
        n_relevant = np.diff(round_.relevant.indptr)[round_.users]
        return _BlendBoard(np.stack(scores), valid, hits, n_relevant, self.k)

    # -- scoring ------------------------------------------------------------------------

    def part_scores(self, users: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for part in self.parts:
            if not self.blend_weights.get(part):
                continue
            if part == "popular":
                # The same for everyone: standardise one row and broadcast it (no copy per user).
                row = standardise(self.scorers[part].item_scores[None, :])
                out[part] = np.broadcast_to(row, (len(users), self.n_items))
            else:
                out[part] = standardise(self.scorers[part].score(users))
        return out

    def score(self, users: np.ndarray) -> np.ndarray:
        parts = self.part_scores(users)
        total = np.zeros((len(users), self.n_items), dtype=np.float32)
        for part, scores in parts.items():
            total += self.blend_weights[part] * scores
        return total

    def rank(self, users: np.ndarray, n: int, exclude: sp.csr_matrix | None = None, batch_size: int = 1024) -> Ranking:
        """Top-n for each user with reasons; ``exclude`` (users x items) pairs never appear."""
        all_items, all_scores, all_reasons, all_styles = [], [], [], []
        for start in range(0, len(users), batch_size):
            batch = users[start : start + batch_size]
            # Each part's weighted standardised scores, made in place in the block the scorer
            # returned (popularity: one row for everyone).
            names = [p for p in self.parts if self.blend_weights.get(p)]
            weighted: dict[str, np.ndarray] = {}
            total = np.zeros((len(batch), self.n_items), dtype=np.float32)
            for part in names:
                weight = self.blend_weights[part]
                if part == "popular":
                    weighted[part] = standardise(self.scorers[part].item_scores[None, :], weight)
                else:
                    weighted[part] = standardise(self.scorers[part].score(batch), weight, in_place=True)
                total += weighted[part]
            best = top_k(total, n, exclude, batch, copy=False)
            safe = np.maximum(best, 0)
            best_scores = np.take_along_axis(total, safe, axis=1)
            # The reason is the part that contributed most to the item's score.
            contributions = np.stack(
                [
                    weighted[p][0][safe] if weighted[p].shape[0] == 1 else np.take_along_axis(weighted[p], safe, axis=1)
                    for p in names
                ]
            )
            reason_parts = np.array([self.parts.index(p) for p in names])[contributions.argmax(axis=0)]
            styles = np.full(best.shape, -1, dtype=np.int64)
            if "style" in weighted:
                style_reason = reason_parts == self.parts.index("style")
                if style_reason.any():
                    matched = self.scorers["style"].best_style_for(batch, np.where(style_reason, best, -1))
                    styles = np.where(style_reason, matched, -1)
            best_scores[best < 0] = np.nan
            all_items.append(best)
            all_scores.append(best_scores)
            all_reasons.append(reason_parts)
            all_styles.append(styles)
        if not all_items:
            empty = np.empty((0, n))
            return Ranking(empty.astype(np.int64), empty, empty.astype(np.int64), empty.astype(np.int64))
        return Ranking(
            np.concatenate(all_items),
            np.concatenate(all_scores),
            np.concatenate(all_reasons),
            np.concatenate(all_styles),
        )

    def popular_items(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The non-personalised list: most shoppers first."""
        order = np.argsort(-self.popularity.item_scores, kind="stable")[:n]
        return order, self.popularity.item_scores[order]

    def describe(self) -> dict[str, Any]:
        return {
            "parts": self.parts,
            "params": self.chosen_params,
            "blend_weights": self.blend_weights,
            "validation": self.validation,
            "fit_seconds": self.fit_seconds,
            "choice": self.choice.as_dict() if self.choice else None,
        }


def fit_hybrid(
    train: Pairs,
    *,
    style_inputs: StyleInputs | None = None,
    algorithms: str | Sequence[str] = AUTO,
    time_budget_seconds: float | None = DEFAULT_TIME_BUDGET_SECONDS,
    limits: PartLimits | None = None,
    search: bool = True,
    part_params: dict[str, dict[str, Any]] | None = None,
    blend_weights: dict[str, float] | None = None,
    validation_split: str = "user",
    k: int = 10,
    seed: int = 0,
    refit_unweighted: bool = False,
    progress: Progress | None = None,
) -> tuple[HybridRecommender, TrainingChoice]:
    """Fit the candidate parts on ``train`` within ``time_budget_seconds``, choose their settings
    and blend weights on validation, refit what the blend uses, and say why.

    ``train`` holds the preference strengths per (shopper, product) and the
    catalogue size (``n_items``); ``style_inputs`` the product and style vectors
    (None: no style part); ``algorithms`` the collaborative candidates ("auto":
    EASE^R, ALS and implicit SVD). Returns the fitted hybrid (``rank()`` builds
    the lists) and its :class:`~.choice.TrainingChoice`.
    """
    names = parse_algorithms(algorithms) if isinstance(algorithms, str) else list(algorithms)
    hybrid = HybridRecommender(
        algorithms=names,
        style_inputs=style_inputs,
        search=search,
        part_params=part_params or {},
        blend_weights=blend_weights,
        validation_split=validation_split,
        k=k,
        seed=seed,
        time_budget_seconds=time_budget_seconds,
        limits=limits or PartLimits(),
        refit_unweighted=refit_unweighted,
    ).fit(train, progress=progress)
    return hybrid, hybrid.choice
