"""Ranking metrics against cases worked out by hand."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from stylerec_plugin.recommender.metrics import ranking_metrics, top_k


def relevant_matrix(rows: dict[int, list[int]], n_users: int = 3, n_items: int = 8) -> sp.csr_matrix:
    pairs = [(u, i) for u, items in rows.items() for i in items]
    users, items = zip(*pairs, strict=True)
    return sp.csr_matrix((np.ones(len(pairs)), (users, items)), shape=(n_users, n_items))


def test_two_users_by_hand():
    # User 0: relevant {1, 5}; list [1, 2, 5] -> hits at ranks 1 and 3.
    # User 1: relevant {7};    list [3, 4, 6] -> no hit.
    relevant = relevant_matrix({0: [1, 5], 1: [7]})
    top = np.array([[1, 2, 5], [3, 4, 6]])
    m = ranking_metrics(top, relevant, np.array([0, 1]), n_catalogue_items=8, k=3)
    assert m.precision == pytest.approx((2 / 3 + 0) / 2)
    assert m.recall == pytest.approx((2 / 2 + 0) / 2)
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert m.ndcg == pytest.approx((dcg / ideal + 0) / 2)
    # AP: (1/1 + 2/3) / 2 relevant items.
    assert m.map == pytest.approx(((1 + 2 / 3) / 2 + 0) / 2)
    assert m.coverage == pytest.approx(6 / 8)
    assert m.users == 2


def test_ideal_dcg_is_capped_at_k_and_users_without_test_items_are_skipped():
    # User 0 has 4 relevant items but k = 2: a perfect list has NDCG 1.
    relevant = relevant_matrix({0: [0, 1, 2, 3]})
    m = ranking_metrics(np.array([[2, 3], [0, 1]]), relevant, np.array([0, 2]), n_catalogue_items=8, k=2)
    assert m.users == 1
    assert m.ndcg == pytest.approx(1.0)
    assert m.precision == pytest.approx(1.0)
    assert m.recall == pytest.approx(0.5)
    # MAP divides by all 4 relevant items, not by k.
    assert m.map == pytest.approx((1 + 1) / 4)


def test_padding_slots_never_count_as_hits():
    relevant = relevant_matrix({0: [0]})
    m = ranking_metrics(np.array([[-1, -1]]), relevant, np.array([0]), n_catalogue_items=8, k=2)
    assert m.ndcg == 0 and m.precision == 0 and m.coverage == 0


def test_lists_shorter_than_k_count_as_empty_slots():
    # A shop with fewer products than k: precision still divides by k, NDCG is exact.
    relevant = relevant_matrix({0: [2]})
    m = ranking_metrics(np.array([[2, 5]]), relevant, np.array([0]), n_catalogue_items=3, k=10)
    assert m.precision == pytest.approx(1 / 10)
    assert m.ndcg == pytest.approx(1.0)
    assert m.recall == pytest.approx(1.0)


def test_top_k_orders_and_excludes():
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [0.3, 0.2, 0.1, 0.0]])
    exclude = sp.csr_matrix(([1.0], ([0], [1])), shape=(2, 4))
    best = top_k(scores, 3, exclude, np.array([0, 1]))
    assert best.tolist() == [[3, 2, 0], [0, 1, 2]]
    # Asking for more than what is left pads with -1.
    everything_but_one = sp.csr_matrix(np.array([[1, 1, 1, 0]]))
    assert top_k(scores[:1], 2, everything_but_one, np.array([0])).tolist() == [[3, -1]]
