"""The VGG-style network the project started from, and a narrower one that trains fast on a CPU.

Blocks of two 3x3 conv + batch norm + ReLU layers, each block ending in 2x2 max-pooling and
dropout; then dense layers. Four blocks take a 48x48 face to a 3x3 map.

``input_size`` above 48 runs the same network on the face scaled up inside it (the pipeline still
hands it 48x48 crops): every layer sees finer detail, at (input_size / 48)^2 the compute, and the
larger last map is averaged down to 3x3, so the weights are the 48 px network's and one starts
the other.

``stem`` replaces the first full-resolution block by one stride-2 3x3 convolution with that many
channels, so the blocks run on a 24x24 map: on a CPU the 48x48 layers cost more than their
multiply-adds say (their activations are the largest memory traffic), and int8 gains most there.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from mien.errors import MienError
from mien.models.registry import FaceClassifier, register_model


def conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class ScaledUp(nn.Sequential):
    """Layers that run on their input resized to ``size`` x ``size`` (bilinear)."""

    def __init__(self, size: int, *layers: nn.Module):
        super().__init__(*layers)
        self.size = size

    def forward(self, x):
        return super().forward(
            F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        )


class PooledFlatten(nn.Flatten):
    """Averages windows of ``kernel`` x ``kernel`` at stride 1 (a 4x4 map to 3x3 with 2), then flattens."""

    def __init__(self, kernel: int):
        super().__init__()
        self.kernel = kernel

    def forward(self, x):
        return super().forward(F.avg_pool2d(x, self.kernel, stride=1))


def build_vgg(
    widths: tuple[int, ...],
    hidden: int,
    num_classes: int,
    dropout: float,
    block_dropout: float | None = None,
    in_channels: int = 1,
    input_size: int = 48,
    stem: int | None = None,
) -> FaceClassifier:
    """``dropout`` before the last layer; ``block_dropout`` (channel dropout after each block)
    defaults to half of it, as in the seed's network; ``input_size`` and ``stem`` as the module says."""
    halvings = len(widths) + (stem is not None)
    if input_size < 48 or input_size % 2**halvings:
        raise MienError(f"input_size must be 48 or more and a multiple of {2**halvings}, not {input_size}")
    block_dropout = dropout / 2 if block_dropout is None else block_dropout
    layers: list[nn.Module] = conv_bn_relu(in_channels, stem, stride=2) if stem else []
    channels = stem or in_channels
    for width in widths:
        layers += conv_bn_relu(channels, width) + conv_bn_relu(width, width)
        layers += [nn.MaxPool2d(2)] + ([nn.Dropout2d(block_dropout)] if block_dropout > 0 else [])
        channels = width
    side, scaled_side = 48 // 2**halvings, input_size // 2**halvings
    features = nn.Sequential(*layers) if input_size == 48 else ScaledUp(input_size, *layers)
    head = nn.Sequential(
        nn.Flatten() if input_size == 48 else PooledFlatten(scaled_side - side + 1),
        nn.Linear(channels * side * side, hidden),
        nn.BatchNorm1d(hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )
    return FaceClassifier(features, head)


@register_model("vgg")
def vgg(
    num_classes: int = 7,
    widths=(64, 128, 256, 512),
    hidden: int = 1024,
    dropout: float = 0.4,
    block_dropout=None,
    input_size: int = 48,
):
    """The seed's VGG-style network: 64-128-256-512 channels (about 9.4M parameters)."""
    return build_vgg(tuple(widths), hidden, num_classes, dropout, block_dropout, input_size=input_size)


@register_model("vgg_s")
def vgg_s(
    num_classes: int = 7,
    widths=(32, 64, 128, 256),
    hidden: int = 256,
    dropout: float = 0.4,
    block_dropout=None,
    input_size: int = 48,
    stem: int | None = None,
):
    """The same design at half width (about 1.8M parameters): a quarter of the compute."""
    return build_vgg(
        tuple(widths), hidden, num_classes, dropout, block_dropout, input_size=input_size, stem=stem
    )
