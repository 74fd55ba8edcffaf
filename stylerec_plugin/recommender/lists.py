"""The lists a trained model serves, built from a fitted :class:`~.hybrid.HybridRecommender`.

Plain numpy, no Django. A row is ``[product_id, score, reason_code, argument]``
(JSON-ready; ``argument`` is the style id of a "style" reason, else None). The
Django side stores each list under its key (a shopper, ``"style:<id>"``,
``"item:<product id>"``, or the popular list) and serves them per request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from .collaborative import cosine_neighbours
from .data import Pairs
from .hybrid import REASON_FOR_PART, HybridRecommender, standardise
from .metrics import top_k


def rows(items: np.ndarray, scores: np.ndarray, codes: list[str], arguments: list, product_ids: Sequence) -> list:
    """Ranked item indices as rows (``-1`` padding ends the list)."""
    out = []
    for item, score, code, argument in zip(items.tolist(), scores.tolist(), codes, arguments, strict=True):
        if item < 0:
            break
        out.append([product_ids[item], round(float(score), 5), code, argument])
    return out


def shopper_lists(
    hybrid: HybridRecommender,
    n_users: int,
    top_n: int,
    exclude: sp.csr_matrix | None,
    style_ids: Sequence[int],
    product_ids: Sequence,
    batch: int = 512,
) -> Iterator[list[tuple[int, list]]]:
    """Every shopper's top-N with a reason per row, ``batch`` shoppers at a time (user index, rows)."""
    users = np.arange(n_users)
    for start in range(0, len(users), batch):
        chunk = users[start : start + batch]
        ranking = hybrid.rank(chunk, top_n, exclude)
        lists = []
        for row, user in enumerate(chunk):
            codes = [REASON_FOR_PART[hybrid.parts[p]] for p in ranking.reasons[row]]
            arguments = [style_ids[s] if s >= 0 else None for s in ranking.reason_styles[row]]
            lists.append((int(user), rows(ranking.items[row], ranking.scores[row], codes, arguments, product_ids)))
        yield lists


def popular_list(hybrid: HybridRecommender, top_n: int, product_ids: Sequence) -> list:
    """The catalogue's most popular products: what shoppers without a history see."""
    items, scores = hybrid.popular_items(top_n)
    return rows(items, scores, ["popular"] * len(items), [None] * len(items), product_ids)


def style_lists(
    hybrid: HybridRecommender, top_n: int, style_ids: Sequence[int], n_items: int, product_ids: Sequence
) -> dict[int, list]:
    """Cold-start lists per style: style similarity blended with popularity (empty without a style part)."""
    style_scorer = hybrid.scorers.get("style")
    if style_scorer is None or not len(style_ids):
        return {}
    weights = hybrid.blend_weights
    style_weight = weights.get("style") or 0.5
    popular_weight = weights.get("popular") or 0.5
    blended = style_weight * standardise(style_scorer.style_list_scores()) + popular_weight * standardise(
        np.broadcast_to(hybrid.popularity.item_scores, (len(style_ids), n_items))
    )
    best = top_k(blended, top_n)
    out = {}
    for position, style_id in enumerate(style_ids):
        items = best[position]
        scores = blended[position, np.maximum(items, 0)]
        out[style_id] = rows(items, scores, ["style"] * len(items), [style_id] * len(items), product_ids)
    return out


def neighbour_lists(pairs: Pairs, product_ids: Sequence, per_item: int) -> dict:
    """Similar products per product (``[product_id, similarity]``), for session adjustment without retraining."""
    if not len(pairs):
        return {}
    neighbours = cosine_neighbours(pairs.matrix(binary=True).T.tocsr(), per_item)
    out = {}
    for item in np.unique(pairs.items):
        start, end = neighbours.indptr[item], neighbours.indptr[item + 1]
        order = np.argsort(-neighbours.data[start:end])
        out[product_ids[item]] = [
            [product_ids[int(neighbours.indices[start + o])], round(float(neighbours.data[start + o]), 5)]
            for o in order
        ]
    return out
