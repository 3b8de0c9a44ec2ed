"""Evaluate one checkpoint or an ensemble on a FER2013 split, with optional test-time augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mien.data.cache import load_fer2013
from mien.data.fer2013 import resolve_split
from mien.errors import MienError
from mien.runtime import use_bf16
from mien.train.checkpoint import load_checkpoint, model_from_checkpoint
from mien.train.loop import predict_probabilities
from mien.train.metrics import classification_report


def ensemble_probabilities(
    checkpoint_paths: list[Path], images: np.ndarray, tta: bool, bf16: bool
) -> tuple[np.ndarray, list]:
    """Mean class probabilities of every checkpoint (each with its own preprocessing)."""
    total, class_names = None, None
    for path in checkpoint_paths:
        checkpoint = load_checkpoint(path)
        if class_names is not None and checkpoint["class_names"] != class_names:
            raise MienError(
                f"{path}: its classes {checkpoint['class_names']} differ from the first checkpoint's"
            )
        class_names = checkpoint["class_names"]
        model = model_from_checkpoint(checkpoint)
        probs = predict_probabilities(model, images, checkpoint["preprocess"], tta=tta, bf16=bf16)
        total = probs if total is None else total + probs
    return total / len(checkpoint_paths), class_names


def evaluate(
    checkpoint_paths: list[Path], data_path: Path, split: str, tta: bool = False, precision: str = "auto"
) -> dict:
    """Accuracy, macro-F1, per-class precision/recall and confusion matrix on one split.

    The precision defaults to what `mien predict` uses on this machine, so the figures match it.
    """
    if not checkpoint_paths:
        raise MienError("give at least one checkpoint")
    faces = load_fer2013(data_path).select(split)
    if len(faces) == 0:
        raise MienError(f"no {resolve_split(split)} images in {data_path}")
    bf16 = use_bf16(precision)
    probs, class_names = ensemble_probabilities([Path(p) for p in checkpoint_paths], faces.images, tta, bf16)
    report = classification_report(faces.labels, probs.argmax(axis=1), tuple(class_names))
    report.update(
        split=resolve_split(split),
        tta=tta,
        precision="bf16" if bf16 else "fp32",
        checkpoints=[str(p) for p in checkpoint_paths],
    )
    return report
