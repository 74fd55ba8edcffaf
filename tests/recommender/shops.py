"""Small synthetic shops shared by the array-level recommender tests."""

from stylerec_plugin.recommender import data
from stylerec_plugin.recommender.synthetic import SyntheticShop, make_shop


def small_shop_split() -> tuple[SyntheticShop, data.Pairs, data.Pairs, data.Pairs]:
    """400 shoppers, 120 products, 9,000 events; decayed strengths split per shopper 75/25."""
    shop = make_shop(400, 120, 9000, dim=16, seed=5)
    pairs = data.aggregate(shop.events, half_life_days=30.0)
    train, test = data.stratified_split(pairs, 0.75, seed=42)
    return shop, pairs, train, test
