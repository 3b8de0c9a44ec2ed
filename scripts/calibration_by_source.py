"""Calibration on each held-out tenth on its own: what a temperature fitted on FER+'s and RAF-DB's
held-out faces together does to each kind of face, never a test split.

    .venv/bin/python scripts/calibration_by_source.py CHECKPOINT ... [--scales 0.8,0.9,1,1.1,1.2]
    .venv/bin/python scripts/calibration_by_source.py CHECKPOINT ... --folds 5

Per checkpoint (calibrated or not; one view, fp32) and per held-out tenth (the run's data.holdout
and seed; FER+'s faces scored by their majority): accuracy, the lowest class recall, and the
expected calibration error with the checkpoint's logits divided by each scale (1: as it answers).
With --folds: the three calibrations `mien calibrate` fits on both tenths together (one
temperature, and a temperature that reads the logits or the hidden layer) compared by
cross-validation, each fold calibrated by a fit on the others: the calibration error on each tenth.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from mien.models.checkpoint import load_checkpoint, model_from_checkpoint
from mien.models.forward import predict_logits, view_averaged_probabilities
from mien.train.calibrate import (
    apply_temperature,
    fit_calibration,
    fit_temperature,
    hidden_and_logits,
    labelled_faces,
)
from mien.train.evaluate import held_out_faces
from mien.train.metrics import classification_report, probability_report

SHARED = Path(__file__).resolve().parents[2] / "shared"
SOURCES = {
    "FER+": Path(os.environ.get("MIEN_FERPLUS", SHARED / "ferplus")),
    "RAF-DB": Path(os.environ.get("MIEN_RAFDB", SHARED / "rafdb")),
}


def by_source(path: Path, scales: list[float]) -> None:
    checkpoint = load_checkpoint(path)
    class_names = tuple(checkpoint["class_names"])
    model = model_from_checkpoint(checkpoint)
    temperatures = [round(record["temperature"], 3) if "temperature" in record else "by logits"
                    for record in checkpoint.get("calibration", [])]  # fmt: skip
    print(f"{path} (calibrated by temperature {temperatures or 'none'})")
    for source, data in SOURCES.items():
        images, labels = labelled_faces(held_out_faces([path], data), data, class_names)
        logits = predict_logits(model, images, checkpoint["preprocess"], False)
        report = classification_report(labels, logits[:, 0].argmax(axis=1), class_names)
        present = [row["recall"] for row in report["per_class"].values() if row["support"]]
        errors = {
            scale: probability_report(labels, view_averaged_probabilities(logits / scale))[
                "expected_calibration_error"
            ]
            for scale in scales
        }
        table = "  ".join(f"x{scale:g}: {error:.4f}" for scale, error in errors.items())
        print(f"  {source:7s} {len(labels):5d} faces  accuracy {report['accuracy']:.4f}  "
              f"lowest recall {min(present):.2f}  calibration error  {table}")  # fmt: skip


def cross_validated(path: Path, folds: int) -> None:
    checkpoint = load_checkpoint(path)
    class_names = tuple(checkpoint["class_names"])
    model = model_from_checkpoint(checkpoint)
    model.temperature = None  # a temperature by the logits or the hidden layer is refitted here
    hidden, logits, labels, source_of = [], [], [], []
    for index, data in enumerate(SOURCES.values()):
        images, source_labels = labelled_faces(held_out_faces([path], data), data, class_names)
        source_hidden, source_logits = hidden_and_logits(model, images, checkpoint["preprocess"], False)
        hidden.append(source_hidden)
        logits.append(source_logits)
        labels.append(source_labels)
        source_of.append(np.full(len(source_labels), index))
    hidden, logits = np.concatenate(hidden), np.concatenate(logits)
    labels, source_of = np.concatenate(labels), np.concatenate(source_of)
    fold_of = np.random.default_rng(0).permutation(len(labels)) % folds
    one, by_logits, by_hidden = np.zeros_like(logits), np.zeros_like(logits), np.zeros_like(logits)
    for fold in range(folds):
        fit, held = fold_of != fold, fold_of == fold
        one[held] = fit_calibration(logits[fit], labels[fit], class_bias=False).apply(logits[held])
        by_logits[held] = apply_temperature(fit_temperature(logits[fit], labels[fit]), logits[held])
        temperature = fit_temperature(logits[fit], labels[fit], hidden[fit])
        by_hidden[held] = apply_temperature(temperature, logits[held], hidden[held])
    print(f"{path}: calibration error, {folds}-fold cross-validated "
          "(one temperature / by the logits / by the hidden layer)")  # fmt: skip
    for index, source in enumerate(SOURCES):
        mine = source_of == index
        errors = [
            probability_report(labels[mine], view_averaged_probabilities(calibrated[mine]))[
                "expected_calibration_error"
            ]
            for calibrated in (one, by_logits, by_hidden)
        ]
        print(f"  {source:7s} {mine.sum():5d} faces  " + " / ".join(f"{error:.4f}" for error in errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--scales", default="0.8,0.9,1,1.1,1.2", help="Temperatures, times the checkpoint's.")
    parser.add_argument("--folds", type=int, help="Compare the three calibrations by cross-validation.")
    args = parser.parse_args()
    scales = [float(value) for value in args.scales.split(",")]
    for path in args.checkpoints:
        if args.folds:
            cross_validated(path, args.folds)
        else:
            by_source(path, scales)


if __name__ == "__main__":
    main()
