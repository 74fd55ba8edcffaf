"""A session cart: product pk -> quantity."""

from __future__ import annotations

from .models import Product

SESSION_KEY = "demo_cart"
MAX_QUANTITY = 99


class Cart:
    def __init__(self, request) -> None:
        self.session = request.session
        self.items: dict[str, int] = dict(self.session.get(SESSION_KEY, {}))

    @property
    def count(self) -> int:
        return sum(self.items.values())

    def add(self, product: Product, quantity: int = 1) -> None:
        key = str(product.pk)
        self.items[key] = min(self.items.get(key, 0) + quantity, MAX_QUANTITY)
        self._save()

    def set(self, product: Product, quantity: int) -> None:
        """Set a line's quantity (0 removes it; more than MAX_QUANTITY is capped)."""
        quantity = max(0, min(int(quantity), MAX_QUANTITY))
        if quantity:
            self.items[str(product.pk)] = quantity
            self._save()
        else:
            self.remove(product)

    def remove(self, product: Product) -> None:
        self.items.pop(str(product.pk), None)
        self._save()

    def clear(self) -> None:
        self.items = {}
        self._save()

    def lines(self) -> list[tuple[Product, int]]:
        products = Product.objects.in_bulk([int(k) for k in self.items])
        return [(products[int(k)], q) for k, q in self.items.items() if int(k) in products]

    def _save(self) -> None:
        self.session[SESSION_KEY] = self.items
        self.session.modified = True
