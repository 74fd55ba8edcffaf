"""The style picker: trying a style is not liking it.

- **Try it**: the whole shop follows the style for this visit only (``try_style``); no
  choice is recorded, so trying all eight styles tells the recommender nothing.
- **Use this style**: records it as the shopper's style (a choice); the styles ticked
  "I like it" in the same form are kept as likes, earlier picks that are not ticked are not.
- **Save the styles I like**: the ticked styles become the likes; the chosen style stays.

Samples are chosen by photo quality (the pipeline's photo check), one product per
category, never smaller than 200 px.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stylerec_plugin.models import ProductPhoto, Style
from stylerec_plugin.shoppers import (
    Shopper,
    end_trial,
    explicit_styles,
    personalisation_enabled,
    set_explicit_styles,
    trial_style,
    try_style,
)
from stylerec_plugin.storefront import forget_storefront_state, ready_variants, variant_photo

from .models import Product

SWATCHES_PER_STYLE = 3
SAMPLE_MIN_WIDTH = 200
SAMPLE_CANDIDATES = 60


def _sample_products() -> list[Product]:
    """Products whose photos show a style best: the best-scored photos first (the pipeline's
    photo check), weak or small ones left out, then photos not analysed yet."""
    scored = list(
        ProductPhoto.objects.filter(is_weak=False, quality_score__isnull=False)
        .exclude(width__lt=SAMPLE_MIN_WIDTH)
        .order_by("-quality_score", "product_id")
        .values_list("product_id", flat=True)[:SAMPLE_CANDIDATES]
    )
    products = Product.objects.in_bulk(scored)
    ranked = [products[pk] for pk in scored if pk in products]
    if len(ranked) < SAMPLE_CANDIDATES:
        unscored = Product.objects.exclude(stylerec_photo__quality_score__isnull=False).order_by("pk")
        ranked += list(unscored[: SAMPLE_CANDIDATES - len(ranked)])
    return ranked


def _swatches(styles: list[Style]) -> dict[int, list]:
    """Up to three samples per style: restyled photos of different categories, best photos first."""
    products = _sample_products()
    variants = ready_variants([p.pk for p in products], styles)
    swatches: dict[int, list] = {}
    for style in styles:
        chosen, categories = [], set()
        for product in products:
            variant = variants.get((product.pk, style.pk))
            if variant is None or product.category_id in categories:
                continue
            if variant.width is not None and variant.width < SAMPLE_MIN_WIDTH:
                continue  # a sample is shown at 200 px or more: a smaller file would be blurred
            categories.add(product.category_id)
            chosen.append(variant_photo(product, style, variant))
            if len(chosen) == SWATCHES_PER_STYLE:
                break
        swatches[style.pk] = chosen
    return swatches


def _choose(request, shopper: Shopper, by_slug: dict[str, Style]):
    """Handle one picker form post; returns a redirect."""
    current = explicit_styles(shopper)
    liked = [by_slug[slug] for slug in request.POST.getlist("liked") if slug in by_slug]
    if "originals" in request.POST:
        set_explicit_styles(shopper, [])
        end_trial(request)
        messages.success(request, _("You will see the original photos."))
    elif "end_trial" in request.POST:
        end_trial(request)
        messages.success(request, _("Back to your own style."))
    elif "try" in request.POST:
        style = by_slug.get(request.POST["try"])
        if style is None:
            messages.error(request, _("Pick a style first."))
        else:
            try_style(request, style)  # the picker's banner says so: no message on top of it
    elif "use" in request.POST:
        style = by_slug.get(request.POST["use"])
        if style is None:
            messages.error(request, _("Pick a style first."))
            return redirect("catalog:styles")
        # The chosen style plus what is ticked now: earlier picks that are not ticked are dropped.
        set_explicit_styles(shopper, [style, *liked])
        end_trial(request)
        if not personalisation_enabled(shopper):
            messages.info(request, _("Personalisation is off, so the shop keeps showing original photos."))
        else:
            messages.success(request, _("Your style is now %(style)s.") % {"style": style.display_name})
    else:  # "Save the styles I like"
        favourite = current[0] if current else None
        likes = [s for s in liked if s != favourite]
        if not likes and favourite is None:
            messages.error(request, _("Tick the styles you like first."))
            return redirect("catalog:styles")
        set_explicit_styles(shopper, ([favourite] if favourite else []) + likes)
        messages.success(
            request,
            ngettext("%(n)d liked style saved.", "%(n)d liked styles saved.", len(likes)) % {"n": len(likes)},
        )
    forget_storefront_state(request)
    return redirect("catalog:styles")


def style_picker(request):
    shopper = Shopper.from_request(request)
    styles = list(Style.objects.filter(is_active=True).prefetch_related("translations"))
    if request.method == "POST":
        return _choose(request, shopper, {style.slug: style for style in styles})
    picked = explicit_styles(shopper)
    swatches = _swatches(styles)
    return render(
        request,
        "catalog/style_picker.html",
        {
            "style_options": [(style, swatches[style.pk]) for style in styles],
            # Only extra likes are ticked: the chosen style is shown as such, not as a like.
            "liked_slugs": [s.slug for s in picked[1:]],
            "favourite": picked[0] if picked else None,
            "trying": trial_style(request),
        },
    )
