"""Deprecated: the restyling jobs moved to :mod:`stylerec_plugin.restyling.jobs`.

Jobs already queued under ``stylerec_plugin.jobs.<name>`` (RQ stores the dotted path)
still run: the names below are the same functions. This alias goes in the next release.
"""

from __future__ import annotations

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.restyling.jobs")

from .restyling.analysis import analyse_photo  # noqa: E402, F401
from .restyling.jobs import (  # noqa: E402, F401
    delete_files,
    recover_stuck,
    restyle_variants,
    sync_product,
    sync_style,
    update_style_vector,
)
from .restyling.rendering import build_spec, get_stylizer, smaller_copies, style_vector_for  # noqa: E402, F401
