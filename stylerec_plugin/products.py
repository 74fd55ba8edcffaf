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
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.utils.module_loading import import_string

from .conf import get_product_model, settings

# A gallery's images, prefetched by :meth:`ProductAdapter.with_photo` (our own attribute:
# a shop's prefetch of the same relation stays untouched).
PREFETCHED_IMAGES = "_stylerec_gallery"


class AdapterSettingError(ImproperlyConfigured):
    """A ``PRODUCT_*`` setting that does not fit the models; ``setting`` names it (the checks map it to an id)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


def is_dotted_path(value: Any) -> bool:
    """A setting value with a dot is a dotted path to a callable; field and method names have none."""
    return isinstance(value, str) and "." in value


@functools.lru_cache(maxsize=64)
def import_callable(path: str) -> Callable:
    """The callable at ``path``; ``ImproperlyConfigured`` when it cannot be imported or called."""
    try:
        target = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{path!r} cannot be imported: {exc}") from exc
    if not callable(target):
        raise ImproperlyConfigured(f"{path!r} is not callable")
    return target


@dataclass(frozen=True)
class Price:
    """A price an adapter computed: the amount, its currency and how the shop writes it.

    ``str()`` gives the shop's text ("£12.99"), so a grid shows it as is; the API sends
    the amount and the currency apart.
    """

    amount: Decimal
    currency: str | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text or str(self.amount)


def price_parts(price: Any) -> tuple[str | None, str | None]:
    """``(amount, currency)`` as strings for the API, from a :class:`Price` or a plain value."""
    if price is None:
        return None, None
    if isinstance(price, Price):
        return str(price.amount), price.currency
    return str(price), None


# --------------------------------------------------------------------------- photo sources


class PhotoSource:
    """Where a product's own photo lives. One subclass per kind of shop (see the module docstring)."""

    #: The product saves that may change the photo (False: the photo lives elsewhere).
    follows_product_saves = True

    def own_photo(self, product: Any):
        """The product's own photo as a ``FieldFile``, or None."""
        raise NotImplementedError

    def with_photo(self, queryset: models.QuerySet, also: Sequence[str] = ()) -> models.QuerySet:
        """``queryset`` loading the photo (and the fields ``also``) in a constant number of queries."""
        return queryset

    def prefetch(self, products: Sequence[Any]) -> None:
        """Load the photos of ``products`` in a constant number of queries (nothing to do for a field)."""

    def photo_may_have_changed(self, update_fields: Iterable[str] | None) -> bool:
        return True

    def names_in_use(self, names: Sequence[str]) -> set[str]:
        """The names among ``names`` that are some product's photo."""
        return set()

    def with_own_photo(self, products: Sequence[Any]) -> set[Any]:
        """The primary keys of ``products`` that have a photo of their own."""
        return {product.pk for product in products if self.own_photo(product) is not None}

    def own_photo_condition(self) -> Q | Exists | None:
        """A filter for products with a photo of their own (None: cannot be expressed in SQL)."""
        return None

    def photo_models(self) -> list[type[models.Model]]:
        """Models (other than the product) whose rows hold photos: their changes queue work."""
        return []

    def products_of_row(self, row: models.Model) -> list[Any]:
        """The product primary keys a photo row belongs to."""
        return []


class FieldPhotos(PhotoSource):
    """A file field on the product (``PRODUCT_IMAGE_FIELD``): ``store.Item.picture``."""

    def __init__(self, model: type[models.Model], field_name: str) -> None:
        self.field_name = field_name

    def own_photo(self, product: Any):
        field_file = getattr(product, self.field_name, None)
        return field_file if field_file else None

    def with_photo(self, queryset: models.QuerySet, also: Sequence[str] = ()) -> models.QuerySet:
        return queryset.only("pk", self.field_name, *also)

    def photo_may_have_changed(self, update_fields: Iterable[str] | None) -> bool:
        return update_fields is None or self.field_name in update_fields

    def names_in_use(self, names: Sequence[str]) -> set[str]:
        model = get_product_model()
        field = self.field_name
        return set(model._default_manager.filter(**{f"{field}__in": list(names)}).values_list(field, flat=True))

    def own_photo_condition(self) -> Q:
        return ~Q(**{self.field_name: ""}) & Q(**{f"{self.field_name}__isnull": False})


class GalleryPhotos(PhotoSource):
    """The first image of a gallery model (``PRODUCT_IMAGE_MODEL``): Oscar's ``ProductImage``."""

    follows_product_saves = False

    def __init__(self, image_model: type[models.Model], fk_name: str, file_field: str, ordering: Sequence[str]):
        self.image_model = image_model
        self.fk = image_model._meta.get_field(fk_name)
        self.file_field = file_field
        self.ordering = list(ordering)

    def _images(self) -> models.QuerySet:
        return self.image_model._default_manager.order_by(*self.ordering)

    def own_photo(self, product: Any):
        prefetched = getattr(product, PREFETCHED_IMAGES, None)
        if prefetched is not None:
            first = prefetched[0] if prefetched else None
        else:
            first = self._images().filter(**{self.fk.name: product.pk}).first()
        field_file = getattr(first, self.file_field, None) if first is not None else None
        return field_file if field_file else None

    def _prefetch(self) -> Prefetch:
        accessor = self.fk.remote_field.get_accessor_name()
        return Prefetch(accessor, queryset=self._images(), to_attr=PREFETCHED_IMAGES)

    def with_photo(self, queryset: models.QuerySet, also: Sequence[str] = ()) -> models.QuerySet:
        return queryset.prefetch_related(self._prefetch())

    def prefetch(self, products: Sequence[Any]) -> None:
        missing = list({id(p): p for p in products if not hasattr(p, PREFETCHED_IMAGES)}.values())
        if missing:
            prefetch_related_objects(missing, self._prefetch())

    def photo_may_have_changed(self, update_fields: Iterable[str] | None) -> bool:
        return False  # the gallery's own receivers follow it

    def names_in_use(self, names: Sequence[str]) -> set[str]:
        rows = self.image_model._default_manager.filter(**{f"{self.file_field}__in": list(names)})
        return set(rows.values_list(self.file_field, flat=True))

    def with_own_photo(self, products: Sequence[Any]) -> set[Any]:
        if not products:
            return set()
        rows = self.image_model._default_manager.filter(**{f"{self.fk.name}__in": [p.pk for p in products]})
        return set(rows.exclude(**{self.file_field: ""}).values_list(self.fk.attname, flat=True).distinct())

    def own_photo_condition(self) -> Exists:
        rows = self.image_model._default_manager.filter(**{self.fk.name: OuterRef("pk")})
        return Exists(rows.exclude(**{self.file_field: ""}))

    def photo_models(self) -> list[type[models.Model]]:
        return [self.image_model]

    def products_of_row(self, row: models.Model) -> list[Any]:
        pk = getattr(row, self.fk.attname, None)
        return [pk] if pk is not None else []


class FunctionPhotos(PhotoSource):
    """Whatever ``PRODUCT_PHOTO_FUNCTION(product)`` returns (a ``FieldFile`` or None)."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    def own_photo(self, product: Any):
        field_file = self.function(product)
        return field_file if field_file else None


@dataclass(frozen=True)
class GalleryConfig:
    """The gallery settings resolved against the models (what the checks validate)."""

    image_model: type[models.Model]
    fk_name: str
    file_field: str
    ordering: tuple[str, ...]


def resolve_gallery(product_model: type[models.Model]) -> GalleryConfig:
    """``PRODUCT_IMAGE_MODEL`` and its foreign key, file field and ordering; ``ImproperlyConfigured`` if wrong."""
    from django.apps import apps

    label = settings.PRODUCT_IMAGE_MODEL
    try:
        image_model = apps.get_model(label, require_ready=False)
    except (ValueError, LookupError) as exc:
        raise AdapterSettingError(
            "PRODUCT_IMAGE_MODEL", f"STYLEREC['PRODUCT_IMAGE_MODEL'] is {label!r}, not an installed model"
        ) from exc
    opts = image_model._meta
    fk_name = settings.PRODUCT_IMAGE_FK
    if fk_name is None:
        candidates = [f.name for f in opts.get_fields() if f.many_to_one and f.related_model is product_model]
        if len(candidates) != 1:
            raise AdapterSettingError(
                "PRODUCT_IMAGE_FK",
                f"{label} has {len(candidates) or 'no'} foreign keys to {product_model._meta.label}"
                f"{' (' + ', '.join(candidates) + ')' if candidates else ''}; set STYLEREC['PRODUCT_IMAGE_FK']"
            )
        fk_name = candidates[0]
    try:
        fk = opts.get_field(fk_name)
    except FieldDoesNotExist as exc:
        raise AdapterSettingError("PRODUCT_IMAGE_FK", f"{label} has no field {fk_name!r}") from exc
    if not (fk.many_to_one and fk.related_model is product_model):
        raise AdapterSettingError(
            "PRODUCT_IMAGE_FK", f"{label}.{fk_name} is not a foreign key to {product_model._meta.label}"
        )
    file_field = settings.PRODUCT_IMAGE_FILE_FIELD
    if file_field is None:
        candidates = [f.name for f in opts.concrete_fields if isinstance(f, models.FileField)]
        if len(candidates) != 1:
            raise AdapterSettingError(
                "PRODUCT_IMAGE_FILE_FIELD",
                f"{label} has {len(candidates) or 'no'} file fields; set STYLEREC['PRODUCT_IMAGE_FILE_FIELD']",
            )
        file_field = candidates[0]
    try:
        field = opts.get_field(file_field)
    except FieldDoesNotExist as exc:
        raise AdapterSettingError("PRODUCT_IMAGE_FILE_FIELD", f"{label} has no field {file_field!r}") from exc
    if not isinstance(field, models.FileField):
        raise AdapterSettingError(
            "PRODUCT_IMAGE_FILE_FIELD", f"{label}.{file_field} is a {type(field).__name__}, not an ImageField/FileField"
        )
    ordering = settings.PRODUCT_IMAGE_ORDERING
    if ordering is None:
        ordering = [*(opts.ordering or []), "pk"]
    if isinstance(ordering, str) or not all(isinstance(name, str) for name in ordering):
        raise AdapterSettingError("PRODUCT_IMAGE_ORDERING", f"PRODUCT_IMAGE_ORDERING is {ordering!r}, not a list")
    for name in ordering:
        bare = name.lstrip("-")
        if bare != "pk":
            try:
                opts.get_field(bare)
            except FieldDoesNotExist as exc:
                raise AdapterSettingError("PRODUCT_IMAGE_ORDERING", f"{label} has no field {bare!r}") from exc
    return GalleryConfig(image_model, fk_name, file_field, tuple(ordering))


# --------------------------------------------------------------------------- the adapter


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
