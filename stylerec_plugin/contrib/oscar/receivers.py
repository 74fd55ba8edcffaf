"""Tracking from Oscar's own signals: a product page view, a basket addition, a placed order.

Oscar sends these from its views (``product_viewed`` and ``basket_addition`` carry the
request; ``order_placed`` does not, so the request being served is read from
``ShopperMiddleware``). Each event goes through :func:`stylerec_plugin.shoppers.identity.track`:
a guest becomes a shopper on their first event (``GUEST_IDENTITY``, a cookie by default
here), an opted-out shopper is not recorded, and a child variant counts for its parent.
A failure never breaks Oscar's view: it is logged.
"""

from __future__ import annotations

import logging

from ...shoppers.identity import Shopper, current_request, track
from ...storefront.state import forget_storefront_state, storefront_state

logger = logging.getLogger(__name__)


def _shown_style(request):
    return storefront_state(request).style if request is not None else None


def product_viewed(sender, product, user=None, request=None, **kwargs) -> None:
    try:
        known = getattr(request, "shopper", None) is not None
        track(request, product, "view", style=_shown_style(request))
        if request is not None and not known:
            # A guest who just became a shopper: the page (rendered after this signal) is theirs.
            forget_storefront_state(request)
    except Exception:
        logger.exception("StyleRec: could not record the view of product %s", getattr(product, "pk", None))


def basket_addition(sender, product, user=None, request=None, **kwargs) -> None:
    try:
        track(request, product, "cart", style=_shown_style(request))
    except Exception:
        logger.exception("StyleRec: could not record the basket addition of product %s", getattr(product, "pk", None))


def order_placed(sender, order, user=None, **kwargs) -> None:
    request = current_request.get()
    try:
        if user is not None and getattr(user, "is_authenticated", False):
            shopper = Shopper.for_user(user)
        elif request is not None:
            shopper = Shopper.from_request(request, create=True)
        else:
            return  # a guest order placed outside a request (a command): nobody to credit
        style = _shown_style(request)
        for line in order.lines.select_related("product__parent"):
            if line.product is not None:
                track(request, line.product, "purchase", style=style, shopper=shopper)
    except Exception:
        logger.exception("StyleRec: could not record the purchases of order %s", getattr(order, "number", None))


def connect() -> None:
    """Connect to Oscar's signals (called from ``AppConfig.ready()``)."""
    from oscar.core.loading import get_class

    get_class("catalogue.signals", "product_viewed").connect(product_viewed, dispatch_uid="stylerec_oscar_viewed")
    get_class("basket.signals", "basket_addition").connect(basket_addition, dispatch_uid="stylerec_oscar_basket")
    get_class("order.signals", "order_placed").connect(order_placed, dispatch_uid="stylerec_oscar_order")
