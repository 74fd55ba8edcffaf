from .cart import Cart
from .models import Category


def shop(request) -> dict:
    return {
        "top_categories": Category.objects.filter(parent__isnull=True).prefetch_related("children"),
        "cart_count": Cart(request).count,
    }
