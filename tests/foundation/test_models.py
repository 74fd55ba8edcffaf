import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from stylerec_plugin.models import RecommenderModel, RestyledImage, Style, StylePreference
from stylerec_plugin.models.styles import normalise_preset_weights

pytestmark = pytest.mark.django_db


def png_upload(name="ref.png", colour=(200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_style(**fields) -> Style:
    defaults = {"name": "Ink", "slug": "ink", "kind": "preset", "preset_weights": {"3": 1}}
    style = Style(**{**defaults, **fields})
    style.full_clean()
    style.save()
    return style


def test_version_increases_only_when_output_changes(media_root):
    style = make_style()
    assert style.version == 1
    style.name = "Ink wash"
    style.theme_primary = "#000000"
    style.save()
    assert style.version == 1, "names and themes don't change the output"
    style.strength = 0.5
    style.save()
    assert style.version == 2
    style.preset_weights = {"3": 0.5, "4": 0.5}
    style.save()
    assert style.version == 3
    style.preserve_colour = True
    style.save()
    assert Style.objects.get(pk=style.pk).version == 4


def test_new_reference_image_content_bumps_version(media_root):
    style = make_style(kind="reference", slug="ref", preset_weights={}, reference_image=png_upload())
    assert style.reference_hash
    style.reference_image = png_upload(colour=(10, 200, 10))
    style.save()
    assert style.version == 2
    reloaded = Style.objects.get(pk=style.pk)
    reloaded.description = "same picture"
    reloaded.save()
    assert reloaded.version == 2


def test_reference_styles_need_an_image():
    with pytest.raises(ValidationError) as excinfo:
        Style(name="x", slug="x", kind="reference").full_clean()
    assert "reference_image" in excinfo.value.message_dict


@pytest.mark.parametrize("weights", [{}, {"26": 1}, {"1": -1}, {"a": 1}, {"2": 0}, []])
def test_bad_preset_weights_are_refused(weights):
    with pytest.raises(ValidationError) as excinfo:
        Style(name="x", slug="x", kind="preset", preset_weights=weights).full_clean()
    assert "preset_weights" in excinfo.value.message_dict


def test_preset_weights_are_normalised():
    assert normalise_preset_weights({"4": 3, 19: 1}) == {"4": 0.75, "19": 0.25}


@pytest.mark.parametrize("value", ["red", "#fff", "#12345g", "#123456;}", "expression(alert(1))"])
def test_theme_colours_are_validated(value):
    with pytest.raises(ValidationError) as excinfo:
        Style(name="x", slug="x", kind="preset", preset_weights={"1": 1}, theme_primary=value).full_clean()
    assert "theme_primary" in excinfo.value.message_dict


def test_variant_identity_is_unique(media_root):
    from demo_shop.catalog.models import Category, Product

    style = make_style()
    category = Category.objects.create(name="C", slug="c")
    product = Product.objects.create(name="P", slug="p", price=1, category=category, image="products/p.jpg")
    identity = {
        "product": product,
        "style": style,
        "style_version": 1,
        "engine": "preset",
        "engine_version": "preset-1",
        "source_hash": "a" * 64,
    }
    RestyledImage.objects.create(**identity)
    RestyledImage.objects.create(**{**identity, "style_version": 2})
    with pytest.raises(IntegrityError), transaction.atomic():
        RestyledImage.objects.create(**identity)


def test_one_active_recommender_model():
    RecommenderModel.objects.create(algorithm="a", is_active=True)
    RecommenderModel.objects.create(algorithm="b", is_active=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        RecommenderModel.objects.create(algorithm="c", is_active=True)


def test_one_preference_per_shopper_style_and_source():
    style = make_style()
    StylePreference.objects.create(shopper_key="user:1", style=style, source="explicit")
    StylePreference.objects.create(shopper_key="user:1", style=style, source="learned")
    with pytest.raises(IntegrityError), transaction.atomic():
        StylePreference.objects.create(shopper_key="user:1", style=style, source="explicit")
