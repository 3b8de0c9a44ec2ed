"""Small networks the tests build in code: a vgg_s whose batch norms hold random statistics, so
that what a script does to its channels shows in its answers (fresh norms would hide it)."""

from __future__ import annotations

import torch

from mien.models.registry import create_model


def random_vgg_s(num_classes: int, **arguments) -> torch.nn.Module:
    """A vgg_s with random weights and batch-norm statistics (seed 0), in eval mode."""
    torch.manual_seed(0)
    model = create_model("vgg_s", num_classes=num_classes, **arguments)
    for norm in (m for m in model.modules() if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))):
        norm.running_mean.uniform_(-0.5, 0.5)
        norm.running_var.uniform_(0.5, 2.0)
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.2, 0.2)
    return model.eval()
