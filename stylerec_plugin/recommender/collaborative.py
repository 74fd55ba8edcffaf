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

import itertools
import os
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.linalg import get_lapack_funcs
from surprise import SVD, Trainset

from .data import Pairs

# Threads a threaded library (implicit's ALS) may start in this process. None: one per CPU.
# Evaluation's worker processes lower it, so that N processes on N cores do not each
# start N threads and fight over the cores.
_thread_count: int | None = None


def set_thread_count(threads: int | None) -> None:
    """Cap the threads the threaded parts start in this process (None: one per CPU)."""
    global _thread_count
    _thread_count = max(1, int(threads)) if threads else None


def thread_count() -> int:
    """Threads the threaded parts may start in this process."""
    return _thread_count or os.cpu_count() or 1


class Scorer:
    """Base: ``fit(pairs)`` then ``score(users)``; ``params`` are what a validation search may change.

    The cost hooks (:meth:`estimate_fit_seconds`, :meth:`estimate_bytes`) let
    the time-budgeted choice in :mod:`.hybrid` skip a part before spending
    time or memory on it.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    default_params: ClassVar[dict[str, Any]] = {}
    # Small search spaces tried on the validation split (first one is the default).
    search_space: ClassVar[list[dict[str, Any]]] = [{}]
    # Parameters of the short probe fit that estimates a fit's cost (e.g. one epoch).
    probe_params: ClassVar[dict[str, Any]] = {}
    # Probes fit on about this many pairs and scale up linearly.
    probe_pairs: ClassVar[int] = 20_000

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.default_params)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter(s) {', '.join(sorted(unknown))}")
        self.params = {**self.default_params, **params}
        self.fit_seconds: float | None = None
        self.fit_cpu_seconds: float | None = None
        self.n_users = 0
        self.n_items = 0

    @classmethod
    def search_space_for(cls, pairs_per_shopper: float) -> list[dict[str, Any]]:
        """The settings worth trying on data this dense (first: the one fitted first and probed)."""
        return cls.search_space

    def fit(self, pairs: Pairs) -> Scorer:
        started, started_cpu = time.perf_counter(), time.process_time()
        self.n_users, self.n_items = pairs.n_users, pairs.n_items
        self._fit(pairs)
        self.fit_seconds = time.perf_counter() - started
        self.fit_cpu_seconds = time.process_time() - started_cpu
        return self

    def _fit(self, pairs: Pairs) -> None:
        raise NotImplementedError

    def score(self, users: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- cost model -------------------------------------------------------------------

    def _clone(self, **params: Any) -> Scorer:
        return type(self)(**{**self.params, **params})

    def probe_multiplier(self) -> float:
        """How many probe fits one real fit costs (e.g. the number of epochs)."""
        return 1.0

    def estimate_fit_seconds(self, pairs: Pairs) -> float:
        """Wall seconds a fit on ``pairs`` should take on this machine now, from short probes.

        Two probe fits with :attr:`probe_params` (e.g. one epoch) on random
        samples of about :attr:`probe_pairs` and four times as many pairs give a
        fixed cost (allocations for every shopper and product) and a cost per
        pair; the estimate is the fixed cost plus the per-pair cost of all
        pairs times :meth:`probe_multiplier`. The probes run here and now, so a
        busy machine gives a longer estimate, as it should.
        """
        if len(pairs) == 0:
            return 0.0
        sizes = sorted({min(len(pairs), self.probe_pairs), min(len(pairs), 4 * self.probe_pairs)})
        timings = []
        rng = np.random.default_rng(0)
        for size in sizes:
            sample = pairs if size >= len(pairs) else pairs.subset(rng.random(len(pairs)) < size / len(pairs))
            probe = self._clone(**self.probe_params)
            started = time.perf_counter()
            probe.fit(sample)
            timings.append((len(sample), time.perf_counter() - started))
        if len(timings) == 1 or timings[1][0] <= timings[0][0]:
            (n, seconds), fixed = timings[-1], 0.0
            per_pair = seconds / max(n, 1)
        else:
            (n1, t1), (n2, t2) = timings
            per_pair = max((t2 - t1) / (n2 - n1), t2 / n2 / 4)
            fixed = max(0.0, t2 - per_pair * n2)
        return fixed + per_pair * len(pairs) * self.probe_multiplier()

    def estimate_bytes(self, n_users: int, n_items: int, n_pairs: int) -> int:
        """Rough peak memory of one fit beyond its input, in bytes."""
        return 0

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

    def estimate_fit_seconds(self, pairs: Pairs) -> float:
        return 0.0


# --- Surprise matrix factorisation --------------------------------------------------------


def _surprise_trainset(ur: dict, ir: dict, n_users: int, n_items: int, n_ratings: int, scale: tuple) -> Trainset:
    # Raw ids are our integer indices, so predict(u, i) takes the same numbers as score().
    return Trainset(
        ur, ir, n_users, n_items, n_ratings, scale, {u: u for u in range(n_users)}, {i: i for i in range(n_items)}
    )


class _RatingsView(Mapping):
    """Surprise's ``ur``/``ir`` (row -> [(column, 1.0), ...]) read from a CSR matrix on demand.

    Surprise only looks rows up (``knows_user``/``knows_item`` and
    ``predict``), so the dicts of tuples it would otherwise build, gigabytes at
    ten million pairs, are never made.
    """

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self.matrix = matrix
        self.rows = np.flatnonzero(np.diff(matrix.indptr))

    def __getitem__(self, row: int) -> list[tuple[int, float]]:
        if not 0 <= row < self.matrix.shape[0]:
            raise KeyError(row)
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        if start == end:
            raise KeyError(row)
        return [(int(column), 1.0) for column in self.matrix.indices[start:end]]

    def __contains__(self, row: object) -> bool:
        if not isinstance(row, int | np.integer) or not 0 <= row < self.matrix.shape[0]:
            return False
        return bool(self.matrix.indptr[row + 1] > self.matrix.indptr[row])

    def __iter__(self):
        return iter(self.rows.tolist())

    def __len__(self) -> int:
        return len(self.rows)


class _IdentityIds(Mapping):
    """Raw id -> inner id for ids that are already 0..n-1 (no dict of a million entries)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, raw: object) -> int:
        if isinstance(raw, int | np.integer) and 0 <= raw < self.n:
            return int(raw)
        raise KeyError(raw)

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


class NegativeSamplingTrainset(Trainset):
    """A Surprise trainset whose ``all_ratings()`` yields every positive (target 1) and
    ``ratio`` freshly sampled unobserved items per positive (target 0), grouped by user.

    Surprise's SGD walks ``all_ratings()`` once per epoch, so every epoch sees
    new negatives without touching Surprise's internals. The sampling is
    vectorised: each user's slots (positives and negatives, in an order shuffled
    once) are laid out at construction, and each epoch only draws new items for
    the negative slots, rejecting the user's own positives. The per-user Python
    loop this replaces took more time than Surprise's SGD itself.
    """

    CHUNK = 1 << 20
    DENSE_MAP_CELLS = 1 << 26

    def __init__(self, positives: sp.csr_matrix, ratio: float, seed: int) -> None:
        positives = positives.tocsr().astype(np.float32)
        positives.sum_duplicates()
        positives.sort_indices()
        n_users, n_items = positives.shape
        super().__init__(
            _RatingsView(positives),
            _RatingsView(positives.T.tocsr()),
            n_users,
            n_items,
            positives.nnz,
            (0.0, 1.0),
            _IdentityIds(n_users),
            _IdentityIds(n_items),
        )
        self.positives = positives
        self.ratio = ratio
        self.rng = np.random.default_rng(seed)
        # The mean target; for the unbiased model it is unused, computing it would cost an epoch.
        self._global_mean = 1.0 / (1.0 + ratio)

        n_positive = np.diff(positives.indptr).astype(np.int64)
        n_negative = np.minimum(np.round(ratio * n_positive).astype(np.int64), n_items - n_positive)
        n_negative[n_positive == 0] = 0
        n_slots = n_positive + n_negative
        slot_user = np.repeat(np.arange(n_users), n_slots)
        starts = np.cumsum(n_slots) - n_slots
        within = np.arange(len(slot_user)) - np.repeat(starts, n_slots)
        is_positive = within < np.repeat(n_positive, n_slots)
        # Shuffle the slots within each user once (the users stay in order, so the
        # factors of one user are updated together, as Surprise's own trainset does).
        order = np.argsort(slot_user + self.rng.random(len(slot_user)), kind="stable")
        slot_user, is_positive = slot_user[order], is_positive[order]
        self._items = np.empty(len(slot_user), dtype=np.int64)
        self._items[is_positive] = positives.indices
        self._negative_slots = np.flatnonzero(~is_positive)
        self._negative_users = slot_user[self._negative_slots].astype(np.int64)
        self._positive_keys = np.repeat(np.arange(n_users, dtype=np.int64), n_positive) * n_items + positives.indices
        # Up to 64M cells a dense map answers "is this pair a positive?" in one lookup,
        # several times cheaper than a binary search of the keys (MovieLens: 1.6M cells).
        self._positive_map = None
        if n_users * n_items <= self.DENSE_MAP_CELLS:
            self._positive_map = np.zeros(n_users * n_items, dtype=bool)
            self._positive_map[self._positive_keys] = True
        # Lists of shared Python objects: 8 bytes a slot, built once.
        self._users = np.arange(n_users).astype(object)[slot_user].tolist()
        self._targets = np.array([0.0, 1.0], dtype=object)[is_positive.astype(np.int64)].tolist()

    @property
    def n_samples(self) -> int:
        """Ratings one epoch walks (positives + negatives)."""
        return len(self._items)

    def _draw_negatives(self) -> tuple[np.ndarray, np.ndarray | None]:
        users, n_items, keys = self._negative_users, self.n_items, self._positive_keys
        items = self.rng.integers(0, n_items, size=len(users))
        redraw = np.arange(len(users))
        for _ in range(20):
            if not len(redraw) or not len(keys):
                return items, None
            wanted = users[redraw] * n_items + items[redraw]
            if self._positive_map is not None:
                redraw = redraw[self._positive_map[wanted]]
            else:
                where = np.searchsorted(keys, wanted).clip(max=len(keys) - 1)
                redraw = redraw[keys[where] == wanted]
            items[redraw] = self.rng.integers(0, n_items, size=len(redraw))
        # Users who have nearly every item: drop what still collides.
        return items, redraw if len(redraw) else None

    def all_ratings(self):
        negatives, dropped = self._draw_negatives()
        items = self._items.copy()
        items[self._negative_slots] = negatives
        users, targets = self._users, self._targets
        if dropped is not None:
            keep = np.ones(len(items), dtype=bool)
            keep[self._negative_slots[dropped]] = False
            users = [u for u, k in zip(users, keep.tolist(), strict=True) if k]
            targets = [t for t, k in zip(targets, keep.tolist(), strict=True) if k]
            items = items[keep]
        # Chunked, so one epoch never holds all its items as Python ints at once.
        return itertools.chain.from_iterable(
            zip(users[s : s + self.CHUNK], items[s : s + self.CHUNK].tolist(), targets[s : s + self.CHUNK], strict=True)
            for s in range(0, len(items), self.CHUNK)
        )


class ImplicitSVD(Scorer):
    """Surprise's unbiased SVD on observed (1) vs freshly sampled unobserved (0) items.

    Defaults measured on MovieLens-100k (docs/recommender.md, "The cheaper
    implicit SVD"): 50 epochs at learning rate 0.02 with 6 negatives per positive
    beat the former 60 epochs at 0.01 with 10 negatives, with half the samples.
    """

    name = "implicit_svd"
    label = "Implicit SVD (Surprise)"
    default_params = {"n_factors": 100, "n_epochs": 50, "lr": 0.02, "reg": 0.02, "negative_ratio": 6.0, "seed": 0}
    # The second setting is for sparse shops (few products per shopper), where
    # the first overfits: fewer factors, more regularisation, and cheap.
    search_space = [{}, {"n_factors": 32, "n_epochs": 20, "reg": 0.1}]
    probe_params = {"n_epochs": 1}
    # Below this many pairs per shopper the sparse setting is the one that wins on validation
    # (1M synthetic shop: 7.5); above it the default always won (MovieLens 80, Instacart 190),
    # so each side tries only its own setting and the other fit's cost is saved.
    SPARSE_PAIRS_PER_SHOPPER: ClassVar[float] = 20.0

    @classmethod
    def search_space_for(cls, pairs_per_shopper: float) -> list[dict[str, Any]]:
        default, sparse = cls.search_space
        return [sparse] if pairs_per_shopper < cls.SPARSE_PAIRS_PER_SHOPPER else [default]

    def probe_multiplier(self) -> float:
        return float(self.params["n_epochs"])

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

    def estimate_bytes(self, n_users: int, n_items: int, n_pairs: int) -> int:
        slots = n_pairs * (1 + self.params["negative_ratio"])
        # Three lists of 8-byte references plus int64 items and the epoch's Python ints.
        return int(slots * (8 * 3 + 8 + 36) + (n_users + n_items) * self.params["n_factors"] * 8 * 2)

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


# --- EASE^R: the item-item closed form -------------------------------------------------------


def ease_bytes(n_items: int, n_users: int | None = None) -> int:
    """Peak memory of an EASE^R fit: one dense float32 square matrix of the smaller side
    (items, or shoppers in the dual form), plus in the dual form the shoppers x items
    matrix it scores with, plus a block of sparse pieces (measured, see docs/recommender.md)."""
    if n_users is not None and n_users < n_items:
        return int(4 * (n_users * n_users * 1.1 + 2 * n_users * n_items)) + 64 * 1024 * 1024
    return int(4 * n_items * n_items * 1.1) + 64 * 1024 * 1024


def _spd_inverse(matrix: np.ndarray, block: int = 2048) -> np.ndarray:
    """Inverse of a symmetric positive definite float32 matrix, in place (Cholesky, LAPACK)."""
    n = matrix.shape[0]
    # Symmetric, so the transpose is the Fortran-ordered array LAPACK works on in
    # place; potri leaves the inverse in one triangle.
    fortran = matrix.T
    potrf, potri = get_lapack_funcs(("potrf", "potri"), (fortran,))
    factor, info = potrf(fortran, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE^R: Gram matrix not positive definite (potrf info {info}); raise reg")
    inverse, info = potri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE^R: inverse failed (potri info {info})")
    p = inverse.T if np.shares_memory(inverse, matrix) else np.ascontiguousarray(inverse.T)
    # The valid triangle is the lower one of ``p`` (C order): mirror it, block by block.
    for start in range(0, n, block):
        stop = min(start + block, n)
        p[start:stop, stop:] = p[stop:, start:stop].T
        square = p[start:stop, start:stop]
        square[:] = np.tril(square) + np.tril(square, -1).T
    return p


def _dense_gram(rows: sp.csr_matrix, block: int = 2048) -> np.ndarray:
    """``rows @ rows.T`` as a dense float32 matrix, filled block by block."""
    n = rows.shape[0]
    columns = rows.T.tocsc()
    gram = np.empty((n, n), dtype=np.float32)
    for start in range(0, n, block):
        stop = min(start + block, n)
        gram[start:stop] = (rows[start:stop] @ columns).toarray()
    return gram


def ease_weights(binary: sp.csr_matrix, reg: float, block: int = 2048) -> np.ndarray:
    """Steck's EASE^R (WWW 2019): ``B = I - P / diag(P)`` with ``P = (X'X + reg I)^-1``, diag(B) = 0.

    float32 throughout and in place: the Gram matrix is filled block by block,
    then LAPACK's Cholesky factorisation and inverse (``potrf``/``potri``)
    overwrite it, so the peak is one n x n float32 matrix (n = items).
    """
    gram = _dense_gram(binary.T.tocsr().astype(np.float32), block)
    n = gram.shape[0]
    gram.flat[:: n + 1] += np.float32(reg)
    p = _spd_inverse(gram, block)
    diagonal = p.diagonal().copy()
    p /= -diagonal[None, :]
    p.flat[:: n + 1] = 0.0
    return p


class DualEASE:
    """EASE^R for fewer shoppers than items, through the Woodbury identity (same scores).

    ``P = (X'X + reg I)^-1 = (I - X' K^-1 X) / reg`` with ``K = X X' + reg I``
    (shoppers x shoppers), so only K is inverted and ``M = K^-1 X`` kept;
    ``X_u B = X_u - (X_u P) / diag(P)`` is then computed per batch of shoppers.
    """

    def __init__(self, binary: sp.csr_matrix, reg: float, block: int = 2048) -> None:
        x = binary.tocsr().astype(np.float32)
        kernel = _dense_gram(x, block)
        n = kernel.shape[0]
        kernel.flat[:: n + 1] += np.float32(reg)
        inverse = _spd_inverse(kernel, block)
        # M = K^-1 X, dense shoppers x items (X' M is P's low-rank part).
        self.m = np.asarray(x.T.dot(inverse.T).T, dtype=np.float32)
        del inverse, kernel
        self.x = x
        self.reg = np.float32(reg)
        self.diagonal = (1.0 - np.asarray(x.multiply(self.m).sum(axis=0)).ravel()).astype(np.float32) / self.reg

    def score(self, users: np.ndarray) -> np.ndarray:
        rows = self.x[users]
        history = rows.toarray()
        low_rank = np.asarray((rows @ self.x.T).toarray() @ self.m, dtype=np.float32)
        p_rows = (history - low_rank) / self.reg
        return history - p_rows / self.diagonal[None, :]


class EASE(Scorer):
    """EASE^R (Steck 2019): an item-item weight matrix in closed form; scores are ``X_u @ B``.

    Memory grows with the square of the catalogue and time with its cube, so the
    budgeted choice uses it only up to ``PartLimits.ease_max_items``. With fewer
    shoppers than items the same model is computed in the shoppers' space
    (:class:`DualEASE`), which costs the cube of the shopper count instead.
    """

    name = "ease"
    label = "EASE^R (closed form)"
    default_params = {"reg": 400.0}
    search_space = [{}, {"reg": 200.0}, {"reg": 800.0}, {"reg": 100.0}, {"reg": 1600.0}]
    # Probe: invert a square system of this size and scale with the cube.
    probe_size: ClassVar[int] = 1000

    @staticmethod
    def uses_dual(n_users: int, n_items: int) -> bool:
        return n_users < n_items

    @staticmethod
    def system_size(n_users: int, n_items: int) -> int:
        """Unknowns of the system EASE^R solves: the smaller of shoppers and items."""
        return min(n_users, n_items)

    def _fit(self, pairs: Pairs) -> None:
        self.history = pairs.matrix(binary=True)
        if self.uses_dual(pairs.n_users, pairs.n_items):
            self.dual = DualEASE(self.history, self.params["reg"])
            self.weights = None
        else:
            self.dual = None
            self.weights = ease_weights(self.history, self.params["reg"])

    def score(self, users: np.ndarray) -> np.ndarray:
        if self.dual is not None:
            return self.dual.score(users)
        return np.asarray(self.history[users] @ self.weights, dtype=np.float32)

    def estimate_fit_seconds(self, pairs: Pairs) -> float:
        n = self.system_size(pairs.n_users, pairs.n_items)
        if n == 0:
            return 0.0
        m = min(n, self.probe_size)
        rng = np.random.default_rng(0)
        a = rng.random((m, m), dtype=np.float32)
        a = a @ a.T + np.float32(m) * np.eye(m, dtype=np.float32)
        # One BLAS thread, best of two: on a loaded machine a threaded BLAS spends a small
        # probe spinning, which made the estimate 20-50x too long. The real fit is
        # large enough to use every BLAS thread (measured: within 0.5-2x of this).
        import threadpoolctl

        threads = max(
            [info.get("num_threads", 1) for info in threadpoolctl.threadpool_info() if info.get("user_api") == "blas"]
            or [1]
        )
        best = np.inf
        with threadpoolctl.threadpool_limits(1, "blas"):
            for _ in range(2):
                trial = a.copy()
                started = time.perf_counter()
                _spd_inverse(trial)
                best = min(best, time.perf_counter() - started)
        seconds = best * (n / m) ** 3 / threads
        # The Gram matrix: about one multiply-add per co-occurring pair, plus filling it.
        per_row = len(pairs) / max(1, len(np.unique(pairs.users)))
        return seconds + len(pairs) * per_row * 5e-9 + n * n * 2e-9

    def estimate_bytes(self, n_users: int, n_items: int, n_pairs: int) -> int:
        return ease_bytes(n_items, n_users)


# --- ALS from the `implicit` library -----------------------------------------------------


class ALS(Scorer):
    """Hu, Koren & Volinsky's implicit-feedback ALS from the ``implicit`` library (C++, threaded).

    Confidence ``1 + alpha`` on every interacted pair, 1 elsewhere; scores are
    ``user_factors @ item_factors.T``. ``implicit`` is imported at fit time only,
    so the web side never loads it.
    """

    name = "als"
    label = "ALS (implicit library)"
    # 16 factors first: it won on validation on MovieLens, the Instacart per-user split and
    # both 1M synthetic shops, and it is the cheapest, so a tight budget tries it first.
    default_params = {"factors": 16, "reg": 20.0, "alpha": 4.0, "iterations": 15, "seed": 0}
    # 64 factors / reg 50 / alpha 8 is better alone on MovieLens (0.4902 against 0.4844) and
    # lifted its hybrid to 0.5003, but on Instacart's time-ordered split it won validation and
    # the hybrid fell below EASE^R alone (0.0916 < 0.0935): left out (docs/benchmarks.md).
    search_space = [{}, {"factors": 64}, {"factors": 128, "reg": 40.0, "alpha": 8.0}]
    probe_params = {"iterations": 1}

    def probe_multiplier(self) -> float:
        return float(self.params["iterations"])

    def _fit(self, pairs: Pairs) -> None:
        import threadpoolctl
        from implicit.cpu.als import AlternatingLeastSquares

        # implicit parallelises over users itself; a threaded BLAS under it only contends.
        with threadpoolctl.threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=int(self.params["factors"]),
                regularization=float(self.params["reg"]),
                alpha=float(self.params["alpha"]),
                iterations=int(self.params["iterations"]),
                random_state=int(self.params["seed"]),
                num_threads=thread_count(),
            )
            model.fit(pairs.matrix(binary=True), show_progress=False)
        self.user_factors = np.ascontiguousarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors[users] @ self.item_factors.T

    def estimate_bytes(self, n_users: int, n_items: int, n_pairs: int) -> int:
        return int((n_users + n_items) * self.params["factors"] * 4 * 3 + n_pairs * 16)


SCORERS: dict[str, type[Scorer]] = {
    cls.name: cls for cls in (ImplicitSVD, EASE, ALS, RatingSVD, ItemKNN, UserKNN, Popularity)
}
# Names COLLABORATIVE_ALGORITHM accepts (popularity is its own blend component).
COLLABORATIVE_ALGORITHMS = ("implicit_svd", "ease", "als", "item_knn", "user_knn", "svd")
# "auto": the parts the time-budgeted choice weighs, cheapest first.
AUTO_ALGORITHMS = ("ease", "als", "implicit_svd")
AUTO = "auto"


def parse_algorithms(setting: str | list[str] | tuple[str, ...]) -> list[str]:
    """COLLABORATIVE_ALGORITHM: one name or several ("ease+als") blended together; "auto" is
    EASE^R, ALS and implicit SVD, each used when validation and the time budget allow."""
    names = setting.replace(",", "+").split("+") if isinstance(setting, str) else list(setting)
    names = [name.strip() for name in names if name.strip()]
    expanded: list[str] = []
    for name in names:
        for part in AUTO_ALGORITHMS if name == AUTO else (name,):
            if part not in expanded:
                expanded.append(part)
    unknown = [name for name in expanded if name not in COLLABORATIVE_ALGORITHMS]
    if unknown or not expanded:
        raise ValueError(
            f"unknown collaborative algorithm(s) {', '.join(unknown) or '(none)'}; "
            f"use auto, or one or more of {', '.join(COLLABORATIVE_ALGORITHMS)} joined with '+'"
        )
    return expanded


def make_scorer(name: str, **params: Any) -> Scorer:
    try:
        return SCORERS[name](**params)
    except KeyError:
        raise ValueError(f"unknown scorer {name!r}") from None
