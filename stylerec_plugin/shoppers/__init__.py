"""Shoppers: who the shopper is, their style preferences, their privacy rights and their caches."""

from .._lazy import lazy_exports

__all__ = ["ShopperMiddleware"]

__getattr__, __dir__ = lazy_exports(__name__, {"ShopperMiddleware": ".identity"})
