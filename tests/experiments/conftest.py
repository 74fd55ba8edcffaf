"""Fixtures for the experiment tests: a few products and a running two-arm experiment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone

from demo_shop.catalog.models import Category, Product
from stylerec_plugin.models import Experiment, ExperimentArm


@pytest.fixture(autouse=True)
def clear_cache():
    """Treatments are cached; every test starts from an empty cache."""
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def products(db) -> list[Product]:
    category = Category.objects.create(name="Lamps", slug="lamps")
    return [
        Product.objects.create(
            name=f"Lamp {n}", slug=f"lamp-{n}", price="10.00", category=category, image=f"products/lamp-{n}.jpg"
        )
        for n in range(6)
    ]


def make_experiment(
    name: str = "Photos", *, weights=(50, 50), status: str = "running", start_days_ago: int = 1, **extra
) -> Experiment:
    experiment = Experiment.objects.create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        status=status,
        start_at=timezone.now() - timedelta(days=start_days_ago),
        **extra,
    )
    ExperimentArm.objects.create(
        experiment=experiment, name="original", is_control=True, weight=weights[0], restyle=False
    )
    ExperimentArm.objects.create(experiment=experiment, name="restyled", weight=weights[1], restyle=True)
    return experiment


@pytest.fixture
def experiment(db) -> Experiment:
    return make_experiment()
