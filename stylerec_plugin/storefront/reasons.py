"""Reasons a grid card shows: why *this product*, in words a shopper can check.

The recommender says where a product came from (``reason_code``). What a card says
depends on the page it is shown on, so the grid decides the words:

- a page shown in one style makes "Matches your <style> style" tautological on every
  card, and naming any *other* style is confusing; a style-sourced product instead says
  what it is popular among ("Popular in Lamps"), so a reason never names a style;
- "More in <category>" and "Popular in <category>" name the product's own category
  when the shop has one (no query: the grid's products have it joined in);
- a grid is *personal* only when a card comes from the shopper's own signal (what they
  looked at, shoppers like them, the styles they chose); a shop says "Picked for you"
  only then (see :attr:`~.grid.Grid.personal`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ..products import get_product_adapter

# Codes that come from something this shopper did or chose.
PERSONAL_CODES = frozenset({"session", "similar_shoppers", "style"})


def is_personal(reason_code: str, personalised: bool) -> bool:
    """Whether a card with ``reason_code`` is there because of the shopper themselves."""
    return personalised and reason_code in PERSONAL_CODES


def card_reason(product: Any, reason: str, reason_code: str, *, in_category: bool = False) -> str:
    """The words a card shows for a recommendation the recommender explained with ``reason``.

    ``in_category``: the grid is limited to one category (a category page), where
    naming it again says nothing, so the generic wording is kept.
    """
    if reason_code not in {"style", "more", "popular"}:
        return reason  # "Because you looked at …", "Shoppers with similar taste liked this"
    category = None if in_category else get_product_adapter().category_name(product)
    if reason_code == "more":
        return _("More in %(category)s") % {"category": category} if category else _("More in this category")
    if reason_code == "style":
        # Ranked high by shoppers whose styles match this shopper's: say who, never which style.
        return _("Popular with shoppers who like your styles")
    return _("Popular in %(category)s") % {"category": category} if category else _("Popular with other shoppers")
