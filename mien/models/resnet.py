"""A narrow pre-activation-free ResNet for 48x48 faces: residual blocks keep gradients short."""

from __future__ import annotations

from torch import nn

from mien.models.registry import FaceClassifier, register_model


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut; stride 2 halves the map."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


@register_model("resnet_s")
def resnet_s(num_classes: int = 7, widths=(32, 64, 128, 256), blocks=(1, 1, 2, 1), dropout: float = 0.3):
    """Four stages (48, 24, 12, 6 px) of basic blocks, global average pooling, one linear layer."""
    layers: list[nn.Module] = [
        nn.Conv2d(1, widths[0], 3, 1, 1, bias=False),
        nn.BatchNorm2d(widths[0]),
        nn.ReLU(inplace=True),
    ]
    channels = widths[0]
    for stage, (width, count) in enumerate(zip(widths, blocks)):
        for index in range(count):
            stride = 2 if stage > 0 and index == 0 else 1
            layers.append(BasicBlock(channels, width, stride))
            channels = width
    head = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels, num_classes)
    )
    return FaceClassifier(nn.Sequential(*layers), head)
