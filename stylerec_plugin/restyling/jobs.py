"""The restyling jobs RQ runs, and the one place that names their dotted paths.

Every job takes primary keys only, reads fresh rows, and is idempotent: running one
twice, or two at once, gives the same rows and files as running it once.

* :func:`sync_product`  hash the product photo; when it changed, analyse it (size,
  quality check, style vector) into ``ProductPhoto``; then plan, queue and prune its
  variants.
* :func:`sync_style`    a style was created, changed, re-activated or deactivated:
  compute its style vector, plan and queue (or drop) its variants.
* :func:`restyle_variants`  render rows of one style (a batch on a GPU).
* :func:`update_style_vector`, :func:`recover_stuck`, :func:`delete_files`.

The functions here are thin: the work lives in :mod:`.analysis`, :mod:`.planning`
and :mod:`.rendering`, imported when a job runs, so this module is light to import
(the web side imports it to queue jobs) and the job paths stay the same however the
work is split. Jobs queued under the old ``stylerec_plugin.jobs.*`` paths still run
(that module re-exports these functions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..queue import enqueue, enqueue_in

RESTYLE_JOB = "stylerec_plugin.restyling.jobs.restyle_variants"
SYNC_PRODUCT_JOB = "stylerec_plugin.restyling.jobs.sync_product"
SYNC_STYLE_JOB = "stylerec_plugin.restyling.jobs.sync_style"
STYLE_VECTOR_JOB = "stylerec_plugin.restyling.jobs.update_style_vector"


# --------------------------------------------------------------------------- the jobs


def sync_product(product_pk: int, force: bool = False, plan: bool = True) -> dict[str, Any]:
    """Hash the product photo; analyse it when it changed; plan, queue and prune its variants.

    A photo changed under the same file name is caught here, by content hash. With
    ``plan=False`` only the photo is analysed (the caller plans, as ``stylerec_restyle`` does).
    """
    from . import analysis, planning

    outcome = analysis.refresh_photo(product_pk, force=force)
    if not plan or "skipped" in outcome:
        return outcome
    return {**outcome, **planning.plan_product(product_pk)}


def sync_style(style_pk: int, regenerate: bool = False) -> dict[str, Any]:
    """Bring a style's variants in line with it: plan/queue for an active style, drop unstarted work otherwise."""
    from .planning import sync_style_variants

    return sync_style_variants(style_pk, regenerate=regenerate)


def restyle_variants(variant_pks: Sequence[int], regenerate: bool = False) -> dict[str, Any]:
    """Render rows (one style per call in practice); see :func:`.rendering.restyle_variants`."""
    from .rendering import restyle_variants as render

    return render(variant_pks, regenerate=regenerate)


def update_style_vector(style_pk: int) -> bool:
    """Compute ``Style.style_vector`` for the style's current version; False when it could not."""
    from .rendering import update_style_vector as update

    return update(style_pk)


def recover_stuck() -> dict[str, list[int]]:
    """Job form of :func:`.recovery.recover_stuck_variants` (for a periodic schedule)."""
    from .recovery import recover_stuck_variants

    report = recover_stuck_variants()
    return {"requeued": report.requeued, "failed": report.failed}


def delete_files(names: Sequence[str]) -> list[str]:
    """Delete variant files that no row uses any more (never a product photo)."""
    from .files import delete_unreferenced_files

    return delete_unreferenced_files(list(names))


# --------------------------------------------------------------------------- queueing them


def queue_restyle(variant_pks: Sequence[int], *, regenerate: bool = False, delay: float | None = None) -> str | None:
    """Queue :func:`restyle_variants` after commit (in ``delay`` seconds); returns the RQ job id."""
    # ``regenerate`` is passed only when set, so a plain job's arguments stay as they always were.
    kwargs = {"regenerate": True} if regenerate else {}
    if delay is not None:
        return enqueue_in(delay, RESTYLE_JOB, list(variant_pks), **kwargs)
    return enqueue(RESTYLE_JOB, list(variant_pks), **kwargs)


def queue_sync_product(product_pk: int, *, force: bool = False) -> str | None:
    """Queue :func:`sync_product` after commit."""
    return enqueue(SYNC_PRODUCT_JOB, product_pk, force=True) if force else enqueue(SYNC_PRODUCT_JOB, product_pk)


def queue_sync_style(style_pk: int, *, regenerate: bool = False) -> str | None:
    """Queue :func:`sync_style` after commit."""
    if regenerate:
        return enqueue(SYNC_STYLE_JOB, style_pk, regenerate=True)
    return enqueue(SYNC_STYLE_JOB, style_pk)


def queue_style_vector(style_pk: int) -> str | None:
    """Queue :func:`update_style_vector` after commit."""
    return enqueue(STYLE_VECTOR_JOB, style_pk)
