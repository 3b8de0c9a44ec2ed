"""Self-describing checkpoints, written atomically and read without unpickling code.

A checkpoint holds the weights, the model name and arguments, the class names in index order,
the preprocessing spec, the resolved config and its metrics; training checkpoints add the
optimizer, the epoch and the random states needed to resume exactly.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from mien.atomic import atomic_path
from mien.errors import MienError
from mien.models.registry import create_model

FORMAT = "mien-checkpoint/1"


def save_checkpoint(path: Path, checkpoint: dict) -> None:
    """Write a checkpoint so that a crash mid-write never leaves a broken file behind."""
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **checkpoint}, tmp)


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint safely (weights_only: no arbitrary code runs)."""
    path = Path(path)
    if not path.is_file():
        raise MienError(f"checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged or foreign file
        raise MienError(f"{path}: not a readable mien checkpoint ({type(err).__name__})") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise MienError(f"{path}: not a mien checkpoint (expected format {FORMAT})")
    return checkpoint


def model_from_checkpoint(checkpoint: dict) -> nn.Module:
    """Rebuild the model a checkpoint describes, with its weights, in eval mode."""
    spec = checkpoint["model"]
    model = create_model(spec["name"], num_classes=len(checkpoint["class_names"]), **spec["args"])
    model.load_state_dict(fp32_weights(checkpoint))
    return model.eval()


def fp32_weights(checkpoint: dict) -> dict:
    """The evaluated weights in float32 (shipped checkpoints may hold them in fp16)."""
    return {k: v.float() if v.is_floating_point() else v for k, v in evaluated_weights(checkpoint).items()}


def inference_checkpoint(checkpoint: dict, half: bool = False) -> dict:
    """A copy without the training state, for shipping: weights (optionally fp16) and description."""
    keep = ("model", "class_names", "preprocess", "config", "metrics", "epoch", "calibration")
    slim = {key: checkpoint[key] for key in keep if key in checkpoint}
    slim["state_dict"] = {
        k: v.half() if half and v.is_floating_point() else v.clone()
        for k, v in evaluated_weights(checkpoint).items()
    }
    return slim


def evaluated_weights(checkpoint: dict) -> dict:
    """The weights a run is judged and shipped by: its weight average (SWA or EMA) when it keeps
    one, else the trained weights."""
    return checkpoint.get("swa_state_dict") or checkpoint.get("ema_state_dict") or checkpoint["state_dict"]


def describe_source(path: Path) -> str:
    """How a model built from checkpoint files records each of them: its path and size."""
    return f"{path} ({Path(path).stat().st_size} bytes)"


def resolve_model_path(name_or_path: str | Path) -> Path:
    """A checkpoint path; a shipped model's name (``vgg_s``) stands for its file."""
    from mien.pipeline import WEIGHTS  # the pipeline imports this module

    if not Path(name_or_path).suffix and (WEIGHTS / f"{name_or_path}.pt").is_file():
        return WEIGHTS / f"{name_or_path}.pt"
    return Path(name_or_path)
