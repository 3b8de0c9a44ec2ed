"""Evaluate one model (checkpoint or ONNX file) or an ensemble on a FER2013 split, with optional
test-time augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mien.backends import load_classifier
from mien.backends.ensemble import EnsembleClassifier
from mien.data.cache import load_fer2013
from mien.data.fer2013 import resolve_split
from mien.errors import MienError
from mien.train.metrics import classification_report, probability_report


def ensemble_probabilities(
    model_paths: list[Path], images: np.ndarray, tta: bool, precision: str = "auto"
) -> tuple[np.ndarray, list, str]:
    """Mean class probabilities of every model (checkpoint or ONNX file, each with its own
    preprocessing), their class names and the precision they ran in."""
    ensemble = EnsembleClassifier([load_classifier(path, tta, precision) for path in model_paths])
    return ensemble.probabilities(images), ensemble.class_names, ensemble.precision


def evaluate(
    checkpoint_paths: list[Path], data_path: Path, split: str, tta: bool = False, precision: str = "auto"
) -> dict:
    """Accuracy, macro-F1, per-class precision/recall, confusion matrix, log loss and calibration
    error on one split.

    The precision defaults to what `mien predict` uses on this machine, so the figures match it.
    """
    if not checkpoint_paths:
        raise MienError("give at least one checkpoint")
    faces = load_fer2013(data_path).select(split)
    if len(faces) == 0:
        raise MienError(f"no {resolve_split(split)} images in {data_path}")
    paths = [Path(p) for p in checkpoint_paths]
    probs, class_names, precision_used = ensemble_probabilities(paths, faces.images, tta, precision)
    report = classification_report(faces.labels, probs.argmax(axis=1), tuple(class_names))
    report.update(probability_report(faces.labels, probs))
    report.update(
        split=resolve_split(split),
        tta=tta,
        precision=precision_used,
        checkpoints=[str(p) for p in checkpoint_paths],
    )
    return report
