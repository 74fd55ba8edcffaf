"""The demo loads real data, and loading it again duplicates nothing."""

import pytest

from demo_shop.catalog.demo_data import DEMO_STYLES, load_catalogue, load_styles
from demo_shop.catalog.models import Category, Product
from demo_shop.catalog.synthetic import create_synthetic_shoppers
from stylerec_plugin.models import Interaction, Style, StylePreference

pytestmark = pytest.mark.django_db


def counts():
    return (
        Product.objects.count(),
        Category.objects.count(),
        Style.objects.count(),
        Interaction.objects.count(),
        StylePreference.objects.count(),
    )


def test_loading_twice_duplicates_nothing_and_keeps_photos(media_root):
    load_catalogue()
    load_styles()
    create_synthetic_shoppers(count=12, seed=3)
    first = counts()
    photo_names = dict(Product.objects.values_list("slug", "image"))
    assert first[0] == 54 and first[2] == len(DEMO_STYLES) and first[3] > 100
    load_catalogue()
    load_styles()
    summary = create_synthetic_shoppers(count=12, seed=3)
    assert counts() == first
    assert summary.existing == 12 and summary.created == 0
    assert dict(Product.objects.values_list("slug", "image")) == photo_names


def test_demo_products_have_real_photos_and_descriptions(media_root):
    load_catalogue()
    laptop = Product.objects.get(slug="laptop")
    assert laptop.description and laptop.category.parent.name == "Electronics"
    with laptop.image.open("rb") as photo:
        assert photo.read(3) == b"\xff\xd8\xff"  # a JPEG


def test_demo_styles_cover_every_kind_with_own_palettes(media_root):
    load_styles()
    kinds = set(Style.objects.values_list("kind", flat=True))
    assert {"reference", "preset", "tone"} <= kinds
    palettes = {tuple(s.theme.values()) for s in Style.objects.all()}
    assert len(palettes) == Style.objects.count()


def test_synthetic_shoppers_follow_their_tastes(media_root):
    load_catalogue()
    load_styles()
    summary = create_synthetic_shoppers(count=30, seed=11)
    in_taste = total = 0
    for username, taste in summary.tastes.items():
        purchases = Interaction.objects.filter(user__username=username, kind="purchase")
        for interaction in purchases.select_related("product"):
            total += 1
            in_taste += interaction.product.category_id in taste.categories
    assert total > 20
    assert in_taste / total > 0.6, "purchases lean toward each shopper's favourite categories"


def test_synthetic_shoppers_are_reproducible(media_root):
    load_catalogue()
    load_styles()
    a = create_synthetic_shoppers(count=5, seed=5)
    assert {k: (t.styles, t.categories) for k, t in a.tastes.items()} == {
        k: (t.styles, t.categories) for k, t in create_synthetic_shoppers(count=5, seed=5).tastes.items()
    }


def test_demo_setup_twice_duplicates_nothing(media_root):
    """`make demo` run twice: the same rows, one admin, one experiment, a model per run."""
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from stylerec_plugin.models import Experiment, RecommenderModel

    out = StringIO()
    call_command("demo_setup", no_restyle=True, shoppers=6, stdout=out)
    first = counts(), Experiment.objects.count(), get_user_model().objects.count()
    assert "admin / stylerec-demo" in out.getvalue()
    assert RecommenderModel.objects.filter(is_active=True).count() == 1
    call_command("demo_setup", no_restyle=True, shoppers=6, stdout=StringIO())
    assert (counts(), Experiment.objects.count(), get_user_model().objects.count()) == first
    assert RecommenderModel.objects.filter(is_active=True).count() == 1
