"""The product adapter: the only code in StyleRec that reads the shop's product fields.

Everything else (restyling jobs and receivers, the storefront, recommendations, the
admin, the commands) asks :func:`get_product_adapter` instead of reading shop fields
itself, much like code asks ``get_user_model()`` instead of importing a user class::

    from stylerec_plugin.products import get_product_adapter

    products = get_product_adapter()
    products.photo_file(product)         # the FieldFile restyling starts from, or None
    products.name(product, request), products.price(product, request), products.url(product, request)
    products.category_filter(products.visible(), category)

The adapter follows the ``PRODUCT_*`` settings (the README's settings table), read on
every call so ``override_settings`` works:

- **where the photo lives**: a file field on the product (``PRODUCT_IMAGE_FIELD``);
  or the first image of a gallery model (``PRODUCT_IMAGE_MODEL`` with its foreign key,
  file field and ordering); or whatever a callable returns (``PRODUCT_PHOTO_FUNCTION``).
  With ``PRODUCT_PARENT_FIELD`` a child product without a photo of its own shows its
  parent's, and is not restyled separately (it shares the parent's variants);
- **which products shoppers may see**: ``PRODUCT_VISIBLE`` (a queryset method such as
  Oscar's ``browsable``, or a callable);
- **categories**: a foreign key or a many-to-many, a tree including descendants;
- **name, URL and price**: a field, or a callable ``f(product, request)`` (prices may
  depend on the shopper).

A shop whose rules do not fit the settings subclasses :class:`ProductAdapter` and names
it in ``STYLEREC["PRODUCT_ADAPTER"]``; an app may supply the adapter and its defaults
(``stylerec_plugin.contrib.oscar`` does, see :func:`stylerec_plugin.conf.app_defaults`).

The package: ``values`` (dotted paths, prices), ``photos`` (where photos live) and
``adapter`` (the class and :func:`get_product_adapter`); everything is importable from
here, and ``stylerec_plugin.products.ProductAdapter`` stays the dotted path settings name.
"""

from .adapter import ProductAdapter, get_product_adapter, with_descendants
from .photos import (
    PREFETCHED_IMAGES,
    FieldPhotos,
    FunctionPhotos,
    GalleryConfig,
    GalleryPhotos,
    PhotoSource,
    resolve_gallery,
)
from .values import AdapterSettingError, Price, import_callable, is_dotted_path, price_parts

__all__ = [
    "PREFETCHED_IMAGES",
    "AdapterSettingError",
    "FieldPhotos",
    "FunctionPhotos",
    "GalleryConfig",
    "GalleryPhotos",
    "PhotoSource",
    "Price",
    "ProductAdapter",
    "get_product_adapter",
    "import_callable",
    "is_dotted_path",
    "price_parts",
    "resolve_gallery",
    "with_descendants",
]
