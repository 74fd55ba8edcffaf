"""Shoppers: who the shopper is, their styles, their data rights, and what is cached about them.

- :mod:`.identity`     ``Shopper`` (a user or a guest as one key), guests by session or cookie, consent,
                       events (``track``), merging
- :mod:`.middleware`   ``ShopperMiddleware``: ``request.shopper`` on every request
- :mod:`.receivers`    the one login receiver, and the receivers that keep the cache right
- :mod:`.preferences`  explicit picks beat learned styles; trying a style for a session; the style per request
- :mod:`.privacy`      export or delete everything about a shopper
- :mod:`.cache`        a shopper's style and recent events across requests

``stylerec_plugin.shoppers.ShopperMiddleware`` and the names below are the public paths.
"""

from .._lazy import lazy_exports

__all__ = [
    "SESSION_SHOPPER_KEY",
    "Shopper",
    "ShopperMiddleware",
    "TRIAL_SESSION_KEY",
    "delete_shopper_data",
    "end_trial",
    "explicit_styles",
    "export_shopper_data",
    "merge_shoppers",
    "personalisation_enabled",
    "record_interaction",
    "set_explicit_styles",
    "set_personalisation",
    "shopper_style",
    "shopper_styles",
    "style_for_request",
    "track",
    "trial_style",
    "try_style",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(
            [
                "SESSION_SHOPPER_KEY",
                "Shopper",
                "merge_shoppers",
                "personalisation_enabled",
                "record_interaction",
                "set_personalisation",
                "track",
            ],
            ".identity",
        ),
        "ShopperMiddleware": ".middleware",
        **dict.fromkeys(
            [
                "TRIAL_SESSION_KEY",
                "end_trial",
                "explicit_styles",
                "set_explicit_styles",
                "shopper_style",
                "shopper_styles",
                "style_for_request",
                "trial_style",
                "try_style",
            ],
            ".preferences",
        ),
        **dict.fromkeys(["delete_shopper_data", "export_shopper_data"], ".privacy"),
    },
)
