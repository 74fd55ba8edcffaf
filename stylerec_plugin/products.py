"""The product adapter: the only code in StyleRec that reads the shop's product fields.

Everything else (restyling jobs, the storefront, recommendations, the admin, the
commands) asks :func:`get_product_adapter` instead of reading
``STYLEREC["PRODUCT_IMAGE_FIELD"]`` and friends itself, much like code asks
``get_user_model()`` instead of importing a user class::

    from stylerec_plugin.products import get_product_adapter

    products = get_product_adapter()
    products.photo_file(product)         # the FieldFile restyling starts from, or None
    products.name(product), products.price(product, request), products.url(product)
    products.category_filter(products.visible(), category)

The default adapter follows the ``PRODUCT_*`` settings: a file field on the product,
and optional name, price and category fields. Settings are read on every call, so
``override_settings`` works.

Where shops differ, there is one method to change (a subclass overrides it; the
real-shops work hooks settings into them):

- where the photo lives: :meth:`ProductAdapter.photo_file` (a gallery model, a
  callable, a parent product's photo), with :meth:`~ProductAdapter.with_photo`,
  :meth:`~ProductAdapter.photo_may_have_changed` and
  :meth:`~ProductAdapter.products_using_files` following it;
- which products shoppers may see: :meth:`~ProductAdapter.visible`;
- how categories filter: :meth:`~ProductAdapter.category_filter` (a tree could
  include descendants);
- prices that depend on the request: :meth:`~ProductAdapter.price` takes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models

from .conf import get_product_model, settings


class ProductAdapter:
    """How StyleRec reads the shop's products (see the module docstring)."""

    # --- the model and lookups ------------------------------------------------------------

    @property
    def model(self) -> type[models.Model]:
        """The product model (``STYLEREC["PRODUCT_MODEL"]``)."""
        return get_product_model()

    def queryset(self) -> models.QuerySet:
        """Every product StyleRec knows (the model's default manager): restyling works on all of them."""
        return self.model._default_manager.all()

    def visible(self, queryset: models.QuerySet | None = None) -> models.QuerySet:
        """The products a shopper may be shown; every product by default.

        Recommendations and grids start from this queryset, so a shop that hides
        products (unpublished, out of range) narrows it here.
        """
        return self.queryset() if queryset is None else queryset

    def get(self, pk: Any) -> models.Model | None:
        """One product by primary key, or None when it is gone."""
        return self.queryset().filter(pk=pk).first()

    def in_bulk(self, pks: Iterable[Any]) -> dict[Any, models.Model]:
        """Products by primary key, in one query."""
        return self.queryset().in_bulk(list(pks))

    # --- the photo --------------------------------------------------------------------------

    def image_field_name(self) -> str:
        """The name of the product's photo field (``PRODUCT_IMAGE_FIELD``)."""
        return settings.PRODUCT_IMAGE_FIELD

    def photo_file(self, product: Any):
        """The product's photo as a ``FieldFile`` (storage and name), or None when it has none."""
        field_file = getattr(product, self.image_field_name(), None)
        return field_file if field_file else None

    def photo_name(self, product: Any) -> str:
        """The photo's file name in its storage ("" when there is no photo)."""
        field_file = self.photo_file(product)
        return field_file.name if field_file is not None else ""

    def photo_url(self, product: Any) -> str:
        """The original photo's URL ("" when there is none or the storage cannot say)."""
        field_file = self.photo_file(product)
        if field_file is None:
            return ""
        try:
            return field_file.storage.url(field_file.name)
        except ValueError:
            return ""

    def read_photo(self, product: Any) -> bytes:
        """The photo's bytes through its storage.

        Raises ``ValueError`` when the product has no photo and ``FileNotFoundError``
        when the file is missing from storage.
        """
        field_file = self.photo_file(product)
        if field_file is None:
            raise ValueError("the product has no photo")
        with field_file.storage.open(field_file.name, "rb") as handle:
            return handle.read()

    def with_photo(self, queryset: models.QuerySet) -> models.QuerySet:
        """``queryset`` loading only what :meth:`photo_file` needs (commands walk every product)."""
        return queryset.only("pk", self.image_field_name())

    def photo_may_have_changed(self, update_fields: Iterable[str] | None) -> bool:
        """Whether a product save with these ``update_fields`` may have changed the photo."""
        return update_fields is None or self.image_field_name() in update_fields

    def products_using_files(self, names: Sequence[str]) -> set[str]:
        """The names among ``names`` that are some product's photo (never to be deleted)."""
        field = self.image_field_name()
        return set(self.queryset().filter(**{f"{field}__in": list(names)}).values_list(field, flat=True))

    # --- what shoppers read -------------------------------------------------------------------

    def name(self, product: Any) -> str:
        """The product's name for alt texts, grids and reasons (its ``str()`` when the field is empty)."""
        return str(getattr(product, settings.PRODUCT_NAME_FIELD, "") or product)

    def price(self, product: Any, request: Any = None) -> Any:
        """The product's price, or None. ``request`` is for shops whose prices depend on the shopper."""
        return getattr(product, settings.PRODUCT_PRICE_FIELD, None)

    def url(self, product: Any) -> str:
        """The product page's path (``get_absolute_url()``), or "" when the model has none."""
        getter = getattr(product, "get_absolute_url", None)
        return getter() if callable(getter) else ""

    # --- categories ---------------------------------------------------------------------------

    def category_filter(self, queryset: models.QuerySet, category: Any) -> models.QuerySet:
        """``queryset`` narrowed to ``category``: one value, a model instance or several of them."""
        return queryset.filter(**{f"{settings.PRODUCT_CATEGORY_FIELD}__in": _category_values(category)})

    def for_listing(self, queryset: models.QuerySet) -> models.QuerySet:
        """``queryset`` with what a grid reads joined in (a foreign-key category), so it costs one query."""
        field_name = settings.PRODUCT_CATEGORY_FIELD
        try:
            field = self.model._meta.get_field(field_name)
        except Exception:
            return queryset
        if field.is_relation and field.many_to_one:
            return queryset.select_related(field_name)
        return queryset


def _category_values(category: Any) -> list:
    if isinstance(category, str | bytes | int) or isinstance(category, models.Model):
        category = [category]
    return [getattr(value, "pk", value) for value in category]


_default_adapter = ProductAdapter()


def get_product_adapter() -> ProductAdapter:
    """The adapter StyleRec reads products through (like ``get_user_model()``)."""
    return _default_adapter
