"""Demo shop pages. Everything StyleRec-specific goes through the plugin's public API:
template tags, ``stylerec_plugin.storefront`` (photos, state, the grid service),
``stylerec_plugin.shoppers`` and ``stylerec_plugin.experiments``."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stylerec_plugin.experiments import has_live_experiment
from stylerec_plugin.models import Interaction, Style, StylePreference, VariantStatus
from stylerec_plugin.shoppers import (
    Shopper,
    delete_shopper_data,
    explicit_styles,
    export_shopper_data,
    personalisation_enabled,
    record_interaction,
    set_explicit_styles,
    set_personalisation,
)
from stylerec_plugin.storefront import (
    facts_and_variants,
    forget_storefront_state,
    original_photo,
    product_grid,
    ready_variants,
    storefront_state,
    variant_photo,
    variant_statuses,
)

from .cart import Cart
from .models import Category, Order, OrderLine, Product

PAGE_SIZE = 12
GRID_SIZE = 8
SWATCHES_PER_STYLE = 3
RECENT_INTERACTIONS = 20


def _categories(category: Category | None) -> list[Category] | None:
    return None if category is None else [category, *category.children.all()]


def _products_in(category: Category | None):
    products = Product.objects.select_related("category")
    if category is not None:
        products = products.filter(category__in=_categories(category))
    return products


def _enrol_new_visitor(request) -> None:
    """Give a first-time visitor a session while an experiment runs, so they can be assigned an arm.

    Without a running experiment no session is created: a first visit (or a crawler) costs no write.
    """
    if getattr(request, "shopper", None) is None and has_live_experiment():
        request.shopper = Shopper.from_request(request, create=True)


def _cards(request, products) -> list[tuple[Product, object]]:
    """Products with the photo this shopper should see (two queries for the whole page)."""
    # A product list is a surface of photo experiments too: the grid service counts what was shown.
    grid = product_grid(request, list(products), surface="list")
    return [(item.product, item.photo) for item in grid.items]


def home(request):
    _enrol_new_visitor(request)
    return render(request, "catalog/home.html", {"grid_size": GRID_SIZE})


def product_list(request, slug: str | None = None):
    _enrol_new_visitor(request)
    category = get_object_or_404(Category, slug=slug) if slug else None
    page = Paginator(_products_in(category), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/product_list.html",
        {
            "category": category,
            "category_ids": [c.pk for c in _categories(category)] if category else None,
            "page": page,
            "cards": _cards(request, page.object_list),
            "grid_size": 4,
        },
    )


def product_detail(request, slug: str):
    product = get_object_or_404(Product.objects.select_related("category"), slug=slug)
    shopper = Shopper.from_request(request)
    state = storefront_state(request)
    styles = list(Style.objects.filter(is_active=True))
    facts, variants = facts_and_variants([product.pk], styles)
    statuses = variant_statuses([product.pk], styles)
    known = facts.get(product.pk)
    original = original_photo(product, (known.width, known.height) if known else None)
    options = [{"slug": "original", "name": _("Original"), "photo": original, "status": VariantStatus.READY}]
    for style in styles:
        variant = variants.get((product.pk, style.pk))
        options.append(
            {
                "slug": style.slug,
                "name": style.name,
                "style": style,
                "photo": variant_photo(product, style, variant) if variant else None,
                "status": VariantStatus.READY if variant else statuses.get((product.pk, style.pk), "missing"),
            }
        )
    # Which photo to show first: ?show=<slug> (the no-JavaScript flip), else the shopper's style.
    wanted = request.GET.get("show") or (state.style.slug if state.style else "original")
    if wanted == "original" and state.fallback_style is not None and "show" not in request.GET:
        wanted = state.fallback_style.slug
    shown = next((o for o in options if o["slug"] == wanted and o["photo"] is not None), options[0])
    record_interaction(shopper, product, "view", style=shown.get("style"))
    return render(
        request,
        "catalog/product_detail.html",
        {"product": product, "options": options, "shown": shown, "original": original, "also_exclude": [product]},
    )


@require_POST
def cart_add(request, slug: str):
    product = get_object_or_404(Product, slug=slug)
    Cart(request).add(product)
    record_interaction(Shopper.from_request(request), product, "cart", style=storefront_state(request).style)
    messages.success(request, _("%(name)s is in your cart.") % {"name": product.name})
    return redirect(_safe_next(request) or "catalog:cart")


def _safe_next(request) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


@require_POST
def cart_remove(request, slug: str):
    Cart(request).remove(get_object_or_404(Product, slug=slug))
    return redirect("catalog:cart")


def cart_view(request):
    lines = Cart(request).lines()
    total = sum((p.price * q for p, q in lines), 0)
    return render(request, "catalog/cart.html", {"lines": lines, "total": total})


@require_POST
def place_order(request):
    cart = Cart(request)
    lines = cart.lines()
    if not lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("catalog:cart")
    shopper = Shopper.from_request(request)
    style = storefront_state(request).style
    with transaction.atomic():
        order = Order.objects.create(
            user=request.user if request.user.is_authenticated else None, shopper_key=shopper.key
        )
        for product, quantity in lines:
            OrderLine.objects.create(order=order, product=product, quantity=quantity, price=product.price)
            record_interaction(shopper, product, "purchase", style=style)
    cart.clear()
    return render(request, "catalog/order_placed.html", {"order": order})


def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, _("Welcome, %(name)s!") % {"name": user.username})
        return redirect("catalog:home")
    return render(request, "registration/signup.html", {"form": form})


def _swatches(styles: list[Style]) -> dict[int, list]:
    """A few restyled demo products per style, to show what each style looks like."""
    products = list(Product.objects.order_by("pk")[:48])
    variants = ready_variants([p.pk for p in products], styles)
    by_pk = {p.pk: p for p in products}
    swatches: dict[int, list] = {style.pk: [] for style in styles}
    for (product_id, style_id), variant in sorted(variants.items()):
        if len(swatches[style_id]) < SWATCHES_PER_STYLE:
            style = next(s for s in styles if s.pk == style_id)
            swatches[style_id].append(variant_photo(by_pk[product_id], style, variant))
    return swatches


def style_picker(request):
    shopper = Shopper.from_request(request)
    styles = list(Style.objects.filter(is_active=True))
    if request.method == "POST":
        by_slug = {style.slug: style for style in styles}
        if "originals" in request.POST:
            set_explicit_styles(shopper, [])
            messages.success(request, _("You will see the original photos."))
        else:
            favourite = by_slug.get(request.POST.get("favourite", ""))
            liked = [by_slug[slug] for slug in request.POST.getlist("liked") if slug in by_slug]
            picks = ([favourite] if favourite else []) + [s for s in liked if s != favourite]
            if not picks:
                messages.error(request, _("Pick a style first."))
                return redirect("catalog:styles")
            set_explicit_styles(shopper, picks)
            if not personalisation_enabled(shopper):
                messages.info(request, _("Personalisation is off, so the shop keeps showing original photos."))
            else:
                messages.success(request, _("The shop now follows the %(style)s style.") % {"style": picks[0].name})
        forget_storefront_state(request)
        return redirect("catalog:styles")
    picked = explicit_styles(shopper)
    swatches = _swatches(styles)
    return render(
        request,
        "catalog/style_picker.html",
        {
            "style_options": [(style, swatches[style.pk]) for style in styles],
            "picked_slugs": [s.slug for s in picked],
            "favourite": picked[0] if picked else None,
        },
    )


def your_data(request):
    shopper = Shopper.from_request(request)
    if request.method == "POST":
        action = request.POST.get("action")
        if action in {"personalisation_on", "personalisation_off"}:
            set_personalisation(shopper, action == "personalisation_on")
            if action == "personalisation_off":
                messages.success(request, _("Personalisation is off: you now see original photos and popular lists."))
            else:
                messages.success(request, _("Personalisation is on."))
        elif action == "delete":
            delete_shopper_data(shopper)
            messages.success(request, _("Your style choices and history are deleted."))
        forget_storefront_state(request)
        return redirect("catalog:your_data")
    preferences = (
        StylePreference.objects.filter(shopper_key=shopper.key).select_related("style").order_by("source", "-weight")
    )
    interactions = (
        Interaction.objects.filter(shopper_key=shopper.key)
        .select_related("product", "style")
        .order_by("-created_at")[:RECENT_INTERACTIONS]
    )
    return render(
        request,
        "catalog/your_data.html",
        {
            "preferences": preferences,
            "interactions": interactions,
            "personalisation": personalisation_enabled(shopper),
        },
    )


def your_data_download(request):
    shopper = Shopper.from_request(request)
    response = HttpResponse(
        json.dumps(export_shopper_data(shopper), indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-stylerec-data.json"'
    return response
