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
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from stylerec_plugin.experiments import has_live_experiment
from stylerec_plugin.models import Interaction, Style, StylePreference, VariantStatus
from stylerec_plugin.shoppers import (
    Shopper,
    delete_shopper_data,
    export_shopper_data,
    personalisation_enabled,
    record_interaction,
    set_personalisation,
)
from stylerec_plugin.storefront import (
    facts_and_variants,
    forget_storefront_state,
    original_photo,
    product_grid,
    storefront_state,
    variant_photo,
    variant_statuses,
)

from .cart import MAX_QUANTITY, Cart
from .models import Category, Order, OrderLine, Product

PAGE_SIZE = 12
GRID_SIZE = 8
RECENT_INTERACTIONS = 20
CATEGORY_GRID_SIZE = 4
# ?sort= values: (label, ordering).
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": (_lazy("Name"), ("name",)),
    "price": (_lazy("Price: low to high"), ("price", "name")),
    "-price": (_lazy("Price: high to low"), ("-price", "name")),
    "newest": (_lazy("Newest first"), ("-created_at", "name")),
}
ORDERS_SESSION_KEY = "demo_orders"


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
    # The grid decides "Picked for you" itself: it knows whether any card is personal.
    return render(request, "catalog/home.html", {"grid_size": GRID_SIZE})


def _search(products, query: str):
    for word in query.split()[:8]:
        products = products.filter(Q(name__icontains=word) | Q(description__icontains=word))
    return products


def product_list(request, slug: str | None = None):
    _enrol_new_visitor(request)
    category = get_object_or_404(Category, slug=slug) if slug else None
    query = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort", "name")
    if sort not in SORTS:
        sort = "name"
    products = _products_in(category).order_by(*SORTS[sort][1])
    if query:
        products = _search(products, query)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    # Recommendations sit above the list only where they can add something: products of this
    # category that are not already listed on this page (they are excluded from the grid).
    show_recommendations = (
        category is not None and not query and page.number == 1 and page.paginator.count > len(listed)
    )
    kept = {key: value for key, value in (("q", query), ("sort", sort if sort != "name" else "")) if value}
    return render(
        request,
        "catalog/product_list.html",
        {
            "category": category,
            "category_ids": [c.pk for c in _categories(category)] if category else None,
            "page": page,
            "cards": _cards(request, listed),
            "grid_size": CATEGORY_GRID_SIZE,
            "listed_ids": [product.pk for product in listed],
            "show_recommendations": show_recommendations,
            "search_query": query,
            "sort": sort,
            "sort_choices": [(key, label) for key, (label, _ordering) in SORTS.items()],
            "query_prefix": urlencode(kept) + "&" if kept else "",
        },
    )


def product_detail(request, slug: str):
    product = get_object_or_404(Product.objects.select_related("category"), slug=slug)
    shopper = Shopper.from_request(request)
    state = storefront_state(request)
    styles = list(Style.objects.filter(is_active=True).prefetch_related("translations"))
    facts, variants = facts_and_variants([product.pk], styles)
    statuses = variant_statuses([product.pk], styles)
    known = facts.get(product.pk)
    original = original_photo(
        product, (known.width, known.height) if known else None, copies=known.copies if known else None
    )
    options = [{"slug": "original", "name": _("Original"), "photo": original, "status": VariantStatus.READY}]
    for style in styles:
        variant = variants.get((product.pk, style.pk))
        options.append(
            {
                "slug": style.slug,
                "name": style.display_name,
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


@require_POST
def cart_update(request, slug: str):
    product = get_object_or_404(Product, slug=slug)
    try:
        quantity = int(request.POST.get("quantity", ""))
    except ValueError:
        messages.error(request, _("Enter a quantity from 0 to %(max)d.") % {"max": MAX_QUANTITY})
        return redirect("catalog:cart")
    Cart(request).set(product, quantity)
    if quantity <= 0:
        messages.success(request, _("%(name)s is no longer in your cart.") % {"name": product.name})
    return redirect("catalog:cart")


def _priced(lines) -> tuple[list[dict], object]:
    rows = [{"product": product, "quantity": quantity, "price": price, "subtotal": price * quantity}
            for product, quantity, price in lines]
    return rows, sum((row["subtotal"] for row in rows), 0)


def cart_view(request):
    lines, total = _priced((product, quantity, product.price) for product, quantity in Cart(request).lines())
    return render(
        request,
        "catalog/cart.html",
        {"lines": lines, "total": total, "count": sum(line["quantity"] for line in lines),
         "max_quantity": MAX_QUANTITY},
    )


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
    # Remember the order in the session, so an anonymous shopper can see its summary.
    request.session[ORDERS_SESSION_KEY] = [*request.session.get(ORDERS_SESSION_KEY, []), order.pk][-20:]
    # Redirect after POST: reloading the summary never places the order again.
    return redirect(f"{reverse('catalog:order', args=[order.pk])}?placed=1")


def order_detail(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    mine = pk in request.session.get(ORDERS_SESSION_KEY, []) or (
        request.user.is_authenticated and order.user_id == request.user.pk
    )
    if not mine:
        raise Http404("No such order")
    lines, total = _priced(
        (line.product, line.quantity, line.price) for line in order.lines.select_related("product").order_by("pk")
    )
    return render(
        request,
        "catalog/order_placed.html",
        {"order": order, "lines": lines, "total": total, "just_placed": request.GET.get("placed") == "1"},
    )


def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, _("Welcome, %(name)s!") % {"name": user.username})
        return redirect("catalog:home")
    return render(request, "registration/signup.html", {"form": form})


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
        StylePreference.objects.filter(shopper_key=shopper.key)
        .select_related("style")
        .prefetch_related("style__translations")
        .order_by("source", "-weight")
    )
    interactions = (
        Interaction.objects.filter(shopper_key=shopper.key)
        .select_related("product", "style")
        .prefetch_related("style__translations")
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
