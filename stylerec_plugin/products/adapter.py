"""The adapter class and the one function that hands it out (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Q, prefetch_related_objects

from ..conf import get_product_model, settings
from .photos import FieldPhotos, FunctionPhotos, GalleryPhotos, PhotoSource, resolve_gallery
from .values import import_callable, is_dotted_path


class ProductAdapter:
    """How StyleRec reads the shop's products (see the module docstring)."""

    # --- the model and lookups ------------------------------------------------------------

    @property
    def model(self) -> type[models.Model]:
        """The product model (``STYLEREC["PRODUCT_MODEL"]``)."""
        return get_product_model()

    def queryset(self) -> models.QuerySet:
        """Every product StyleRec knows (the model's default manager)."""
        return self.model._default_manager.all()

    def visible(self, queryset: models.QuerySet | None = None) -> models.QuerySet:
        """The products a shopper may be shown (``PRODUCT_VISIBLE``; every product by default).

        Recommendations and grids start from this queryset, so hidden products (not
        public, child variants) are never recommended.
        """
        queryset = self.queryset() if queryset is None else queryset
        hook = settings.PRODUCT_VISIBLE
        if not hook:
            return queryset
        if is_dotted_path(hook):
            return import_callable(hook)(queryset)
        method = getattr(queryset, hook, None)
        if method is None:
            raise ImproperlyConfigured(f"STYLEREC['PRODUCT_VISIBLE'] is {hook!r}, not a method of the product queryset")
        return method()

    def get(self, pk: Any) -> models.Model | None:
        """One product by primary key, or None when it is gone."""
        return self.queryset().filter(pk=pk).first()

    def in_bulk(self, pks: Iterable[Any]) -> dict[Any, models.Model]:
        """Products by primary key, in one query."""
        return self.queryset().in_bulk(list(pks))

    # --- the photo --------------------------------------------------------------------------

    def photo_source(self) -> PhotoSource:
        """Where photos live, from the settings (function > gallery model > product field)."""
        key = (
            settings.PRODUCT_MODEL,
            settings.PRODUCT_PHOTO_FUNCTION,
            settings.PRODUCT_IMAGE_MODEL,
            settings.PRODUCT_IMAGE_FK,
            settings.PRODUCT_IMAGE_FILE_FIELD,
            tuple(settings.PRODUCT_IMAGE_ORDERING or ()),
            settings.PRODUCT_IMAGE_FIELD,
        )
        cached = getattr(self, "_source", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        function, image_model = settings.PRODUCT_PHOTO_FUNCTION, settings.PRODUCT_IMAGE_MODEL
        if function:
            source: PhotoSource = FunctionPhotos(import_callable(function))
        elif image_model:
            config = resolve_gallery(self.model)
            source = GalleryPhotos(config.image_model, config.fk_name, config.file_field, config.ordering)
        else:
            source = FieldPhotos(self.model, settings.PRODUCT_IMAGE_FIELD)
        self._source = (key, source)
        return source

    def image_field_name(self) -> str:
        """The product's own photo field (``PRODUCT_IMAGE_FIELD``), used when no gallery or function is set."""
        return settings.PRODUCT_IMAGE_FIELD

    def uses_product_field(self) -> bool:
        """Whether the photo is a file field on the product itself (no gallery model, no function)."""
        return isinstance(self.photo_source(), FieldPhotos)

    def parent_field(self) -> str | None:
        """``PRODUCT_PARENT_FIELD``: the foreign key from a child product to its parent, or None."""
        return settings.PRODUCT_PARENT_FIELD or None

    def parent_id(self, product: Any) -> Any:
        field = self.parent_field()
        if not field:
            return None
        return getattr(product, self.model._meta.get_field(field).attname, None)

    def own_photo_file(self, product: Any):
        """The product's own photo (never its parent's), or None."""
        return self.photo_source().own_photo(product)

    def photo_file(self, product: Any):
        """The product's photo as a ``FieldFile`` (storage and name), or None when it has none.

        A child without a photo of its own gets its parent's (``PRODUCT_PARENT_FIELD``).
        """
        own = self.own_photo_file(product)
        if own is not None or self.parent_id(product) is None:
            return own
        parent = getattr(product, self.parent_field(), None)
        return self.own_photo_file(parent) if parent is not None else None

    def uses_parent_photo(self, product: Any) -> bool:
        """A child that shows its parent's photo: it has no variants of its own."""
        return self.parent_id(product) is not None and self.own_photo_file(product) is None

    def prefetch_photos(self, products: Sequence[Any]) -> None:
        """Load what :meth:`photo_file` reads for ``products`` (a gallery, parents) in a few queries."""
        field = self.parent_field()
        children = [product for product in products if self.parent_id(product) is not None] if field else []
        if children:
            prefetch_related_objects(children, field)
        self.photo_source().prefetch([*products, *(getattr(child, field) for child in children)])

    def photo_owner_ids(self, products: Sequence[Any]) -> dict[Any, Any]:
        """Whose variants each product shows: its own, or its parent's (a constant number of queries)."""
        owners = {product.pk: product.pk for product in products}
        children = [product for product in products if self.parent_id(product) is not None]
        if children:
            with_own = self.photo_source().with_own_photo(children)
            for child in children:
                if child.pk not in with_own:
                    owners[child.pk] = self.parent_id(child)
        return owners

    def restyled(self, queryset: models.QuerySet | None = None) -> models.QuerySet:
        """The products that get variants: all, less children that show their parent's photo."""
        queryset = self.queryset() if queryset is None else queryset
        field = self.parent_field()
        condition = self.photo_source().own_photo_condition() if field else None
        if condition is None:
            return queryset
        return queryset.filter(Q(**{f"{field}__isnull": True}) | Q(condition))

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
        """``queryset`` loading what :meth:`photo_file` needs in a constant number of queries."""
        return self.photo_source().with_photo(queryset, also=[self.parent_field()] if self.parent_field() else [])

    def photo_may_have_changed(self, update_fields: Iterable[str] | None) -> bool:
        """Whether a product save with these ``update_fields`` may have changed the photo."""
        if self.parent_field() and update_fields is not None and self.parent_field() in update_fields:
            return True
        return self.photo_source().photo_may_have_changed(update_fields)

    def products_using_files(self, names: Sequence[str]) -> set[str]:
        """The names among ``names`` that are some product's photo (never to be deleted)."""
        return self.photo_source().names_in_use(names) if names else set()

    def photo_models(self) -> list[type[models.Model]]:
        """Models other than the product whose saves and deletes change photos (a gallery)."""
        return self.photo_source().photo_models()

    def products_of_photo_row(self, row: models.Model) -> list[Any]:
        """The products whose photo may have changed when this gallery row changed."""
        return self.photo_source().products_of_row(row)

    # --- what shoppers read -------------------------------------------------------------------

    def _read(self, product: Any, setting: str, request: Any) -> Any:
        value = getattr(settings, setting)
        if is_dotted_path(value):
            return import_callable(value)(product, request)
        attribute = getattr(product, value, None) if value else None
        return attribute() if callable(attribute) else attribute

    def name(self, product: Any, request: Any = None) -> str:
        """The product's name for alt texts, grids and reasons (its ``str()`` when there is none)."""
        return str(self._read(product, "PRODUCT_NAME_FIELD", request) or product)

    def price(self, product: Any, request: Any = None) -> Any:
        """The product's price, or None. ``request`` is for shops whose prices depend on the shopper."""
        return self._read(product, "PRODUCT_PRICE_FIELD", request)

    def url(self, product: Any, request: Any = None) -> str:
        """The product page's path (``PRODUCT_URL``, else ``get_absolute_url()``), or ""."""
        path = settings.PRODUCT_URL
        if is_dotted_path(path):
            return import_callable(path)(product, request) or ""
        getter = getattr(product, "get_absolute_url", None)
        return getter() if callable(getter) else ""

    def tracked_product(self, product: Any) -> Any:
        """The product an event counts for: a child variant's parent (what shoppers browse)."""
        if self.parent_id(product) is None:
            return product
        return getattr(product, self.parent_field())

    def hand_picked(self, product_ids: Iterable[Any]) -> dict[Any, list[Any]]:
        """Products the shop hand-picked to go with each of ``product_ids``, best first (none by default).

        Recommendations boost them next to what a shopper looked at, and fall back on
        them before the first model is trained.
        """
        return {}

    # --- categories ---------------------------------------------------------------------------

    def category_field(self) -> models.Field | None:
        """The product's category field (``PRODUCT_CATEGORY_FIELD``), or None when it has none."""
        name = settings.PRODUCT_CATEGORY_FIELD
        if not name:
            return None
        try:
            return self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None

    def category_filter(self, queryset: models.QuerySet, category: Any) -> models.QuerySet:
        """``queryset`` narrowed to ``category`` (a value, a model instance or several), with descendants.

        A foreign key or a many-to-many; a many-to-many never repeats a product. In a
        tree (treebeard, django-mptt, or a foreign key to the category's own model)
        products of subcategories are included unless ``PRODUCT_CATEGORY_DESCENDANTS``
        is False. A shop without a category field gets nothing for a category.
        """
        field = self.category_field()
        if field is None:
            return queryset.none()
        values = _category_values(category)
        if field.is_relation and settings.PRODUCT_CATEGORY_DESCENDANTS:
            values = with_descendants(field.related_model, values)
        lookup = {f"{field.name}__in": values}
        if field.many_to_many or field.one_to_many:
            return queryset.filter(pk__in=self.model._default_manager.filter(**lookup).values("pk"))
        return queryset.filter(**lookup)

    def category_name(self, product: Any) -> str | None:
        """The name of the product's category for a card's reason ("More in Lamps"), or None.

        Only a foreign key is read (``for_listing`` joins it in, so no query); a shop
        with several categories per product gets None rather than a query per card.
        """
        field = self.category_field()
        if field is None or not (field.is_relation and field.many_to_one):
            return None
        category = getattr(product, field.name, None)
        if category is None:
            return None
        return str(getattr(category, "name", "") or category)

    def for_listing(self, queryset: models.QuerySet) -> models.QuerySet:
        """``queryset`` with what a grid reads joined in, so it costs a constant number of queries."""
        field = self.category_field()
        if field is not None and field.is_relation and field.many_to_one:
            queryset = queryset.select_related(field.name)
        return queryset


def _category_values(category: Any) -> list:
    if isinstance(category, str | bytes | int) or isinstance(category, models.Model):
        category = [category]
    return [getattr(value, "pk", value) for value in category]


def with_descendants(category_model: type[models.Model], pks: list) -> list:
    """``pks`` and every category below them: treebeard paths, mptt ranges or a parent foreign key."""
    manager = category_model._default_manager
    names = {f.name for f in category_model._meta.concrete_fields}
    if not pks:
        return pks
    if "path" in names and hasattr(category_model, "steplen"):  # treebeard materialised path
        paths = list(manager.filter(pk__in=pks).values_list("path", flat=True))
        if not paths:
            return pks
        condition = Q()
        for path in paths:
            condition |= Q(path__startswith=path)
        return list(manager.filter(condition).values_list("pk", flat=True))
    mptt = getattr(category_model, "_mptt_meta", None)
    if mptt is not None:
        tree, left, right = mptt.tree_id_attr, mptt.left_attr, mptt.right_attr
        condition = Q()
        for row in manager.filter(pk__in=pks).values(tree, left, right):
            condition |= Q(**{tree: row[tree], f"{left}__gte": row[left], f"{right}__lte": row[right]})
        return list(manager.filter(condition).values_list("pk", flat=True)) if condition else pks
    parents = [f for f in category_model._meta.concrete_fields if f.many_to_one and f.related_model is category_model]
    if len(parents) != 1:
        return pks
    found, frontier = set(pks), set(pks)
    while frontier:  # one query per level of the tree
        frontier = set(manager.filter(**{f"{parents[0].name}__in": frontier}).values_list("pk", flat=True)) - found
        found |= frontier
    return list(found)


_adapters: dict[str, ProductAdapter] = {}


def get_product_adapter() -> ProductAdapter:
    """The adapter StyleRec reads products through (``STYLEREC["PRODUCT_ADAPTER"]``, like ``get_user_model()``)."""
    path = settings.PRODUCT_ADAPTER or "stylerec_plugin.products.ProductAdapter"
    adapter = _adapters.get(path)
    if adapter is None:
        adapter_class = import_callable(path)
        if not (isinstance(adapter_class, type) and issubclass(adapter_class, ProductAdapter)):
            raise ImproperlyConfigured(f"STYLEREC['PRODUCT_ADAPTER'] is {path!r}, not a ProductAdapter subclass")
        adapter = _adapters[path] = adapter_class()
    return adapter
