"""What training adds to checkpoints: a slim copy for shipping, and how a model built from
checkpoint files records them. Loading and saving live in mien.models.checkpoint."""

from __future__ import annotations

from pathlib import Path

from mien.models.checkpoint import evaluated_weights


def inference_checkpoint(checkpoint: dict, half: bool = False) -> dict:
    """A copy without the training state, for shipping: weights (optionally fp16) and description."""
    keep = ("model", "class_names", "preprocess", "config", "metrics", "epoch", "calibration")
    slim = {key: checkpoint[key] for key in keep if key in checkpoint}
    slim["state_dict"] = {
        k: v.half() if half and v.is_floating_point() else v.clone()
        for k, v in evaluated_weights(checkpoint).items()
    }
    return slim


def describe_source(path: Path) -> str:
    """How a model built from checkpoint files records each of them: its path and size."""
    return f"{path} ({Path(path).stat().st_size} bytes)"
