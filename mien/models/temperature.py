"""A temperature that reads the logits: a calibration that travels inside the network.

One temperature cannot serve faces of different kinds when the network is over-confident on one
kind and under-confident on another. This one is a function of the face's own logits,
T(z) = exp(b + w . z), fitted after training (``mien calibrate --by-logits``). Dividing all of a
face's logits by one positive number never changes which class is largest, so it moves the
probabilities and never a label.

A network carries it as ``temperature`` beside ``features`` and ``head`` (weights
``temperature.weight`` and ``temperature.bias``); a checkpoint whose weights hold them is rebuilt
with it.
"""

from __future__ import annotations

import torch
from torch import nn

PREFIX = "temperature."  # the weights of the module in a network's state dict


class LogitTemperature(nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(num_classes))
        self.bias = nn.Parameter(torch.zeros(()))  # zeros: the temperature 1, logits unchanged

    def log_temperature(self, logits: torch.Tensor) -> torch.Tensor:
        """(..., K) logits -> (..., 1) log temperatures."""
        return (logits * self.weight).sum(dim=-1, keepdim=True) + self.bias

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        return logits * torch.exp(-self.log_temperature(logits))


def holds_temperature(weights: dict) -> bool:
    return any(name.startswith(PREFIX) for name in weights)


def without_temperature(weights: dict) -> dict:
    """The weights of the network alone (a run that trains from them calibrates afresh)."""
    return {name: value for name, value in weights.items() if not name.startswith(PREFIX)}
