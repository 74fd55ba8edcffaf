"""Synthetic demo shoppers with tastes, so the recommender has data on the first run.

Every shopper is a user named ``synthetic-shopper-NNN`` with an unusable
password. Each leans toward one or two styles and one or two categories, and
their views, carts and purchases are drawn from those tastes with a seeded
random generator, so the same seed gives the same histories.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

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


def _history(rng: random.Random, taste: Taste, products: list[Product], style_ids: list[int], now):
    """(product, kind, style_id, when) events drawn from a taste."""
    liked = [p for p in products if p.category_id in taste.categories]
    events = []
    for _ in range(taste.activity):
        pool = liked if liked and rng.random() < 0.8 else products
        product = rng.choice(pool)
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
    style_ids = list(Style.objects.filter(is_active=True).exclude(kind="enhance").values_list("pk", flat=True))
    category_ids = sorted({p.category_id for p in products})
    summary = SyntheticSummary()
    if not products or not style_ids:
        return summary
    User = get_user_model()
    now = timezone.now()
    for number in range(1, count + 1):
        # Draw every shopper's taste and history even when it exists, so the
        # random stream, and therefore every other shopper, stays the same.
        taste = _draw_taste(rng, style_ids, category_ids)
        events = _history(rng, taste, products, style_ids, now)
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
