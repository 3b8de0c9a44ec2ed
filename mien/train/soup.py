"""A weight soup (Wortsman et al., 2022): one network whose weights are the mean of several runs
fine-tuned from the same starting point. Such runs stay in one wide basin, so their mean sits nearer
its centre than any of them and answers as one model, at the cost of one. Runs from different
starting points do not share a basin and their mean is a broken network: average those as an
ensemble instead. Batch-norm statistics do not average; they are measured again on Training faces."""

from __future__ import annotations

from pathlib import Path

import torch

from mien.data.run_data import training_images
from mien.errors import MienError
from mien.models.checkpoint import fp32_weights, load_checkpoint, model_from_checkpoint
from mien.train.checkpoint import describe_source
from mien.train.swa import measure_batch_norm

DESCRIPTION_KEYS = ("model", "class_names", "preprocess")  # what every ingredient must share


def soup_checkpoints(checkpoint_paths: list[Path], data_path: Path) -> dict:
    """An inference checkpoint holding the mean of the checkpoints' evaluated weights, its
    batch-norm statistics measured on the Training faces of ``data_path``."""
    if len(checkpoint_paths) < 2:
        raise MienError("a weight soup needs at least two checkpoints")
    checkpoints = [load_checkpoint(path) for path in checkpoint_paths]
    first = checkpoints[0]
    for path, checkpoint in zip(checkpoint_paths[1:], checkpoints[1:], strict=True):
        for key in DESCRIPTION_KEYS:
            if checkpoint[key] != first[key]:
                raise MienError(
                    f"{path}: its {key} differs from {checkpoint_paths[0]}'s; only one network's runs average"
                )
    faces = training_images(data_path)
    if len(faces) == 0:
        raise MienError(
            f"no Training images in {data_path}: the soup's batch-norm statistics are measured on them"
        )
    soup = {key: first[key] for key in (*DESCRIPTION_KEYS, "config") if key in first}  # the first's recipe
    soup["state_dict"] = mean_weights([fp32_weights(checkpoint) for checkpoint in checkpoints])
    model = model_from_checkpoint(soup)
    measure_batch_norm(model, torch.from_numpy(faces), first["preprocess"])
    soup["state_dict"] = model.state_dict()
    soup["soup"] = {
        "sources": [describe_source(path) for path in checkpoint_paths],
        "batch_norm_faces": len(faces),
    }
    return soup


def mean_weights(state_dicts: list[dict]) -> dict:
    """The element-wise mean of floating-point tensors; integer ones (batch counters) from the first."""
    first = state_dicts[0]
    return {
        name: torch.stack([weights[name] for weights in state_dicts]).mean(0)
        if tensor.is_floating_point()
        else tensor
        for name, tensor in first.items()
    }
