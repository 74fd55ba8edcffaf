"""The array-level recommender: strengths, splits, Surprise scorers, the hybrid, evaluation."""

import json

import numpy as np
import pytest
import scipy.sparse as sp
from surprise import similarities

from stylerec_plugin.recommender import data
from stylerec_plugin.recommender.collaborative import (
    ImplicitSVD,
    RatingSVD,
    cosine_neighbours,
    parse_algorithms,
)
from stylerec_plugin.recommender.evaluation import evaluate, predict_agreement
from stylerec_plugin.recommender.hybrid import HybridRecommender
from stylerec_plugin.recommender.metrics import ranking_metrics, top_k
from stylerec_plugin.recommender.synthetic import make_shop

from . import shops

DAY = 86_400.0


def test_event_weights_and_half_life_decay():
    weights = {"view": 1.0, "purchase": 8.0, "rating": 2.0}
    values = data.event_values(["view", "purchase", "rating", "unknown"], [None, None, 4.0, None], weights)
    assert values.tolist() == [1.0, 8.0, 8.0, 0.0]
    # Same pair seen now (1.0) and 30 days ago (8.0 halved by a 30-day half-life).
    events = data.Events.from_raw(["a", "a", "b"], ["x", "x", "x"], [1.0, 8.0, 2.0], [60 * DAY, 30 * DAY, 60 * DAY])
    pairs = data.aggregate(events, half_life_days=30.0)
    strengths = dict(zip(zip(pairs.users.tolist(), pairs.items.tolist(), strict=True), pairs.strengths, strict=True))
    assert strengths[(0, 0)] == pytest.approx(1.0 + 4.0)
    assert strengths[(1, 0)] == pytest.approx(2.0)
    assert pairs.first_seen.tolist() == [30 * DAY, 60 * DAY]
    # Without a half-life nothing decays.
    assert data.aggregate(events).strengths.tolist() == [9.0, 2.0]


def test_splits_are_per_user_and_seeded():
    shop = make_shop(50, 40, 1500, dim=8, seed=3)
    pairs = data.aggregate(shop.events)
    train, test = data.stratified_split(pairs, 0.75, seed=42)
    again, _ = data.stratified_split(pairs, 0.75, seed=42)
    assert np.array_equal(train.items, again.items)
    assert len(train) + len(test) == len(pairs)
    for user in range(5):
        n = int((pairs.users == user).sum())
        assert int((train.users == user).sum()) == round(0.75 * n)
    early, late = data.time_split(pairs, 0.75)
    for user in range(5):
        if (late.users == user).any():
            assert early.first_seen[early.users == user].max() <= late.first_seen[late.users == user].min()


def test_csv_loader_reports_bad_files(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("user,thing\n1,2\n")
    with pytest.raises(ValueError, match="missing item, value"):
        data.load_csv(bad)
    with pytest.raises(FileNotFoundError):
        data.load_csv(tmp_path / "nope.csv")


def test_sparse_cosine_matches_surprise_on_binarised_data():
    rng = np.random.default_rng(0)
    binary = (rng.random((12, 9)) < 0.4).astype(np.float64)
    binary[np.arange(12), rng.integers(0, 9, 12)] = 1.0  # Surprise divides by each row's norm
    # Surprise's cosine over "common" items equals plain cosine once every
    # unobserved pair is given explicitly as 0.
    yr = {item: [(user, binary[user, item]) for user in range(12)] for item in range(9)}
    expected = similarities.cosine(12, yr, min_support=1)
    np.fill_diagonal(expected, 0.0)
    ours = cosine_neighbours(sp.csr_matrix(binary), k=11).toarray()
    assert np.allclose(ours, expected, atol=1e-6)


@pytest.fixture(scope="module")
def small_shop_split():
    return shops.small_shop_split()


def test_numpy_scores_agree_with_surprise_predict(small_shop_split):
    _, _, train, _ = small_shop_split
    implicit = ImplicitSVD(n_epochs=5, n_factors=8).fit(train)
    rating = RatingSVD().fit(train)
    assert predict_agreement(implicit, train, samples=50) < 1e-5
    assert predict_agreement(rating, train, samples=50) < 1e-5


def test_implicit_ranking_beats_rating_prediction(small_shop_split):
    _, pairs, train, test = small_shop_split
    users = np.unique(test.users)
    seen, relevant = train.matrix(binary=True), test.matrix(binary=True)

    def ndcg(scorer):
        return ranking_metrics(top_k(scorer.score(users), 10, seen, users), relevant, users, pairs.n_items).ndcg

    implicit = ndcg(ImplicitSVD(n_epochs=20, n_factors=16, lr=0.01).fit(train))
    rating = ndcg(RatingSVD().fit(train))
    assert implicit > rating * 1.5, (implicit, rating)


def test_hybrid_blend_chosen_on_validation_beats_each_part(small_shop_split):
    shop, _, train, test = small_shop_split
    result = evaluate(
        shop.events, style_inputs=shop.style_inputs, algorithms=["item_knn"], half_life_days=30.0, search=False
    )
    by_name = {row.name: row for row in result.rows}
    assert set(by_name) >= {"hybrid", "item_knn", "style", "popular", "svd"}
    assert abs(sum(result.blend_weights.values()) - 1.0) < 1e-9
    for part in ("item_knn", "style", "popular"):
        assert by_name["hybrid"].ndcg >= by_name[part].ndcg, (part, result.table())
    assert by_name["hybrid"].ndcg > by_name["svd"].ndcg


def test_learned_style_weights_follow_engagement():
    shop = make_shop(200, 80, 4000, dim=16, seed=9)
    pairs = data.aggregate(shop.events)
    hybrid = HybridRecommender(
        algorithms=["item_knn"],
        style_inputs=shop.style_inputs,
        search=False,
        blend_weights={"item_knn": 0.5, "style": 0.3, "popular": 0.2},
    ).fit(pairs)
    weights = hybrid.scorers["style"].learned_weights(np.arange(200))
    # Each synthetic shopper leans to one style; the learned top style is that one for most.
    assert (weights.argmax(axis=1) == shop.user_style).mean() > 0.6


def test_unknown_algorithm_is_a_clear_error():
    assert parse_algorithms("implicit_svd+item_knn") == ["implicit_svd", "item_knn"]
    with pytest.raises(ValueError, match="unknown collaborative algorithm"):
        parse_algorithms("bpr")


@pytest.mark.django_db
def test_evaluate_command_on_a_tiny_csv(tmp_path):
    from django.core.management import call_command

    shop = make_shop(60, 30, 900, dim=4, seed=2)
    path = tmp_path / "tiny.csv"
    lines = ["user,item,value,timestamp"]
    for u, i, v, t in zip(
        shop.events.users, shop.events.items, shop.events.values, shop.events.timestamps, strict=True
    ):
        lines.append(f"u{u},i{i},{v},{t:.0f}")
    path.write_text("\n".join(lines))
    out_png = tmp_path / "plot.png"
    from io import StringIO

    out = StringIO()
    call_command(
        "stylerec_evaluate", f"--dataset=csv:{path}", "--json", "--algorithm=item_knn", f"--plot={out_png}", stdout=out
    )
    payload = json.loads(out.getvalue())
    # Every data set with timestamps gets the per-user and the time-ordered split.
    assert [result["split"] for result in payload["results"]] == ["user", "time"]
    for result in payload["results"]:
        rows = {row["name"]: row for row in result["rows"]}
        assert {"hybrid", "item_knn", "popular", "svd"} <= set(rows)
        for row in rows.values():
            assert 0.0 <= row["ndcg"] <= 1.0 and 0.0 <= row["precision"] <= 1.0
        assert result["choice"]["n_pairs"] == result["n_train"]
    assert out_png.stat().st_size > 1000
    # Without timestamps there is no time order: the command says so and keeps the per-user split.
    path.write_text("\n".join(lines[:1] + [line.rsplit(",", 1)[0] + ",0" for line in lines[1:]]))
    out = StringIO()
    call_command("stylerec_evaluate", f"--dataset=csv:{path}", "--algorithm=item_knn", "--jobs=1", stdout=out)
    assert "has no timestamps (all equal): the time-ordered split is left out" in out.getvalue()
    assert "(user split, k=10)" in out.getvalue() and "(time split" not in out.getvalue()


def test_system_checks_catch_bad_recommender_settings(settings):
    from stylerec_plugin.checks import check_recommender

    assert check_recommender() == []
    settings.STYLEREC = {**settings.STYLEREC, "COLLABORATIVE_ALGORITHM": "bpr", "TOP_N": 0, "DECAY_HALF_LIFE_DAYS": -1}
    assert [problem.id for problem in check_recommender()] == ["stylerec.E030", "stylerec.E031", "stylerec.E032"]


def test_movielens_loader_reads_the_ratings_inside_a_cached_wheel(tmp_path):
    import zipfile

    # A stand-in for the recbole wheel: same member path and format, three ratings.
    wheel = tmp_path / "recbole-1.2.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            data.MOVIELENS_MEMBER,
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
            "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n",
        )
    events = data.load_movielens_100k(tmp_path)
    assert events.user_ids == ["196", "186"] and events.item_ids == ["242", "302", "377"]
    assert events.values.tolist() == [3.0, 3.0, 1.0]
    assert events.users.tolist() == [0, 1, 0]
