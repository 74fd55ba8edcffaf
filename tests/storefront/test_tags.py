"""The template tags as a shop's templates use them."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings

from stylerec_plugin.models import Style, StyleKind, VariantStatus
from stylerec_plugin.shoppers import Shopper, set_explicit_styles, set_personalisation
from stylerec_plugin.signals import variants_missing

pytestmark = pytest.mark.django_db


def make_request(shopper: Shopper | None = None):
    request = RequestFactory().get("/")
    request.session = None
    request.user = None
    request.shopper = shopper
    return request


def render(source: str, request=None, **context) -> str:
    return Template("{% load stylerec %}" + source).render(Context({"request": request, **context}))


SHOPPER = Shopper("session:shopper-a")


# --- the one-photo tag -----------------------------------------------------------------


def test_photo_shows_ready_variant_with_srcset_size_and_alt(products, wave, make_variant):
    variant = make_variant(products[0], wave)
    html = render('{% stylerec_photo product style="great-wave" sizes="50vw" %}', product=products[0])
    assert f'src="/media/{variant.image.name}"' in html
    assert f'srcset="/media/{variant.image.name} 640w"' in html
    assert 'sizes="50vw"' in html
    assert 'width="640"' in html and 'height="480"' in html
    assert 'alt="Product 1 in the Great Wave style"' in html
    assert 'data-stylerec-style="great-wave"' in html


@pytest.mark.parametrize("status", [VariantStatus.PENDING, VariantStatus.RUNNING, VariantStatus.FAILED,
                                    VariantStatus.REJECTED])
def test_photo_falls_back_to_original_when_variant_is_not_ready(products, wave, make_variant, status):
    make_variant(products[0], wave, status=status)
    html = render('{% stylerec_photo product style="great-wave" %}', product=products[0])
    assert f'src="/media/{products[0].image.name}"' in html
    assert 'data-stylerec-style="original"' in html
    assert 'width="64"' in html and 'height="48"' in html  # from the recorded photo size, no file opened
    assert 'alt="Product 1"' in html


def test_photo_falls_back_for_missing_row_unknown_style_and_ready_row_without_file(products, wave, make_variant):
    original = f'src="/media/{products[0].image.name}"'
    assert original in render('{% stylerec_photo product style="great-wave" %}', product=products[0])
    assert original in render('{% stylerec_photo product style="no-such-style" %}', product=products[0])
    make_variant(products[0], wave, with_file=False)
    assert original in render('{% stylerec_photo product style="great-wave" %}', product=products[0])


def test_photo_skips_variants_of_an_older_photo(products, wave, make_variant):
    make_variant(products[0], wave, source_hash="an-old-photo")
    html = render('{% stylerec_photo product style="great-wave" %}', product=products[0])
    assert f'src="/media/{products[0].image.name}"' in html


def test_photo_uses_the_newest_ready_variant(products, wave, make_variant):
    make_variant(products[0], wave, version=1)
    wave.strength = 0.5
    wave.save()  # output-affecting: version 2
    newer = make_variant(products[0], wave, version=2)
    make_variant(products[0], wave, status=VariantStatus.PENDING, version=3)
    html = render('{% stylerec_photo product style="great-wave" %}', product=products[0])
    assert f'src="/media/{newer.image.name}"' in html


def test_photo_defaults_to_the_shoppers_style(products, wave, starry, make_variant):
    make_variant(products[0], starry)
    set_explicit_styles(SHOPPER, [starry])
    html = render("{% stylerec_photo product %}", make_request(SHOPPER), product=products[0])
    assert 'data-stylerec-style="starry-night"' in html
    # ... and "original" forces the untouched photo.
    html = render('{% stylerec_photo product style="original" %}', make_request(SHOPPER), product=products[0])
    assert 'data-stylerec-style="original"' in html


def test_photo_escapes_product_names(make_product):
    product = make_product(name='Mug "<script>alert(1)</script>')
    html = render("{% stylerec_photo product %}", product=product)
    assert "<script>" not in html
    assert 'alt="Mug &quot;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


# --- the grid ---------------------------------------------------------------------------


def test_grid_shows_restyled_photos_names_prices_links_and_reasons(products, wave, make_variant):
    for product in products[:3]:
        make_variant(product, wave)
    set_explicit_styles(SHOPPER, [wave])
    html = render("{% stylerec_grid count=4 %}", make_request(SHOPPER))
    cards = re.findall(r'<article class="[^"]*stylerec-card.*?</article>', html, re.S)
    assert len(cards) == 4
    styled = [card for card in cards if 'data-stylerec-style="great-wave"' in card]
    assert len(styled) == 3  # the fourth product has no variant yet: its original is shown
    first = cards[0]
    assert "/product/product-" in first
    assert "12.50" in first
    assert re.search(r'class="[^"]*reason">[^<]+<', first)  # why it is recommended


def test_grid_notes_missing_variants_without_enqueueing(products, wave, make_variant):
    make_variant(products[0], wave)
    set_explicit_styles(SHOPPER, [wave])
    noted = []

    def receiver(sender, style, product_ids, **kwargs):
        noted.append((style.slug, sorted(product_ids)))

    variants_missing.connect(receiver)
    try:
        render("{% stylerec_grid count=3 %}", make_request(SHOPPER))
    finally:
        variants_missing.disconnect(receiver)
    assert noted == [("great-wave", sorted(p.pk for p in products[1:3]))]


def test_grid_category_filter(make_product, category):
    from demo_shop.catalog.models import Category

    lamps = Category.objects.create(name="Lamps", slug="lamps")
    make_product(name="Blue mug")
    make_product(name="Desk lamp", cat=lamps)
    html = render("{% stylerec_grid count=10 category=cat %}", make_request(SHOPPER), cat=lamps)
    assert "Desk lamp" in html and "Blue mug" not in html


def _grid_queries(request, count: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        render(f"{{% stylerec_grid count={count} %}}", request)
    return len(queries)


def test_grid_costs_the_same_queries_for_4_and_24_products(make_product, wave, make_variant,
                                                          django_assert_num_queries):
    products = [make_product() for _ in range(24)]
    for product in products[::2]:
        make_variant(product, wave)
    set_explicit_styles(SHOPPER, [wave])
    _grid_queries(make_request(SHOPPER), 4)  # warm caches (treatment, content types)
    small = _grid_queries(make_request(SHOPPER), 4)
    assert small <= 8
    with django_assert_num_queries(small):
        html = render("{% stylerec_grid count=24 %}", make_request(SHOPPER))
    assert html.count("<article") == 24


class NoIOStorage(FileSystemStorage):
    """Builds URLs but fails on anything that touches files; counts url() calls."""

    url_calls = 0

    def url(self, name):
        type(self).url_calls += 1
        return super().url(name)

    def _fail(self, *args, **kwargs):
        raise AssertionError("a grid must not touch storage")

    exists = open = size = listdir = get_modified_time = get_accessed_time = get_created_time = path = _fail


def test_grid_makes_no_storage_calls(products, wave, make_variant, settings):
    for product in products[:3]:
        make_variant(product, wave)
    set_explicit_styles(SHOPPER, [wave])
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.storefront.test_tags.NoIOStorage", "OPTIONS": {"location": settings.MEDIA_ROOT}},
    }
    NoIOStorage.url_calls = 0
    with override_settings(STORAGES=storages):
        html = render("{% stylerec_grid count=6 %}", make_request(SHOPPER))
    assert html.count("<article") == 6
    assert NoIOStorage.url_calls == 6  # one URL per card, nothing else


def test_grid_uses_per_style_template_first(products, wave, make_variant, tmp_path, settings):
    (tmp_path / "stylerec" / "great-wave").mkdir(parents=True)
    (tmp_path / "stylerec" / "great-wave" / "grid.html").write_text("WAVE GRID {{ items|length }}")
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    set_explicit_styles(SHOPPER, [wave])
    with override_settings(TEMPLATES=templates):
        assert render("{% stylerec_grid count=2 %}", make_request(SHOPPER)).strip() == "WAVE GRID 2"
        # Without a style the generic template is used.
        assert "WAVE GRID" not in render("{% stylerec_grid count=2 %}", make_request(Shopper("session:b")))


def test_opted_out_shopper_sees_originals_and_default_theme(products, wave, make_variant):
    for product in products:
        make_variant(product, wave)
    set_explicit_styles(SHOPPER, [wave])
    set_personalisation(SHOPPER, False)
    request = make_request(SHOPPER)
    html = render("{% stylerec_theme %}{% stylerec_grid count=3 %}", request)
    assert 'data-stylerec-style="great-wave"' not in html
    assert "--stylerec-primary: #1f4e79;" in html


def test_grid_honours_an_experiment_arm_showing_originals(products, wave, make_variant):
    from stylerec_plugin.models.experiments import Experiment, ExperimentArm, ExperimentExposure

    for product in products:
        make_variant(product, wave)
    experiment = Experiment.objects.create(name="Originals vs restyled", slug="orig-vs-restyle", status="running")
    # Every shopper lands in the "original" arm (the other arm has no traffic).
    ExperimentArm.objects.create(experiment=experiment, name="original", weight=100, restyle=False, is_control=True)
    ExperimentArm.objects.create(experiment=experiment, name="restyled", weight=0, restyle=True)
    set_explicit_styles(SHOPPER, [wave])
    html = render("{% stylerec_grid count=3 %}", make_request(SHOPPER))
    assert 'data-stylerec-style="great-wave"' not in html
    assert 'data-stylerec-arm="original"' in html
    exposure = ExperimentExposure.objects.get(shopper_key=SHOPPER.key)
    assert exposure.restyle is False and len(exposure.product_ids) == 3


def test_enhanced_originals_for_shoppers_without_a_style(products, make_style, make_variant, settings):
    enhance = make_style("enhance", kind=StyleKind.ENHANCE, preset_weights={})
    make_variant(products[0], enhance)
    settings.STYLEREC = {**settings.STYLEREC, "ENHANCED_ORIGINALS": True}
    html = render("{% stylerec_photo product %}", make_request(SHOPPER), product=products[0])
    assert 'data-stylerec-style="enhance"' in html
    assert 'alt="Product 1"' in html  # enhanced photos are still "the product", not a style
    # Off: the raw original.
    settings.STYLEREC = {**settings.STYLEREC, "ENHANCED_ORIGINALS": False}
    html = render("{% stylerec_photo product %}", make_request(SHOPPER), product=products[0])
    assert 'data-stylerec-style="original"' in html


# --- the theme tag ----------------------------------------------------------------------


def test_theme_emits_css_custom_properties_for_the_shoppers_style(wave):
    set_explicit_styles(SHOPPER, [wave])
    html = render("{% stylerec_theme %}", make_request(SHOPPER))
    assert html.startswith('<style id="stylerec-theme" data-stylerec-style="great-wave">:root {')
    assert "--stylerec-primary: #123456;" in html
    assert "--stylerec-accent: #abcdef;" in html
    assert "--stylerec-font: Georgia" in html


HOSTILE = [
    "red;}</style><script>alert(1)</script>",
    '#fff" onload="alert(1)',
    "expression(alert(1))",
    "#12345g",
    "#123456;background:url(javascript:alert(1))",
    "#１２３４５６",  # full-width digits
    "#123456\u202e",  # right-to-left override
    "</style>",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_theme_never_emits_hostile_values_written_around_the_validators(wave, value):
    # A raw UPDATE skips model validation: the tag must still refuse the value.
    Style.objects.filter(pk=wave.pk).update(theme_primary=value[:7], theme_accent=value[:7], theme_font=value[:16])
    set_explicit_styles(SHOPPER, [wave])
    for source in ("{% stylerec_theme %}", '<div style="{% stylerec_theme_inline %}"></div>'):
        html = render(source, make_request(SHOPPER))
        assert "<script" not in html and "onload" not in html and "expression" not in html
        stored = value[:7]  # the column holds 7 characters; whatever fits is all that can reach the tag
        expected = stored if re.fullmatch(r"#[0-9a-fA-F]{6}", stored) else "#1f4e79"
        assert f"--stylerec-primary: {expected};" in html  # a broken value is replaced by the default
        assert html.count("<style") <= 1 and html.count("</style>") <= 1


def test_theme_selector_is_restricted(wave):
    html = render('{% stylerec_theme selector="x{}</style><script>" %}', make_request(SHOPPER))
    assert "<script" not in html and html.count("</style>") == 1
    assert ":root {" in html


def test_grid_img_markup_matches_the_photo_template(make_product, wave, make_variant):
    from django.template.loader import render_to_string

    from stylerec_plugin.storefront import photos_for

    ready = make_product(name='Cup "with" <b>tags</b> & more')
    plain = make_product()
    make_variant(ready, wave)
    for photo in photos_for([ready, plain], wave):
        from_template = render_to_string(
            "stylerec/photo.html", {"photo": photo, "sizes": "50vw", "css_class": "x", "loading": "lazy"}
        ).strip()
        assert photo.img_tag(sizes="50vw", css_class="x") == from_template


def test_grid_excludes_a_product_and_takes_sizes(products):
    html = render('{% stylerec_grid count=10 exclude=product sizes="33vw" %}', make_request(SHOPPER),
                  product=products[0])
    assert f'data-product-id="{products[0].pk}"' not in html
    assert html.count("<article") == len(products) - 1
    # sizes only appears with a srcset; originals here have a recorded width, so they have one.
    assert 'sizes="33vw"' in html
