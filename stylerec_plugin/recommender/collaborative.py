"""Collaborative and popularity scorers.

Each scorer is fitted on :class:`~.data.Pairs` and returns a dense block of
scores for a batch of users (``score(users) -> (len(users), n_items)``), so
ranking every user is a handful of numpy operations, never one ``predict()``
per pair.

Surprise predicts ratings, and a good rating predictor ranks poorly (it only
ever sees what people chose to rate). :class:`ImplicitSVD` therefore fits
Surprise's unbiased SVD to "interacted = 1" against unobserved items sampled
afresh every epoch ("= 0"), which turns it into a ranker; :class:`RatingSVD`
is the plain rating predictor kept as the baseline.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from surprise import SVD, Trainset

from .data import Pairs


class Scorer:
    """Base: ``fit(pairs)`` then ``score(users)``; ``params`` are what a validation search may change."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    default_params: ClassVar[dict[str, Any]] = {}
    # Small search spaces tried on the validation split (first one is the default).
    search_space: ClassVar[list[dict[str, Any]]] = [{}]

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.default_params)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter(s) {', '.join(sorted(unknown))}")
        self.params = {**self.default_params, **params}
        self.fit_seconds: float | None = None
        self.n_users = 0
        self.n_items = 0

    def fit(self, pairs: Pairs) -> Scorer:
        started = time.perf_counter()
        self.n_users, self.n_items = pairs.n_users, pairs.n_items
        self._fit(pairs)
        self.fit_seconds = time.perf_counter() - started
        return self

    def _fit(self, pairs: Pairs) -> None:
        raise NotImplementedError

    def score(self, users: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params})"


class Popularity(Scorer):
    """How many shoppers interacted with each item (log-scaled); the same for everyone."""

    name = "popular"
    label = "Popularity"

    def _fit(self, pairs: Pairs) -> None:
        counts = np.bincount(pairs.items, minlength=pairs.n_items).astype(np.float32)
        self.counts = counts
        self.item_scores = np.log1p(counts)

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.item_scores, (len(users), self.n_items)).copy()


# --- Surprise matrix factorisation --------------------------------------------------------


def _surprise_trainset(ur: dict, ir: dict, n_users: int, n_items: int, n_ratings: int, scale: tuple) -> Trainset:
    # Raw ids are our integer indices, so predict(u, i) takes the same numbers as score().
    return Trainset(
        ur, ir, n_users, n_items, n_ratings, scale, {u: u for u in range(n_users)}, {i: i for i in range(n_items)}
    )


class NegativeSamplingTrainset(Trainset):
    """A Surprise trainset whose ``all_ratings()`` yields every positive (target 1) and
    ``ratio`` freshly sampled unobserved items per positive (target 0), shuffled per user.

    Surprise's SGD walks ``all_ratings()`` once per epoch, so every epoch sees
    new negatives without touching Surprise's internals.
    """

    def __init__(self, positives: sp.csr_matrix, ratio: float, seed: int) -> None:
        n_users, n_items = positives.shape
        ur: dict = defaultdict(list)
        ir: dict = defaultdict(list)
        coo = positives.tocoo()
        for u, i in zip(coo.row.tolist(), coo.col.tolist(), strict=True):
            ur[u].append((i, 1.0))
            ir[i].append((u, 1.0))
        super().__init__(
            ur,
            ir,
            n_users,
            n_items,
            positives.nnz,
            (0.0, 1.0),
            {u: u for u in range(n_users)},
            {i: i for i in range(n_items)},
        )
        self.positives = positives.tocsr()
        self.positives.sort_indices()
        self.ratio = ratio
        self.rng = np.random.default_rng(seed)
        # The mean target; for the unbiased model it is unused, computing it would cost an epoch.
        self._global_mean = 1.0 / (1.0 + ratio)

    def all_ratings(self):
        indptr, indices = self.positives.indptr, self.positives.indices
        n_items = self.n_items
        for u in range(self.n_users):
            positive = indices[indptr[u] : indptr[u + 1]]
            if len(positive) == 0:
                continue
            n_negative = min(int(round(self.ratio * len(positive))), n_items - len(positive))
            negative = self.rng.integers(0, n_items, size=int(n_negative * 1.2) + 4)
            # Drop the sampled items the user actually has (positives are sorted).
            where = np.searchsorted(positive, negative).clip(max=len(positive) - 1)
            negative = negative[positive[where] != negative][:n_negative]
            items = np.concatenate([positive, negative])
            targets = np.concatenate([np.ones(len(positive)), np.zeros(len(negative))])
            order = self.rng.permutation(len(items))
            for i, r in zip(items[order].tolist(), targets[order].tolist(), strict=True):
                yield u, i, r


class ImplicitSVD(Scorer):
    """Surprise's unbiased SVD on observed (1) vs freshly sampled unobserved (0) items."""

    name = "implicit_svd"
    label = "Implicit SVD (Surprise)"
    default_params = {"n_factors": 100, "n_epochs": 60, "lr": 0.01, "reg": 0.02, "negative_ratio": 10.0, "seed": 0}
    search_space = [
        {},
        {"n_epochs": 100},
        {"reg": 0.01},
    ]

    def _fit(self, pairs: Pairs) -> None:
        positives = pairs.matrix(binary=True)
        self.trainset = NegativeSamplingTrainset(positives, self.params["negative_ratio"], self.params["seed"])
        self.algo = SVD(
            n_factors=self.params["n_factors"],
            n_epochs=self.params["n_epochs"],
            biased=False,
            lr_all=self.params["lr"],
            reg_all=self.params["reg"],
            random_state=self.params["seed"],
        )
        self.algo.fit(self.trainset)
        self.user_factors = self.algo.pu.astype(np.float32)
        self.item_factors = self.algo.qi.astype(np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors[users] @ self.item_factors.T

    def predict_one(self, user: int, item: int) -> float:
        """Surprise's own (unclipped) estimate, to check :meth:`score` against."""
        return float(self.algo.predict(user, item, clip=False).est)


class RatingSVD(Scorer):
    """Plain Surprise SVD on the values (ratings), ranking by predicted rating: the baseline."""

    name = "svd"
    label = "Surprise SVD (rating prediction)"
    default_params = {"seed": 0}

    def _fit(self, pairs: Pairs) -> None:
        ur: dict = defaultdict(list)
        ir: dict = defaultdict(list)
        for u, i, r in zip(pairs.users.tolist(), pairs.items.tolist(), pairs.strengths.tolist(), strict=True):
            ur[u].append((i, r))
            ir[i].append((u, r))
        scale = (float(pairs.strengths.min()), float(pairs.strengths.max())) if len(pairs) else (0.0, 1.0)
        self.trainset = _surprise_trainset(ur, ir, pairs.n_users, pairs.n_items, len(pairs), scale)
        self.algo = SVD(random_state=self.params["seed"]).fit(self.trainset)
        self.global_mean = float(self.trainset.global_mean)

    def score(self, users: np.ndarray) -> np.ndarray:
        algo = self.algo
        return (self.global_mean + algo.bu[users][:, None] + algo.bi[None, :] + algo.pu[users] @ algo.qi.T).astype(
            np.float32
        )

    def predict_one(self, user: int, item: int) -> float:
        return float(self.algo.predict(user, item, clip=False).est)


# --- neighbourhood scores on binarised data ---------------------------------------------------


def cosine_neighbours(binary: sp.csr_matrix, k: int, chunk: int = 512) -> sp.csr_matrix:
    """Row-row cosine similarity of a binary matrix, keeping each row's k nearest (no self).

    On binary data this is what Surprise's ``similarities.cosine`` computes when
    every unobserved pair is given as 0 (see tests); computed sparsely here so
    it scales to catalogues Surprise's dense loops cannot hold.
    """
    binary = binary.tocsr().astype(np.float32)
    norms = np.sqrt(np.asarray(binary.multiply(binary).sum(axis=1)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    normalised = sp.diags(inverse) @ binary
    transposed = normalised.T.tocsr()
    n = binary.shape[0]
    rows, cols, vals = [], [], []
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        block = (normalised[start:stop] @ transposed).toarray()
        block[np.arange(stop - start), np.arange(start, stop)] = 0.0
        keep = min(k, n - 1) if n > 1 else 0
        if keep <= 0:
            continue
        top = np.argpartition(-block, keep - 1, axis=1)[:, :keep]
        top_vals = np.take_along_axis(block, top, axis=1)
        positive = top_vals > 0
        row_ids = np.repeat(np.arange(start, stop), keep).reshape(-1, keep)
        rows.append(row_ids[positive])
        cols.append(top[positive])
        vals.append(top_vals[positive])
    if rows:
        rows_a, cols_a, vals_a = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    else:
        rows_a = cols_a = np.empty(0, dtype=np.int64)
        vals_a = np.empty(0, dtype=np.float32)
    return sp.csr_matrix((vals_a, (rows_a, cols_a)), shape=(n, n))


class ItemKNN(Scorer):
    """Sum over the user's items of (cosine similarity ** alpha) to each candidate item."""

    name = "item_knn"
    label = "Item-item cosine (binarised)"
    default_params = {"k": 200, "alpha": 2.0}
    search_space = [{}, {"alpha": 1.0}, {"alpha": 3.0}, {"k": 50}]

    def _fit(self, pairs: Pairs) -> None:
        self.history = pairs.matrix(binary=True)
        similarity = cosine_neighbours(self.history.T.tocsr(), self.params["k"])
        similarity.data = np.power(similarity.data, self.params["alpha"])
        # score(u) = history_u @ S^T; keep S^T so the product is row-major.
        self.similarity_t = similarity.T.tocsr()

    def score(self, users: np.ndarray) -> np.ndarray:
        return (self.history[users] @ self.similarity_t).toarray().astype(np.float32)


class UserKNN(Scorer):
    """Sum over the user's k nearest users (cosine ** alpha) of their interactions."""

    name = "user_knn"
    label = "User-user cosine (binarised)"
    default_params = {"k": 200, "alpha": 3.0}
    search_space = [{}, {"alpha": 2.0}, {"k": 100}]

    def _fit(self, pairs: Pairs) -> None:
        self.history = pairs.matrix(binary=True)
        similarity = cosine_neighbours(self.history, self.params["k"])
        similarity.data = np.power(similarity.data, self.params["alpha"])
        self.similarity = similarity

    def score(self, users: np.ndarray) -> np.ndarray:
        return (self.similarity[users] @ self.history).toarray().astype(np.float32)


SCORERS: dict[str, type[Scorer]] = {cls.name: cls for cls in (ImplicitSVD, RatingSVD, ItemKNN, UserKNN, Popularity)}
# Names COLLABORATIVE_ALGORITHM accepts (popularity is its own blend component).
COLLABORATIVE_ALGORITHMS = ("implicit_svd", "item_knn", "user_knn", "svd")


def parse_algorithms(setting: str | list[str] | tuple[str, ...]) -> list[str]:
    """COLLABORATIVE_ALGORITHM: one name or several ("implicit_svd+item_knn") blended together."""
    names = setting.replace(",", "+").split("+") if isinstance(setting, str) else list(setting)
    names = [name.strip() for name in names if name.strip()]
    unknown = [name for name in names if name not in COLLABORATIVE_ALGORITHMS]
    if unknown or not names:
        raise ValueError(
            f"unknown collaborative algorithm(s) {', '.join(unknown) or '(none)'}; "
            f"use one or more of {', '.join(COLLABORATIVE_ALGORITHMS)} joined with '+'"
        )
    return names


def make_scorer(name: str, **params: Any) -> Scorer:
    try:
        return SCORERS[name](**params)
    except KeyError:
        raise ValueError(f"unknown scorer {name!r}") from None
