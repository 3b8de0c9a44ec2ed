"""The training checkpoint: what last.pt and best.pt hold, resuming a run from it, and starting a run
from another's weights (fine-tuning)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from mien.catalogue import resolve_model
from mien.config import RunConfig, config_to_dict
from mien.errors import MienError
from mien.models.checkpoint import fp32_weights, load_checkpoint
from mien.models.temperature import without_temperature

if TYPE_CHECKING:
    from mien.train.state import TrainingState


def training_checkpoint(
    config: RunConfig, state: TrainingState, epoch: int, record: dict, best: dict
) -> dict:
    """A self-describing checkpoint after ``epoch``, with all that resuming needs besides."""
    checkpoint = {
        "model": {"name": config.model.name, "args": dict(config.model.args)},
        "class_names": list(state.class_names),
        "preprocess": config_to_dict(config)["preprocess"],
        "config": config_to_dict(config),
        "metrics": {
            "public": {"accuracy": record["public_acc"], "macro_f1": record["public_macro_f1"]},
            "best": best,
        },
        "epoch": epoch,
        "state_dict": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "rng": {"torch": torch.get_rng_state(), "generator": state.generator.get_state()},
    }
    if state.fer2013_head is not None:  # trained beside the model, not part of it
        checkpoint["fer2013_head"] = state.fer2013_head.state_dict()
    if state.ema is not None:
        checkpoint["ema_state_dict"] = state.ema.module.state_dict()
        checkpoint["ema_full"] = state.ema.state_dict()
    if state.swa is not None:
        checkpoint["swa_full"] = state.swa.state_dict()
        if state.swa.n_averaged.item() > 0:
            checkpoint["swa_state_dict"] = state.swa.module.state_dict()
    return checkpoint


def restore(path: Path, state: TrainingState, verbose: bool = True) -> tuple[int, dict]:
    """Put ``state`` back as a training checkpoint left it; returns its epoch and best metrics."""
    checkpoint = load_checkpoint(path)
    state.model.load_state_dict(checkpoint["state_dict"])
    state.optimizer.load_state_dict(checkpoint["optimizer"])
    if state.fer2013_head is not None:
        state.fer2013_head.load_state_dict(checkpoint["fer2013_head"])
    if state.ema is not None:
        state.ema.load_state_dict(checkpoint["ema_full"])
    if state.swa is not None:
        state.swa.load_state_dict(checkpoint["swa_full"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    state.generator.set_state(checkpoint["rng"]["generator"])
    if verbose:
        print(f"resuming after epoch {checkpoint['epoch']}", flush=True)
    return checkpoint["epoch"], checkpoint["metrics"]["best"]


def load_start_weights(
    model: nn.Module, config: RunConfig, source: str, class_names: tuple[str, ...]
) -> None:
    """Start from a trained model's weights (fine-tuning): this config's network, its arguments
    free to differ where the weights still fit (dropout, a larger input size).

    When the run has other classes (FER+'s eight from FER2013's seven), the last layer's rows are
    carried over by class name; a class the source does not know keeps its fresh initial weights.
    A temperature that reads the logits stays behind: it calibrated the source, not this run."""
    checkpoint = load_checkpoint(resolve_model(source))
    wanted = {"name": config.model.name, "args": dict(config.model.args)}
    mismatch = f"train.init_from {source} holds {checkpoint['model']}, the run trains {wanted}"
    if checkpoint["model"]["name"] != wanted["name"]:
        raise MienError(mismatch)
    weights, old_names = without_temperature(fp32_weights(checkpoint)), list(checkpoint["class_names"])
    if old_names != list(class_names):
        weights = by_class_name(weights, model.state_dict(), old_names, list(class_names))
    try:
        model.load_state_dict(weights)
    except RuntimeError:
        raise MienError(f"{mismatch}: the weights do not fit") from None


def by_class_name(weights: dict, fresh: dict, old_names: list[str], new_names: list[str]) -> dict:
    """The weights with each per-class tensor (the last layer's) rebuilt row by row for new_names."""
    weights = dict(weights)
    for name, tensor in weights.items():
        if tensor.ndim and tensor.shape[0] == len(old_names) and fresh[name].shape[0] == len(new_names):
            rows = fresh[name].clone()
            for index, class_name in enumerate(new_names):
                if class_name in old_names:
                    rows[index] = tensor[old_names.index(class_name)]
            weights[name] = rows
    return weights
