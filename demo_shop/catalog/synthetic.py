"""Synthetic demo shoppers with tastes, so the recommender has data on the first run.

Every shopper is a user named ``synthetic-shopper-NNN`` with an unusable
password. Each leans toward one or two styles and one or two categories, and
their views, carts and purchases are drawn from those tastes with a seeded
random generator, so the same seed gives the same histories.

Style taste steers which products a shopper looks at, not only the style they
see them in: when the style engine is installed, a product whose photo's style
vector is close to a favourite style's reference is picked more often. That is
the signal the recommender's style part learns from.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from stylerec_plugin.models import Interaction, Style, StylePreference
from stylerec_plugin.shoppers import Shopper

from .models import Product

USERNAME_PREFIX = "synthetic-shopper-"


@dataclass
class Taste:
    styles: list[int]
    categories: list[int]
    activity: int
    explicit: bool


@dataclass
class SyntheticSummary:
    created: int = 0
    existing: int = 0
    interactions: int = 0
    tastes: dict[str, Taste] = field(default_factory=dict)


def _draw_taste(rng: random.Random, style_ids: list[int], category_ids: list[int]) -> Taste:
    return Taste(
        styles=rng.sample(style_ids, k=min(len(style_ids), rng.choice([1, 1, 2]))),
        categories=rng.sample(category_ids, k=min(len(category_ids), rng.choice([1, 2]))),
        activity=rng.randint(8, 40),
        explicit=rng.random() < 0.5,
    )


# How strongly style closeness steers product choice: weight exp(STEER * cosine).
STYLE_STEER = 4.0


def style_affinity(products: list[Product], styles: list[Style]) -> dict[int, dict[int, float]]:
    """{style pk: {product pk: cosine}} between reference and photo style vectors.

    Empty when the style engine (torch) is not installed: shoppers then choose
    by category only. Vectors are centred on the catalogue mean, as the
    recommender does, so cosines spread over -1..1 instead of sitting near 1.
    """
    referenced = [s for s in styles if s.reference_image]
    if not referenced or not products:
        return {}
    try:
        stylizer = _stylizer()
    except ImportError:
        return {}
    photos = np.stack([_vector(stylizer, p.image) for p in products])
    centre = photos.mean(axis=0)
    photos = _unit(photos - centre)
    affinity = {}
    for style in referenced:
        reference = _unit(_vector(stylizer, style.reference_image)[None, :] - centre)[0]
        affinity[style.pk] = dict(zip([p.pk for p in products], (photos @ reference).tolist(), strict=True))
    return affinity


@functools.cache
def _stylizer():
    """One Stylizer per process: loading the predictor costs more than the vectors."""
    from stylerec_plugin.engine import Stylizer

    return Stylizer(max_side=512)


def _vector(stylizer, field_file) -> np.ndarray:
    with field_file.open("rb") as handle:
        return stylizer.style_vector(handle.read())


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _pick(rng: random.Random, pool: list[Product], taste: Taste, affinity: dict[int, dict[int, float]]) -> Product:
    steering = [affinity[s] for s in taste.styles if s in affinity]
    if not steering:
        return rng.choice(pool)
    weights = [math.exp(STYLE_STEER * max(a[p.pk] for a in steering)) for p in pool]
    return rng.choices(pool, weights=weights)[0]


def _history(rng, taste: Taste, products: list[Product], style_ids: list[int], now, affinity=None):
    """(product, kind, style_id, when) events drawn from a taste."""
    liked = [p for p in products if p.category_id in taste.categories]
    events = []
    for _ in range(taste.activity):
        pool = liked if liked and rng.random() < 0.7 else products
        product = _pick(rng, pool, taste, affinity or {})
        # The style the product was shown in: the shopper's style most of the time.
        shown = rng.choice(taste.styles) if rng.random() < 0.6 else rng.choice(style_ids)
        when = now - timedelta(days=rng.uniform(0, 60), minutes=rng.uniform(0, 600))
        events.append((product, "view", shown, when))
        matches = (product.category_id in taste.categories) + (shown in taste.styles)
        if rng.random() < 0.15 + 0.25 * matches:
            events.append((product, "cart", shown, when + timedelta(minutes=2)))
            if rng.random() < 0.35 + 0.15 * matches:
                events.append((product, "purchase", shown, when + timedelta(minutes=9)))
    return events


def create_synthetic_shoppers(count: int = 80, seed: int = 7) -> SyntheticSummary:
    """Create ``count`` synthetic shoppers and their histories; existing ones are kept."""
    rng = random.Random(seed)
    products = list(Product.objects.order_by("pk"))
    styles = list(Style.objects.filter(is_active=True).exclude(kind="enhance"))
    style_ids = [s.pk for s in styles]
    category_ids = sorted({p.category_id for p in products})
    summary = SyntheticSummary()
    if not products or not style_ids:
        return summary
    affinity = style_affinity(products, styles)
    User = get_user_model()
    now = timezone.now()
    for number in range(1, count + 1):
        # Draw every shopper's taste and history even when it exists, so the
        # random stream, and therefore every other shopper, stays the same.
        taste = _draw_taste(rng, style_ids, category_ids)
        events = _history(rng, taste, products, style_ids, now, affinity)
        username = f"{USERNAME_PREFIX}{number:03d}"
        summary.tastes[username] = taste
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            shopper = Shopper.for_user(user)
            if Interaction.objects.filter(shopper_key=shopper.key).exists():
                summary.existing += 1
                continue
            Interaction.objects.bulk_create(
                Interaction(
                    shopper_key=shopper.key,
                    user=user,
                    product=product,
                    kind=kind,
                    style_id=style_id,
                    created_at=when,
                )
                for product, kind, style_id, when in events
            )
            if taste.explicit:
                for style_id in taste.styles:
                    StylePreference.objects.get_or_create(
                        shopper_key=shopper.key, style_id=style_id, source="explicit",
                        defaults={"user": user, "weight": 1.0},
                    )
            summary.created += 1
            summary.interactions += len(events)
    return summary
