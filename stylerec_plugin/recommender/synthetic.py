"""Synthetic shops for tests and the scale benchmark (pure numpy).

Shoppers belong to taste groups (a favourite style and a favourite category);
products have a category, a popularity and a style vector near one of the
style centroids. Each event is drawn from the shopper's own group, a second
group, or the global popularity, so both collaborative and style signals exist
(and neither is the whole story).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .data import Events
from .style import StyleInputs

KINDS = ("view", "click", "cart", "purchase")
KIND_PROBABILITIES = (0.6, 0.25, 0.1, 0.05)


@dataclass
class SyntheticShop:
    events: Events
    kinds: np.ndarray  # kind index into KINDS per event
    styles_shown: np.ndarray  # style row per event, -1 when shown as the original
    style_inputs: StyleInputs
    user_style: np.ndarray  # each shopper's favourite style row
    item_category: np.ndarray


def make_shop(
    n_users: int = 500,
    n_items: int = 300,
    n_events: int = 10_000,
    n_styles: int = 8,
    n_categories: int = 6,
    dim: int = 100,
    seed: int = 0,
    own_group: float = 0.55,
    second_group: float = 0.25,
    explicit_fraction: float = 0.3,
    days: float = 90.0,
) -> SyntheticShop:
    # One function on purpose: every draw comes from one seeded generator in a fixed
    # order, so a shop (and the benchmark figures made on it) is reproducible from its
    # seed; splitting it would hide that order across helpers.
    rng = np.random.default_rng(seed)
    centroids = rng.normal(0.5, 1.0, size=(n_styles, dim)).astype(np.float32)
    item_style = rng.integers(0, n_styles, n_items)
    item_category = rng.integers(0, n_categories, n_items)
    item_vectors = (centroids[item_style] + rng.normal(0, 0.6, size=(n_items, dim))).astype(np.float32)
    item_popularity = rng.pareto(2.5, n_items) + 1.0

    n_groups = n_styles * n_categories
    group_of_item = item_style * n_categories + item_category
    # Per group: popularity-weighted, strongly favouring items of the group's style
    # and category (each alone also counts).
    group_style = np.arange(n_groups) // n_categories
    group_category = np.arange(n_groups) % n_categories
    affinity = (
        1.0
        + 6.0 * (group_style[:, None] == item_style[None, :])
        + 3.0 * (group_category[:, None] == item_category[None, :])
        + 20.0 * (np.arange(n_groups)[:, None] == group_of_item[None, :])
    )
    group_p = affinity * item_popularity[None, :]
    group_p /= group_p.sum(axis=1, keepdims=True)
    global_p = item_popularity / item_popularity.sum()

    user_group = rng.integers(0, n_groups, n_users)
    user_second = rng.integers(0, n_groups, n_users)
    activity = rng.lognormal(0.0, 0.8, n_users)
    per_user = np.maximum(1, rng.multinomial(n_events, activity / activity.sum()))
    users = np.repeat(np.arange(n_users), per_user)
    source = rng.choice(3, size=len(users), p=[own_group, second_group, 1 - own_group - second_group])
    items = np.empty(len(users), dtype=np.int64)
    group_for_event = np.where(source == 0, user_group[users], user_second[users])
    for group in range(n_groups):
        mask = (group_for_event == group) & (source < 2)
        if mask.any():
            items[mask] = rng.choice(n_items, size=int(mask.sum()), p=group_p[group])
    mask = source == 2
    items[mask] = rng.choice(n_items, size=int(mask.sum()), p=global_p)

    kinds = rng.choice(len(KINDS), size=len(users), p=KIND_PROBABILITIES)
    timestamps = np.sort(rng.uniform(0, days * 86_400.0, len(users)))
    timestamps = timestamps[rng.permutation(len(users))]
    # Restyled views: favourite style shown more often when the shopper engaged.
    user_style = user_group // n_categories
    shown = np.where(
        rng.random(len(users)) < 0.5,
        np.where(rng.random(len(users)) < 0.6, user_style[users], rng.integers(0, n_styles, len(users))),
        -1,
    )
    weights = np.array([1.0, 2.0, 4.0, 8.0])
    events = Events(
        users=users.astype(np.int32),
        items=items.astype(np.int32),
        values=weights[kinds],
        timestamps=timestamps,
        user_ids=list(range(n_users)),
        item_ids=list(range(n_items)),
    )
    picked = rng.random(n_users) < explicit_fraction
    explicit = sp.csr_matrix(
        (np.ones(int(picked.sum()), dtype=np.float32), (np.flatnonzero(picked), user_style[picked])),
        shape=(n_users, n_styles),
    )
    has_shown = shown >= 0
    style_inputs = StyleInputs(
        product_vectors=item_vectors,
        has_vector=np.ones(n_items, dtype=bool),
        style_vectors=centroids + rng.normal(0, 0.2, size=centroids.shape).astype(np.float32),
        style_ids=list(range(n_styles)),
        explicit=explicit,
        shown_users=users[has_shown].astype(np.int32),
        shown_items=items[has_shown].astype(np.int32),
        shown_styles=shown[has_shown].astype(np.int32),
        shown_values=weights[kinds][has_shown],
    )
    return SyntheticShop(events, kinds, shown, style_inputs, user_style, item_category)
