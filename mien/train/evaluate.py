"""Evaluate one model (checkpoint or ONNX file) or an ensemble on an evaluation set (mien.data.run_data:
a split of FER2013, FER+ or RAF-DB, or a run's held-out faces), with optional test-time augmentation.

The model's classes are matched to the set's by name, so the seven-class FER2013 model is scored on
FER+'s eight: the class it lacks (contempt) gets probability 0, and its faces count as wrong. The
faces with a label are scored (FER+: a majority); where the set has raters' vote shares, the
probabilities are also compared with them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mien.backends import load_classifier
from mien.backends.ensemble import EnsembleClassifier
from mien.data.run_data import EvaluationSet, evaluation_set, held_out_set
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint
from mien.train.intervals import calibration_interval, difference_interval, label_intervals
from mien.train.metrics import classification_report, probability_report, vote_cross_entropy

HOLDOUT = "holdout"  # the Training faces a run held out to choose on (data.holdout)


def ensemble_probabilities(
    model_paths: list[Path], images: np.ndarray, tta: bool, precision: str = "auto"
) -> tuple[np.ndarray, list, str]:
    """Mean class probabilities of every model (checkpoint or ONNX file, each with its own
    preprocessing), their class names and the precision they ran in."""
    ensemble = EnsembleClassifier([load_classifier(path, tta, precision) for path in model_paths])
    return ensemble.probabilities(images), ensemble.class_names, ensemble.precision


def evaluate(
    checkpoint_paths: list[Path],
    data_path: Path,
    split: str,
    tta: bool = False,
    precision: str = "auto",
    against: list[Path] = (),
) -> dict:
    """Accuracy, macro-F1, per-class precision/recall, confusion matrix, log loss and calibration
    error on one split; on FER+, over the faces with a majority label, plus the cross-entropy
    against the vote shares. With ``against`` (a baseline model or ensemble), also the paired
    difference in accuracy on the same faces (mien.train.intervals.difference_interval).

    The precision defaults to what `mien predict` uses on this machine, so the figures match it.
    """
    if not checkpoint_paths:
        raise MienError("give at least one checkpoint")
    paths, baseline = [Path(p) for p in checkpoint_paths], [Path(p) for p in against]
    if split == HOLDOUT:
        faces = held_out_faces(paths + baseline, data_path)
    else:
        faces = evaluation_set(data_path, split)
    probs, model_names, precision_used = ensemble_probabilities(paths, faces.images, tta, precision)
    report = score_faces(faces, probs, model_names)
    report.update(
        split=faces.split,
        tta=tta,
        precision=precision_used,
        checkpoints=[str(p) for p in checkpoint_paths],
    )
    if baseline:
        baseline_probs, baseline_names, _ = ensemble_probabilities(baseline, faces.images, tta, precision)
        report["against"] = _paired_difference(faces, probs, model_names, baseline_probs, baseline_names)
        report["against"]["checkpoints"] = [str(p) for p in baseline]
    return report


def _paired_difference(faces: EvaluationSet, probs, model_names, baseline_probs, baseline_names) -> dict:
    """The baseline's accuracy on the scored faces and the paired difference from it."""
    scored = faces.labels >= 0
    predicted = to_data_classes(probs, model_names, faces.class_names)[0][scored].argmax(axis=1)
    baseline = to_data_classes(baseline_probs, baseline_names, faces.class_names)[0][scored].argmax(axis=1)
    true = faces.labels[scored]
    return {"accuracy": float((baseline == true).mean()), **difference_interval(true, predicted, baseline)}


def score_faces(faces: EvaluationSet, probs: np.ndarray, model_names: list[str]) -> dict:
    """The figures of ``evaluate`` for a model's (N, K) probabilities on ``faces``, matched by class
    name, with their 95% intervals (mien.train.intervals)."""
    probs, lacking = to_data_classes(probs, model_names, faces.class_names)  # (N, classes of the data)
    scored = faces.labels >= 0  # FER+: a majority label; FER2013: every face
    true, predicted = faces.labels[scored], probs[scored].argmax(axis=1)
    report = classification_report(true, predicted, faces.class_names)
    report.update(probability_report(true, probs[scored]))
    report["intervals"] = label_intervals(true, predicted, faces.class_names)
    report["intervals"]["expected_calibration_error"] = calibration_interval(true, probs[scored])
    if faces.vote_shares is not None:
        report.update(_vote_figures(faces, probs))
    report["model_lacks"] = lacking
    return report


def to_data_classes(
    probabilities: np.ndarray, model_names: list[str], data_names: tuple[str, ...]
) -> tuple[np.ndarray, list[str]]:
    """The model's (N, K) probabilities placed by class name into the data's class order, and the
    data's classes the model lacks (probability 0). Classes the data lacks are dropped and the rest
    rescaled to sum to 1, as if the model had been told the face shows one of the data's classes."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    model_names = list(model_names)
    if model_names == list(data_names):
        return probabilities, []
    if not set(model_names) & set(data_names):
        raise MienError(f"the model's classes ({', '.join(model_names)}) share none with the data's")
    placed = np.zeros((len(probabilities), len(data_names)))  # (N, classes of the data)
    lacking = []
    for index, name in enumerate(data_names):
        if name in model_names:
            placed[:, index] = probabilities[:, model_names.index(name)]
        else:
            lacking.append(name)
    return placed / placed.sum(axis=1, keepdims=True).clip(min=1e-12), lacking


def held_out_faces(paths: list[Path], data_path: Path) -> EvaluationSet:
    """The Training faces the models' run held out of training (data.holdout, drawn with its seed);
    every model must come from runs that held out the same faces."""
    drawn = set()
    for path in paths:
        config = load_checkpoint(path).get("config", {})
        drawn.add((config.get("data", {}).get("holdout", 0.0), config.get("train", {}).get("seed")))
    if len(drawn) > 1:
        raise MienError(f"the models held out different faces (share, seed): {sorted(drawn)}")
    ((share, seed),) = drawn
    if not share:
        raise MienError(
            f"{paths[0]} held no Training faces out (data.holdout); --split holdout needs such a run"
        )
    return held_out_set(data_path, share, seed)


def _vote_figures(faces: EvaluationSet, probabilities: np.ndarray) -> dict:
    """Raters' votes: the faces left out of scoring, and the cross-entropy against the vote shares
    over the faces training learns from (FER+: expression votes that unknown and not-a-face do not lead)."""
    learnable = faces.learnable
    shares = faces.vote_shares[learnable]
    return {
        "without_majority": int((faces.labels < 0).sum()),
        "vote_cross_entropy": vote_cross_entropy(shares, probabilities[learnable]) if len(shares) else None,
        "vote_faces": int(learnable.sum()),
    }
