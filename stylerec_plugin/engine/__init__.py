"""StyleRec's style engine: pure image/tensor code, no Django.

Importing this package is light (numpy + Pillow): torch is only imported when a
:class:`Stylizer` is created or a network module is imported, so the web side can
import the names below without torch installed.

    from stylerec_plugin.engine import Stylizer, StyleSpec
    stylizer = Stylizer()                      # CUDA when present, else CPU
    result = stylizer.restyle("mug.jpg", StyleSpec(kind="preset", preset_weights={19: 1.0}, strength=0.8))
    result.image.save("mug-19.jpg"); print(result.status, result.ssim, result.ms)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ImageInputError, ImageTooLargeError, NotAnImageError, TruncatedImageError

__all__ = [
    "ENGINE_VERSIONS",
    "LOW_CONFIDENCE",
    "GateReport",
    "ProductMask",
    "compose_product_true",
    "find_product",
    "judge",
    "mask_from_upload",
    "ImageInputError",
    "ImageTooLargeError",
    "LoadedImage",
    "NotAnImageError",
    "RestyleResult",
    "StyleSpec",
    "Stylizer",
    "TruncatedImageError",
    "content_ssim",
    "encode_image",
    "load_image",
    "psnr",
]

# Resolved on first access so that importing the package stays cheap (PEP 562).
_LAZY = {
    "ENGINE_VERSIONS": ".stylizer",
    "RestyleResult": ".stylizer",
    "StyleSpec": ".stylizer",
    "Stylizer": ".stylizer",
    "LoadedImage": ".images",
    "encode_image": ".images",
    "load_image": ".images",
    "content_ssim": ".metrics",
    "psnr": ".metrics",
    "LOW_CONFIDENCE": ".segment",
    "ProductMask": ".segment",
    "find_product": ".segment",
    "mask_from_upload": ".segment",
    "compose_product_true": ".product_true",
    "GateReport": ".gates",
    "judge": ".gates",
}

if TYPE_CHECKING:  # pragma: no cover
    from .gates import GateReport, judge
    from .images import LoadedImage, encode_image, load_image
    from .metrics import content_ssim, psnr
    from .product_true import compose_product_true
    from .segment import LOW_CONFIDENCE, ProductMask, find_product, mask_from_upload
    from .stylizer import ENGINE_VERSIONS, RestyleResult, StyleSpec, Stylizer


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
