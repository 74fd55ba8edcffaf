"""The arbitrary-style pair of Ghiasi et al. (2017) in PyTorch, with weights from the shipped int8 QDQ graphs.

* ``StylePredictor``: MobileNetV2 (17 inverted-residual blocks, ReLU6, batch norm folded into
  the convolutions) to 1280 channels, global average pool, 1x1 convolution to a 100-number
  style vector. Its stride-2 convolutions pad like TensorFlow's "SAME" on an even input:
  nothing before, one row/column after. torchvision's mobilenet_v2 pads symmetrically, so
  its module cannot take these weights as they are.
* ``StyleTransformer``: a fully convolutional encoder / residual / decoder network whose
  instance norms take their scale and shift from 1x1 convolutions of the style vector. The
  ONNX graph is fixed at 384x384; this module runs at any size whose sides are multiples of 4.

Each module records which ONNX layer every convolution comes from (``onnx_layers``) so the
weight load can check that every tensor of the graph is used and every shape matches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .multistyle import instance_norm

STYLE_DIM = 100
PREDICTOR_SIZE = 256
NORM_EPS = 1e-5

# (expansion, output channels, repeats, first stride): the standard MobileNetV2 table.
_MOBILENET_V2 = [
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
]  # fmt: skip


def _tf_same_pad(x: torch.Tensor, stride: int) -> torch.Tensor:
    # 3x3 kernels: stride 1 pads one on every side; stride 2 (even input) pads 0 before, 1 after.
    return F.pad(x, (1, 1, 1, 1) if stride == 1 else (0, 1, 0, 1))


class InvertedResidual(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = c_in * expansion
        self.expand = nn.Conv2d(c_in, hidden, 1) if expansion != 1 else None
        self.depthwise = nn.Conv2d(hidden, hidden, 3, stride=stride, groups=hidden)
        self.project = nn.Conv2d(hidden, c_out, 1)
        self.stride = stride
        self.use_skip = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x if self.expand is None else F.relu6(self.expand(x))
        y = F.relu6(self.depthwise(_tf_same_pad(y, self.stride)))
        y = self.project(y)
        return x + y if self.use_skip else y


class StylePredictor(nn.Module):
    """Images [B, 3, 256, 256] in 0..1 -> style vectors [B, 100]."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, stride=2)
        blocks = []
        c_in = 32
        for expansion, c_out, repeats, stride in _MOBILENET_V2:
            for i in range(repeats):
                blocks.append(InvertedResidual(c_in, c_out, stride if i == 0 else 1, expansion))
                c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(320, 1280, 1)
        self.bottleneck = nn.Conv2d(1280, STYLE_DIM, 1)
        self.onnx_layers = {
            "stem": "MobilenetV2/Conv",
            "head": "MobilenetV2/Conv_1",
            "bottleneck": "mobilenet_conv/Conv",
        }
        for i, block in enumerate(self.blocks):
            tf_name = "MobilenetV2/expanded_conv" + (f"_{i}" if i else "")
            for part in ("expand", "depthwise", "project"):
                if getattr(block, part) is not None:
                    self.onnx_layers[f"blocks.{i}.{part}"] = f"{tf_name}/{part}"

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self.stem(_tf_same_pad(image, 2)))
        for block in self.blocks:
            x = block(x)
        x = F.relu6(self.head(x))
        x = x.mean(dim=(2, 3), keepdim=True)
        return self.bottleneck(x).flatten(1)


class StyleNorm(nn.Module):
    """Instance norm whose per-channel scale/shift are 1x1 convolutions (linear maps) of the style vector."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.scale = nn.Conv2d(STYLE_DIM, channels, 1)  # ONNX "StyleNorm/Conv_1"
        self.shift = nn.Conv2d(STYLE_DIM, channels, 1)  # ONNX "StyleNorm/Conv"

    def params(self, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = style.reshape(-1, STYLE_DIM, 1, 1).to(self.scale.weight.dtype)
        return self.scale(s).flatten(1), self.shift(s).flatten(1)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        scale, shift = self.params(style)
        return instance_norm(x, scale[:, :, None, None], shift[:, :, None, None], NORM_EPS)


class StyledConv(nn.Module):
    """Reflect pad, convolution, style-conditioned instance norm."""

    def __init__(self, c_in: int, c_out: int, kernel: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel)
        self.norm = StyleNorm(c_out)
        self.pad = kernel // 2

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(F.pad(x, (self.pad,) * 4, mode="reflect")), style)


class StyleTransformer(nn.Module):
    """Content [B, 3, H, W] in 0..1 (H, W multiples of 4) + style vectors [B or 1, 100] -> stylized [B, 3, H, W]."""

    def __init__(self) -> None:
        super().__init__()
        self.contract = nn.ModuleList(
            [nn.Conv2d(3, 8, 9), nn.Conv2d(8, 16, 3, stride=2), nn.Conv2d(16, 32, 3, stride=2)]
        )
        self.residual = nn.ModuleList([nn.ModuleList([StyledConv(32, 32, 3), StyledConv(32, 32, 3)]) for _ in range(5)])
        self.expand = nn.ModuleList([StyledConv(32, 16, 3), StyledConv(16, 8, 3), StyledConv(8, 3, 9)])
        layers = {f"contract.{i}": f"transformer/contract/conv{i + 1}" for i in range(3)}
        for i in range(5):
            for j in range(2):
                base = f"transformer/residual/residual{i + 1}/conv{j + 1}"
                layers[f"residual.{i}.{j}.conv"] = base
                layers[f"residual.{i}.{j}.norm.scale"] = f"style_params/{base}/StyleNorm/Conv_1"
                layers[f"residual.{i}.{j}.norm.shift"] = f"style_params/{base}/StyleNorm/Conv"
        for i in range(3):
            base = f"transformer/expand/conv{i + 1}/conv"
            layers[f"expand.{i}.conv"] = base
            layers[f"expand.{i}.norm.scale"] = f"style_params/{base}/StyleNorm/Conv_1"
            layers[f"expand.{i}.norm.shift"] = f"style_params/{base}/StyleNorm/Conv"
        self.onnx_layers = layers

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        x = content.to(self.contract[0].weight.dtype)
        x = F.relu_(self.contract[0](F.pad(x, (4, 4, 4, 4), mode="reflect")))
        x = F.relu_(self.contract[1](F.pad(x, (1, 1, 1, 1), mode="reflect")))
        x = F.relu_(self.contract[2](F.pad(x, (1, 1, 1, 1), mode="reflect")))
        for first, second in self.residual:
            x = x + second(F.relu_(first(x, style)), style)
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = F.relu_(self.expand[0](x, style))
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = F.relu_(self.expand[1](x, style))
        return torch.sigmoid(self.expand[2](x, style))


def _load_quantized(net: nn.Module, graph_name: str) -> nn.Module:
    """Copy dequantized ONNX conv weights into ``net`` by its ``onnx_layers`` map; strict both ways."""
    from ..weights import WeightsError, quantized_conv_weights

    graph = quantized_conv_weights(graph_name)
    mapping: dict[str, str] = net.onnx_layers
    unused = sorted(set(graph.convs) - set(mapping.values()))
    missing = sorted(set(mapping.values()) - set(graph.convs))
    if unused or missing:
        raise WeightsError(f"{graph_name} weights do not match the network: missing {missing}, unused {unused}")
    modules = dict(net.named_modules())
    state: dict[str, torch.Tensor] = {}
    for module_name, layer in mapping.items():
        conv = modules[module_name]
        weight, bias = graph.convs[layer]
        if tuple(conv.weight.shape) != weight.shape or tuple(conv.bias.shape) != bias.shape:
            raise WeightsError(
                f"{graph_name} layer {layer!r}: shapes {weight.shape}/{bias.shape} do not fit "
                f"{module_name} {tuple(conv.weight.shape)}/{tuple(conv.bias.shape)}"
            )
        state[f"{module_name}.weight"] = torch.from_numpy(weight.copy())
        state[f"{module_name}.bias"] = torch.from_numpy(bias.copy())
    net.load_state_dict(state, strict=True)  # also fails if a parameter was left without a tensor
    eps = [float(v.ravel()[0]) for v in graph.constants.values()]
    if any(abs(e - NORM_EPS) > 1e-9 for e in eps):
        raise WeightsError(f"{graph_name}: norm epsilon {eps} differs from {NORM_EPS}")
    return net.eval().requires_grad_(False)


def load_predictor() -> StylePredictor:
    return _load_quantized(StylePredictor(), "predictor")


def load_transformer() -> StyleTransformer:
    return _load_quantized(StyleTransformer(), "transformer")
