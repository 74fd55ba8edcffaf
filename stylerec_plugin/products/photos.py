"""Where a product's own photo lives: a file field, a gallery model, or a callable."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects

from ..conf import get_product_model, settings
from .values import AdapterSettingError

# A gallery's images, prefetched by :meth:`ProductAdapter.with_photo` (our own attribute:
# a shop's prefetch of the same relation stays untouched).
PREFETCHED_IMAGES = "_stylerec_gallery"


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
