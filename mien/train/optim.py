"""The optimizer and the learning-rate schedule a run steps with."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from mien.config import TrainConfig
from mien.errors import MienError
from mien.train.schedule import lr_at


def make_optimizer(model: nn.Module, settings: TrainConfig) -> torch.optim.Optimizer:
    """SGD (Nesterov) or AdamW, with weight decay on weight matrices and kernels only."""
    # No weight decay on biases and batch-norm scales: decaying them only hurts.
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    groups = [
        {"params": decay, "weight_decay": settings.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if settings.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=settings.lr, momentum=settings.momentum, nesterov=True)
    if settings.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=settings.lr)
    raise MienError(f"unknown optimizer {settings.optimizer!r}; valid: sgd, adamw")


def lr_schedule(settings: TrainConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """The learning rate for each optimizer step of the whole run: warm-up, then cosine decay."""
    return partial(
        lr_at,
        total_steps=steps_per_epoch * settings.epochs,
        peak_lr=settings.lr,
        warmup_steps=round(settings.warmup_epochs * steps_per_epoch),
        final_fraction=settings.final_lr_fraction,
    )


def clip_gradients(optimizer: torch.optim.Optimizer, max_norm: float) -> None:
    """Scale the gradients of every parameter the optimizer steps (the model's, and a second head's
    trained beside it) so that together their norm is at most max_norm."""
    nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], max_norm)
