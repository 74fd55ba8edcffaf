"""The hybrid: collaborative scorers + style similarity + popularity, blended.

Every choice is made on a validation split carved out of the training pairs
(per-user 75/25 by default): each part's parameters from its small search
space, then the blend weights on a simplex grid. The parts are then refitted
on all training pairs with the chosen parameters. Each part's scores are
standardised per shopper before blending, so weights compare like with like.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .collaborative import Popularity, Scorer, make_scorer, parse_algorithms
from .data import Pairs, stratified_split, time_split
from .metrics import ranking_metrics, top_k
from .style import StyleInputs, StyleScorer

# Reason codes shoppers see (translated by the Django adapter).
REASON_FOR_PART = {
    "implicit_svd": "similar_shoppers",
    "item_knn": "similar_shoppers",
    "user_knn": "similar_shoppers",
    "svd": "similar_shoppers",
    "style": "style",
    "popular": "popular",
}

Progress = Callable[[str], None]


def standardise(scores: np.ndarray) -> np.ndarray:
    """Per row: zero mean, unit standard deviation (a constant row becomes zeros)."""
    scores = np.asarray(scores, dtype=np.float32)
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return np.divide(scores - mean, std, out=np.zeros_like(scores), where=std > 1e-12)


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

    # -- fitting ------------------------------------------------------------------------

    def _new_scorer(self, part: str, params: dict[str, Any]) -> Scorer:
        if part == "style":
            return StyleScorer(self.style_inputs, **params)
        if part == "popular":
            return Popularity(**params)
        return make_scorer(part, **params)

    def _candidates(self, part: str) -> list[dict[str, Any]]:
        if part in self.part_params:
            return [self.part_params[part]]
        if part == "style":
            space = StyleScorer.search_space
        elif part == "popular":
            space = [{}]
        else:
            space = make_scorer(part).search_space
        return space if self.search else space[:1]

    def _rounds(self, train: Pairs) -> int:
        if self.validation_rounds is not None:
            return max(1, self.validation_rounds)
        # Small data sets give noisy validation scores: average over several splits.
        return 3 if len(train) < 20_000 else 1

    def fit(self, train: Pairs, progress: Progress | None = None) -> HybridRecommender:
        started = time.perf_counter()
        say = progress or (lambda message: None)
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
                rounds.append((fit_part, fit_part.matrix(binary=True), validation.matrix(binary=True), users))
        self.validation["rounds"] = len(rounds)
        # Per part: the chosen candidate's standardised validation scores, one array per round.
        validation_scores: dict[str, list[np.ndarray]] = {}
        needs_validation = bool(rounds) and (
            self.blend_weights is None or any(len(self._candidates(p)) > 1 for p in self.parts)
        )
        for part in self.parts:
            candidates = self._candidates(part)
            if not needs_validation or (len(candidates) == 1 and self.blend_weights is not None):
                self.chosen_params[part] = candidates[0]
                continue
            best = None
            for params in candidates:
                say(f"validating {part} {params}")
                ndcgs, scores_per_round, seconds = [], [], 0.0
                for fit_part, seen, relevant, users in rounds:
                    scorer = self._new_scorer(part, params).fit(fit_part)
                    seconds += scorer.fit_seconds or 0.0
                    scores = standardise(scorer.score(users))
                    top = top_k(scores, self.k, seen, users)
                    ndcgs.append(ranking_metrics(top, relevant, users, train.n_items, self.k).ndcg)
                    scores_per_round.append(scores)
                ndcg = float(np.mean(ndcgs))
                self.validation.setdefault("parts", {}).setdefault(part, []).append(
                    {"params": params, "ndcg": ndcg, "fit_seconds": seconds}
                )
                if best is None or ndcg > best[0]:
                    best = (ndcg, params, scores_per_round)
            self.chosen_params[part] = best[1]
            validation_scores[part] = best[2]
        if self.blend_weights is None:
            self.blend_weights = self._search_blend(validation_scores, rounds, train.n_items, say)
        for part in self.parts:
            say(f"fitting {part}")
            self.scorers[part] = self._new_scorer(part, self.chosen_params[part]).fit(train)
        self.popularity = self.scorers.get("popular") or Popularity().fit(train)
        self.n_users, self.n_items = train.n_users, train.n_items
        self.fit_seconds = time.perf_counter() - started
        return self

    def _search_blend(self, scores: dict[str, list[np.ndarray]], rounds, n_items: int, say) -> dict[str, float]:
        parts = [p for p in self.parts if p in scores]
        if not parts:
            # Nothing to validate on (tiny data): every part counts the same.
            return {p: 1.0 / len(self.parts) for p in self.parts}
        if len(parts) == 1:
            return {p: (1.0 if p == parts[0] else 0.0) for p in self.parts}
        steps = 10 if len(parts) <= 3 else 8 if len(parts) == 4 else 5
        say(f"searching blend weights over {len(parts)} parts")
        best = None
        for weights in simplex_grid(len(parts), steps):
            ndcgs = []
            for index, (_fit_part, seen, relevant, users) in enumerate(rounds):
                blended = sum(w * scores[p][index] for w, p in zip(weights, parts, strict=True) if w)
                top = top_k(blended, self.k, seen, users)
                ndcgs.append(ranking_metrics(top, relevant, users, n_items, self.k).ndcg)
            ndcg = float(np.mean(ndcgs))
            if best is None or ndcg > best[0] + 1e-12:
                best = (ndcg, weights)
        self.validation["blend_ndcg"] = best[0]
        chosen = dict(zip(parts, best[1], strict=True))
        return {p: float(chosen.get(p, 0.0)) for p in self.parts}

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
            parts = self.part_scores(batch)
            names = list(parts)
            total = np.zeros((len(batch), self.n_items), dtype=np.float32)
            for part in names:
                total += self.blend_weights[part] * parts[part]
            best = top_k(total, n, exclude, batch, copy=False)
            safe = np.maximum(best, 0)
            best_scores = np.take_along_axis(total, safe, axis=1)
            # The reason is the part that contributed most to the item's score.
            contributions = np.stack(
                [self.blend_weights[p] * np.take_along_axis(parts[p], safe, axis=1) for p in names]
            )
            reason_parts = np.array([self.parts.index(p) for p in names])[contributions.argmax(axis=0)]
            styles = np.full(best.shape, -1, dtype=np.int64)
            if "style" in parts:
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
        }
