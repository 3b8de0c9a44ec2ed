"""Stochastic weight averaging (Izmailov et al., 2018): the mean of the weights a constant-rate run
passes through at the end of each epoch, which sits nearer the centre of a wide minimum than any
one of them. Batch-norm statistics do not average: they are measured again for the mean weights."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, update_bn

from mien.config import PreprocessConfig
from mien.data.loaders import to_model_input
from mien.models.forward import autocast


def average_in(average: AveragedModel, model: nn.Module, images: torch.Tensor, preprocess: PreprocessConfig,
               bf16: bool = False, batch_size: int = 512) -> None:  # fmt: skip
    """Add the model's current weights to the average, then measure its batch-norm statistics on
    ``images`` (uint8 training faces, as they are: no augmentation)."""
    average.update_parameters(model)
    measure_batch_norm(average.module, images, preprocess, bf16, batch_size)


def measure_batch_norm(model: nn.Module, images: torch.Tensor, preprocess: PreprocessConfig | dict,
                       bf16: bool = False, batch_size: int = 512) -> None:  # fmt: skip
    """Replace the model's batch-norm statistics with those of ``images`` (uint8 faces, as they are)."""
    device = next(model.parameters()).device
    with autocast(bf16, device.type):
        update_bn(_model_inputs(images, preprocess, batch_size), model, device)


def _model_inputs(
    images: torch.Tensor, preprocess: PreprocessConfig | dict, batch_size: int
) -> Iterator[torch.Tensor]:
    for start in range(0, len(images), batch_size):
        batch = to_model_input(images[start : start + batch_size], preprocess)
        yield batch.contiguous(memory_format=torch.channels_last)
