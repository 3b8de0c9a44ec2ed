"""The VGG-style network the project started from, and a narrower one that trains fast on a CPU.

Blocks of two 3x3 conv + batch norm + ReLU layers, each block ending in 2x2 max-pooling and
dropout; then dense layers. Four blocks take a 48x48 face to a 3x3 map.
"""

from __future__ import annotations

from torch import nn

from mien.models.registry import FaceClassifier, register_model


def conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


def build_vgg(
    widths: tuple[int, ...],
    hidden: int,
    num_classes: int,
    dropout: float,
    block_dropout: float | None = None,
    in_channels: int = 1,
) -> FaceClassifier:
    """``dropout`` before the last layer; ``block_dropout`` (channel dropout after each block)
    defaults to half of it, as in the seed's network."""
    block_dropout = dropout / 2 if block_dropout is None else block_dropout
    layers: list[nn.Module] = []
    channels = in_channels
    for width in widths:
        layers += conv_bn_relu(channels, width) + conv_bn_relu(width, width)
        layers += [nn.MaxPool2d(2)] + ([nn.Dropout2d(block_dropout)] if block_dropout > 0 else [])
        channels = width
    side = 48 // 2 ** len(widths)
    head = nn.Sequential(
        nn.Flatten(),
        nn.Linear(channels * side * side, hidden),
        nn.BatchNorm1d(hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )
    return FaceClassifier(nn.Sequential(*layers), head)


@register_model("vgg")
def vgg(
    num_classes: int = 7,
    widths=(64, 128, 256, 512),
    hidden: int = 1024,
    dropout: float = 0.4,
    block_dropout=None,
):
    """The seed's VGG-style network: 64-128-256-512 channels (about 9.4M parameters)."""
    return build_vgg(tuple(widths), hidden, num_classes, dropout, block_dropout)


@register_model("vgg_s")
def vgg_s(
    num_classes: int = 7,
    widths=(32, 64, 128, 256),
    hidden: int = 256,
    dropout: float = 0.4,
    block_dropout=None,
):
    """The same design at half width (about 1.8M parameters): a quarter of the compute."""
    return build_vgg(tuple(widths), hidden, num_classes, dropout, block_dropout)
