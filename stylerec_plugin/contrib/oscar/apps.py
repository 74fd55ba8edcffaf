from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ADAPTER = "stylerec_plugin.contrib.oscar.adapter.OscarProductAdapter"


class StyleRecOscarConfig(AppConfig):
    """StyleRec for django-oscar: the adapter, tracking from Oscar's signals, template overrides.

    List it *before* Oscar's apps (``oscar.config.Shop``) so that its templates override
    Oscar's product partial, gallery and browse page; listed after them, include the
    snippets in your own overrides (``stylerec.W050`` says when no StyleRec photo shows).
    """

    name = "stylerec_plugin.contrib.oscar"
    label = "stylerec_oscar"
    verbose_name = _("StyleRec for Oscar")

    # STYLEREC defaults for an Oscar catalogue; the shop's own STYLEREC still wins.
    stylerec_defaults = {
        "PRODUCT_MODEL": "catalogue.Product",
        "PRODUCT_ADAPTER": ADAPTER,
        "PRODUCT_IMAGE_MODEL": "catalogue.ProductImage",
        "PRODUCT_IMAGE_FK": "product",
        "PRODUCT_IMAGE_FILE_FIELD": "original",
        "PRODUCT_IMAGE_ORDERING": ["display_order", "pk"],
        "PRODUCT_PARENT_FIELD": "parent",
        "PRODUCT_VISIBLE": "browsable",
        "PRODUCT_CATEGORY_FIELD": "categories",
        # Oscar gives guests no session (their basket lives in a cookie): a cookie of our
        # own costs no session row per visitor.
        "GUEST_IDENTITY": "cookie",
    }

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the template checks)
        from .receivers import connect

        connect()
