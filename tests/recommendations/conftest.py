"""A small shop for the recommender's Django side: two categories, two styles with vectors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import timezone

from demo_shop.catalog.models import Category, Product
from stylerec_plugin import signals
from stylerec_plugin.models import ProductPhoto, Style, StyleKind
from stylerec_plugin.shoppers import Shopper, record_interaction

DIM = 8


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def unit(index: int, noise: float = 0.0, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    vector = np.full(DIM, 0.5) + rng.normal(0, noise, DIM)
    vector[index] += 3.0
    return [float(v) for v in vector]


class Shop:
    """Products 0-5 look like the "wave" style and are mugs; 6-11 look like "starry" and are prints."""

    def __init__(self) -> None:
        with signals.paused():
            self.mugs = Category.objects.create(name="Mugs", slug="mugs")
            self.prints = Category.objects.create(name="Prints", slug="prints")
            self.wave = Style.objects.create(
                name="Great Wave",
                slug="great-wave",
                kind=StyleKind.PRESET,
                preset_weights={"19": 1},
                style_vector=unit(0),
            )
            self.starry = Style.objects.create(
                name="Starry Night",
                slug="starry-night",
                kind=StyleKind.PRESET,
                preset_weights={"3": 1},
                style_vector=unit(1),
            )
            self.products: list[Product] = []
            for n in range(12):
                wave_like = n < 6
                product = Product.objects.create(
                    name=f"{'Wave' if wave_like else 'Star'} thing {n}",
                    slug=f"thing-{n}",
                    price=Decimal("10.00"),
                    category=self.mugs if wave_like else self.prints,
                    image=f"products/thing-{n}.jpg",
                )
                ProductPhoto.objects.create(
                    product=product, source_hash=f"h{n}", style_vector=unit(0 if wave_like else 1, noise=0.3, seed=n)
                )
                self.products.append(product)
        self.clock = timezone.now() - timedelta(days=2)

    def event(self, shopper: Shopper, product_index: int, kind: str = "view", style: Style | None = None, when=None):
        self.clock += timedelta(seconds=1)
        return record_interaction(shopper, self.products[product_index], kind, style=style, when=when or self.clock)

    def history(self) -> None:
        """Ten shoppers: five like wave mugs (and buy 0), five like starry prints; 2 and 3 go together."""
        for n in range(10):
            shopper = Shopper(key=f"session:s{n}")
            items = [0, 1, 2, 3, 4] if n < 5 else [6, 7, 8, 9, 10]
            for index in items[: 3 + n % 3]:
                self.event(shopper, index)
            if n < 5:
                self.event(shopper, 2, "click")
                self.event(shopper, 3, "click")
                self.event(shopper, 0, "purchase")


@pytest.fixture
def shop(db) -> Shop:
    return Shop()
