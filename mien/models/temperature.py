"""A temperature that reads each face: a calibration that travels inside the network.

One temperature cannot serve faces of different kinds when the network is over-confident on one
kind and under-confident on another. These are a function of the face, T = exp(b + w . x), fitted
after training (``mien calibrate --by-logits`` or ``--by-hidden``), where x is either the face's
logits or its hidden layer (what the last linear layer reads: the network's own description of the
face, which tells kinds of face apart better than the logits do). Dividing all of a face's logits
by one positive number never changes which class is largest, so either moves the probabilities and
never a label.

A network carries one as ``temperature`` beside ``features`` and ``head`` (weights
``temperature.weight`` and ``temperature.bias``); a checkpoint whose weights hold them is rebuilt
with it, the kind told by the size of its weight (one per class: the logits).
"""

from __future__ import annotations

import torch
from torch import nn

PREFIX = "temperature."  # the weights of the module in a network's state dict


class LogitTemperature(nn.Module):
    """T(z) = exp(b + w . z) over the logits z."""

    reads = "logits"

    def __init__(self, size: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(size))
        self.bias = nn.Parameter(torch.zeros(()))  # zeros: the temperature 1, logits unchanged

    def log_temperature(self, inputs: torch.Tensor) -> torch.Tensor:
        """(..., size) inputs -> (..., 1) log temperatures."""
        return (inputs * self.weight).sum(dim=-1, keepdim=True) + self.bias

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        return logits * torch.exp(-self.log_temperature(logits))


class HiddenTemperature(LogitTemperature):
    """T(h) = exp(b + w . h) over the hidden layer h that the logits are computed from."""

    reads = "hidden"

    def forward(self, logits: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        return logits * torch.exp(-self.log_temperature(hidden))


def temperature_for(weights: dict, num_classes: int) -> LogitTemperature | None:
    """The (unfitted) module a network's weights hold, or None."""
    if PREFIX + "weight" not in weights:
        return None
    size = weights[PREFIX + "weight"].numel()
    return LogitTemperature(size) if size == num_classes else HiddenTemperature(size)


def without_temperature(weights: dict) -> dict:
    """The weights of the network alone (a run that trains from them calibrates afresh)."""
    return {name: value for name, value in weights.items() if not name.startswith(PREFIX)}
