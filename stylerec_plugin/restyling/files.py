"""Variant files: deleted after commit, and only when nothing uses them any more.

The plugin never deletes a file that is some product's photo or a style's
reference, even when it sits under the variants folder: the original is never
touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.db import transaction

from ..models import ProductPhoto, RestyledImage, Style
from ..products import get_product_adapter
from ..storage import rendition_names, rendition_parent, variant_storage
from .variants import chunked

logger = logging.getLogger(__name__)


class _DeleteBatch:
    """File names to delete once the transaction commits, checked against the DB then.

    Its bound :meth:`run` is the on-commit callback: ``on_commit(..., robust=True)`` logs a
    failing callback by its ``__qualname__``, which a callable instance lacks (the log
    call itself then raised after the commit, and the request answered 500).
    """

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.done = False

    def run(self) -> None:
        # Once run, names added later need a batch of their own (a test's captured callbacks
        # stay in ``run_on_commit`` after they ran, so being listed there is not enough).
        self.done = True
        delete_unreferenced_files(sorted(self.names))


def schedule_file_deletion(names: Iterable[str], using: str | None = None) -> None:
    """Delete variant files after commit (never before: a rollback would leave rows without files).

    Names still used by a row at that point are kept, and so is any file that is a
    product photo or a style reference: the original is never touched.
    """
    names = {name for name in names if name}
    if not names:
        return
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        delete_unreferenced_files(sorted(names))
        return
    batch = getattr(connection, "_stylerec_delete_batch", None)
    registered = batch is not None and not batch.done and any(
        callback == batch.run for _sids, callback, _robust in connection.run_on_commit
    )
    if not registered:
        batch = _DeleteBatch()
        connection._stylerec_delete_batch = batch
        transaction.on_commit(batch.run, using=using, robust=True)
    batch.names.update(names)


def protected_names(names: Sequence[str]) -> set[str]:
    """Names among ``names`` that rows, product photos, product masks or style references still use.

    Product photos are found through the product adapter (a product field, a gallery
    model) and, whatever the adapter, by the name the last analysis read
    (``ProductPhoto.source_name``): a photo a callable returns is protected too.
    """
    used: set[str] = set()
    products = get_product_adapter()
    for chunk in chunked(list(names), 500):
        used.update(RestyledImage.objects.filter(image__in=chunk).values_list("image", flat=True))
        # A smaller copy is in use while a row uses its parent with that width.
        parents = {parent for parent in map(rendition_parent, chunk) if parent}
        if parents:
            for parent, widths in RestyledImage.objects.filter(image__in=parents).values_list(
                "image", "rendition_widths"
            ):
                used.update(rendition_names(parent, widths))
        used.update(products.products_using_files(chunk))
        used.update(ProductPhoto.objects.filter(source_name__in=chunk).values_list("source_name", flat=True))
        used.update(ProductPhoto.objects.filter(mask__in=chunk).values_list("mask", flat=True))
        used.update(Style.objects.filter(reference_image__in=chunk).values_list("reference_image", flat=True))
    return used


def delete_unreferenced_files(names: Sequence[str]) -> list[str]:
    """Delete the files no row, product or style uses; returns the deleted names."""
    if not names:
        return []
    keep = protected_names(names)
    storage = variant_storage()
    deleted = []
    for name in names:
        if name in keep:
            continue
        try:
            storage.delete(name)
            deleted.append(name)
        except Exception:
            logger.exception("StyleRec: could not delete variant file %s (stylerec_cleanup retries)", name)
    return deleted
