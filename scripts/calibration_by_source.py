"""Calibration on each held-out tenth on its own: what a temperature fitted on FER+'s and RAF-DB's
held-out faces together does to each kind of face, never a test split.

    .venv/bin/python scripts/calibration_by_source.py CHECKPOINT ... [--scales 0.8,0.9,1,1.1,1.2]

Per checkpoint (calibrated or not; one view, fp32) and per held-out tenth (the run's data.holdout
and seed; FER+'s faces scored by their majority): accuracy, the lowest class recall, and the
expected calibration error with the checkpoint's logits divided by each scale (1: as it answers).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mien.models.checkpoint import load_checkpoint, model_from_checkpoint
from mien.models.forward import predict_logits, view_averaged_probabilities
from mien.train.calibrate import labelled_faces
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
    temperatures = [round(record["temperature"], 3) for record in checkpoint.get("calibration", [])]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--scales", default="0.8,0.9,1,1.1,1.2", help="Temperatures, times the checkpoint's.")
    args = parser.parse_args()
    scales = [float(value) for value in args.scales.split(",")]
    for path in args.checkpoints:
        by_source(path, scales)


if __name__ == "__main__":
    main()
