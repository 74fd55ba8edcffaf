"""Deprecated: the restyling bookkeeping moved to :mod:`stylerec_plugin.restyling`
(``planning``, ``variants``, ``claims``, ``files``, ``recovery``, ``status``; job paths in
``jobs``). This alias goes in the next release."""

from __future__ import annotations

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.restyling")

from .products import get_product_adapter  # noqa: E402
from .restyling.claims import (  # noqa: E402, F401
    backoff_seconds,
    claim_variants,
    current_job_token,
    inline_token,
    mark_failed,
    mark_transient_failure,
    release_stale_claim,
    store_result,
)
from .restyling.files import delete_unreferenced_files, protected_names, schedule_file_deletion  # noqa: E402, F401
from .restyling.jobs import RESTYLE_JOB, STYLE_VECTOR_JOB, SYNC_PRODUCT_JOB, SYNC_STYLE_JOB  # noqa: E402, F401
from .restyling.planning import (  # noqa: E402, F401
    Plan,
    lost_pending_rows,
    plan_variants,
    prune_products,
    prune_superseded,
    queue_plan,
)
from .restyling.recovery import Recovery, death_reason, recover_stuck_variants  # noqa: E402, F401
from .restyling.status import pipeline_status, queue_status  # noqa: E402, F401
from .restyling.variants import (  # noqa: E402, F401
    DEFAULT_CHUNK,
    TERMINAL,
    active_styles,
    chunk_size,
    chunked,
    engine_version,
)


def image_field_name() -> str:
    """Use ``get_product_adapter().image_field_name()``."""
    return get_product_adapter().image_field_name()
