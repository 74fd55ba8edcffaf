"""Style similarity: a shopper's style profile and the products that match it.

A profile is a direction in the engine's style-vector space, mixed from three
signals, each normalised to unit length first so no one drowns the others:

* explicit picks: the style vectors of the styles the shopper chose;
* behaviour: the strength-weighted mean style vector of the products they interacted with;
* engagement with styles shown: the style vectors of the styles their
  interactions happened in (a click on a product shown in "Great Wave").

Vectors are centred on the catalogue's mean product vector first: raw style
features are mostly positive, so uncentred cosines are all close to 1 and
rank nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .collaborative import Scorer
from .data import Pairs


@dataclass
class StyleInputs:
    product_vectors: np.ndarray  # (n_items, d); rows of a product without a vector are ignored
    has_vector: np.ndarray  # (n_items,) bool
    style_vectors: np.ndarray  # (n_styles, d); zeros where a style has no vector yet
    style_ids: list  # the shop's ids, in row order
    explicit: sp.csr_matrix  # (n_users, n_styles) explicit pick weights
    # Events shown in a style: user, item, style row, (decayed) event value.
    shown_users: np.ndarray
    shown_items: np.ndarray
    shown_styles: np.ndarray
    shown_values: np.ndarray

    @property
    def usable(self) -> bool:
        return bool(self.has_vector.any())

    @classmethod
    def empty(cls, n_users: int, n_items: int, dim: int = 1) -> StyleInputs:
        zero_i = np.empty(0, dtype=np.int32)
        return cls(
            np.zeros((n_items, dim), dtype=np.float32),
            np.zeros(n_items, dtype=bool),
            np.zeros((0, dim), dtype=np.float32),
            [],
            sp.csr_matrix((n_users, 0), dtype=np.float32),
            zero_i,
            zero_i,
            zero_i,
            np.empty(0),
        )


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


class StyleScorer(Scorer):
    """Cosine between each shopper's style profile and each product's style vector."""

    name = "style"
    label = "Style similarity"
    default_params = {"explicit_weight": 1.0, "behaviour_weight": 1.0, "engaged_weight": 1.0}
    search_space = [{}, {"engaged_weight": 2.0, "explicit_weight": 2.0}, {"behaviour_weight": 2.0}]

    def __init__(self, inputs: StyleInputs, **params) -> None:
        super().__init__(**params)
        self.inputs = inputs
        vectors = inputs.product_vectors.astype(np.float32)
        centre = vectors[inputs.has_vector].mean(axis=0) if inputs.usable else np.zeros(vectors.shape[1], np.float32)
        self.centre = centre
        self.item_unit = _unit_rows(np.where(inputs.has_vector[:, None], vectors - centre, 0.0)).astype(np.float32)
        has_style = np.linalg.norm(inputs.style_vectors, axis=1) > 0 if len(inputs.style_vectors) else np.zeros(0, bool)
        self.style_unit = _unit_rows(
            np.where(has_style[:, None], inputs.style_vectors.astype(np.float32) - centre, 0.0)
        ).astype(np.float32)

    def _fit(self, pairs: Pairs) -> None:
        inputs = self.inputs
        n_users, n_styles = pairs.n_users, len(inputs.style_ids)
        history = pairs.matrix()
        # Only items with a vector carry style information.
        history = history @ sp.diags(inputs.has_vector.astype(np.float32))
        behaviour = _unit_rows(np.asarray(history @ self.item_unit, dtype=np.float32))
        # Engagement with styles shown, counted only for pairs in this training set
        # (an evaluation must not see test events through this door).
        pair_keys = pairs.users.astype(np.int64) * pairs.n_items + pairs.items
        event_keys = inputs.shown_users.astype(np.int64) * pairs.n_items + inputs.shown_items
        known = np.isin(event_keys, pair_keys)
        self.engaged = sp.csr_matrix(
            (inputs.shown_values[known], (inputs.shown_users[known], inputs.shown_styles[known])),
            shape=(n_users, n_styles),
        )
        engaged_profile = _unit_rows(np.asarray(self.engaged @ self.style_unit, dtype=np.float32))
        explicit = (
            inputs.explicit if inputs.explicit.shape == (n_users, n_styles) else sp.csr_matrix((n_users, n_styles))
        )
        explicit_profile = _unit_rows(np.asarray(explicit @ self.style_unit, dtype=np.float32))
        p = self.params
        self.product_profiles = behaviour
        self.behaviour_profiles = _unit_rows(p["behaviour_weight"] * behaviour + p["engaged_weight"] * engaged_profile)
        self.profiles = _unit_rows(self.behaviour_profiles + p["explicit_weight"] * explicit_profile)
        self.explicit = explicit

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.profiles[users] @ self.item_unit.T

    def learned_weights(self, users: np.ndarray) -> np.ndarray:
        """(len(users), n_styles) learned style affinities from behaviour only, each row summing to 1
        (or all zero for a shopper with no behaviour): half from how close the style is to
        the products they interacted with, half from the share of engagement that happened
        in the style (kept apart: mixed into one vector, opposite signals would cancel)."""
        similarity = np.maximum(self.product_profiles[users] @ self.style_unit.T, 0.0)
        similarity_share = _row_share(similarity)
        engaged = np.asarray(self.engaged[users].todense(), dtype=np.float64)
        engaged_share = _row_share(engaged)
        has_engaged = engaged.sum(axis=1, keepdims=True) > 0
        return np.where(has_engaged, 0.5 * similarity_share + 0.5 * engaged_share, similarity_share)

    def best_style_for(self, users: np.ndarray, items: np.ndarray, top_styles: int = 3) -> np.ndarray:
        """For each (user row, item column) in ``items`` (len(users), n): the style row among the
        shopper's strongest styles that is closest to the item, or -1 when the shopper has none."""
        n_styles = len(self.inputs.style_ids)
        out = np.full(items.shape, -1, dtype=np.int64)
        if n_styles == 0:
            return out
        affinity = np.asarray(self.explicit[users].todense(), dtype=np.float64) + self.learned_weights(users)
        for row in range(len(users)):
            strongest = np.argsort(-affinity[row])[:top_styles]
            strongest = strongest[affinity[row, strongest] > 0]
            if len(strongest) == 0:
                continue
            valid = items[row] >= 0
            closeness = self.style_unit[strongest] @ self.item_unit[items[row][valid]].T
            out[row, valid] = strongest[np.argmax(closeness, axis=0)]
        return out

    def style_list_scores(self) -> np.ndarray:
        """(n_styles, n_items): every product's similarity to every style (cold-start lists)."""
        return self.style_unit @ self.item_unit.T


def _row_share(matrix: np.ndarray) -> np.ndarray:
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix, dtype=np.float64), where=totals > 0)


def learned_preferences(weights: np.ndarray, top: int = 3, min_weight: float = 0.05) -> list[list[tuple[int, float]]]:
    """Per user: up to ``top`` (style row, weight) pairs above ``min_weight``, strongest first."""
    result = []
    for row in weights:
        order = np.argsort(-row)[:top]
        result.append([(int(s), float(row[s])) for s in order if row[s] >= min_weight])
    return result
