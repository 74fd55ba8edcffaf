from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stylerec_plugin.shoppers import Shopper, record_interaction

from .cart import Cart
from .models import Category, Order, OrderLine, Product

PAGE_SIZE = 12


def _products_in(category: Category | None):
    products = Product.objects.select_related("category")
    if category is not None:
        products = products.filter(category__in=[category, *category.children.all()])
    return products


def home(request):
    return render(request, "catalog/home.html", {"products": Product.objects.all()[:PAGE_SIZE]})


def product_list(request, slug: str | None = None):
    category = get_object_or_404(Category, slug=slug) if slug else None
    page = Paginator(_products_in(category), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalog/product_list.html", {"category": category, "page": page})


def product_detail(request, slug: str):
    product = get_object_or_404(Product.objects.select_related("category"), slug=slug)
    record_interaction(Shopper.from_request(request), product, "view")
    return render(request, "catalog/product_detail.html", {"product": product})


@require_POST
def cart_add(request, slug: str):
    product = get_object_or_404(Product, slug=slug)
    Cart(request).add(product)
    record_interaction(Shopper.from_request(request), product, "cart")
    messages.success(request, _("%(name)s is in your cart.") % {"name": product.name})
    return redirect(request.POST.get("next") or "catalog:cart")


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
    with transaction.atomic():
        order = Order.objects.create(
            user=request.user if request.user.is_authenticated else None, shopper_key=shopper.key
        )
        for product, quantity in lines:
            OrderLine.objects.create(order=order, product=product, quantity=quantity, price=product.price)
            record_interaction(shopper, product, "purchase")
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
