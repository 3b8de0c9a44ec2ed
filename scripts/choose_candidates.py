"""Candidates on the parts that choose between them, never a test split: FER+'s and RAF-DB's held-out
tenths of Training (the runs' data.holdout), the FER2013 label of each FER+ held-out face (the
FER2013 Training face it is, paired by pixels), and KDEF's choose/ part through the whole pipeline.

    .venv/bin/python scripts/choose_candidates.py NAME=CHECKPOINT ... [--tta] [--out FILE.json]

One view unless --tta, fp32 (the candidates are checkpoints); writes one JSON object per candidate.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from mien.atomic import atomic_path
from mien.backends import load_classifier
from mien.config import DataConfig
from mien.data.cache import load_fer2013
from mien.data.pairing import with_fer2013_labels
from mien.data.splits import training_splits
from mien.train.evaluate import evaluate, to_data_classes
from mien.train.metrics import classification_report
from mien.train.photo_eval import aligned_crops, score_crops

SHARED = Path(__file__).resolve().parents[2] / "shared"
FERPLUS = Path(os.environ.get("MIEN_FERPLUS", SHARED / "ferplus"))
FER2013 = Path(os.environ.get("MIEN_FER2013", SHARED / "fer2013"))
RAFDB = Path(os.environ.get("MIEN_RAFDB", SHARED / "rafdb"))
KDEF = Path(os.environ.get("MIEN_KDEF", SHARED / "kdef"))


def fer2013_labels_of_held_out(share: float = 0.1, seed: int = 11):
    """FER+'s held-out faces (as every FER+ run holds them out) with their FER2013 labels."""
    faces = with_fer2013_labels(load_fer2013(FERPLUS), load_fer2013(FER2013))
    _, held = training_splits(faces, DataConfig(holdout=share), seed)
    known = held.fer2013_labels >= 0
    return held.images[known], held.fer2013_labels[known], held.class_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("candidates", nargs="+", help="NAME=CHECKPOINT")
    parser.add_argument("--tta", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("runs/candidates.json"))
    args = parser.parse_args()
    images, labels, names = fer2013_labels_of_held_out()
    kdef = aligned_crops(KDEF / "choose")
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    for item in args.candidates:
        name, _, path = item.partition("=")
        ferplus = evaluate([Path(path)], FERPLUS, "holdout", tta=args.tta, precision="fp32")
        rafdb = evaluate([Path(path)], RAFDB, "holdout", tta=args.tta, precision="fp32")
        classifier = load_classifier(Path(path), tta=args.tta, precision="fp32")
        probs, _ = to_data_classes(classifier.probabilities(images), classifier.class_names, names)
        fer2013 = classification_report(labels, probs.argmax(axis=1), names)
        posed = score_crops(classifier, kdef)
        row = {
            "FER+ held-out": ferplus["accuracy"],
            "FER+ held-out macro-F1": ferplus["macro_f1"],
            "RAF-DB held-out": rafdb["accuracy"],
            "RAF-DB held-out macro-F1": rafdb["macro_f1"],
            "RAF-DB held-out lowest recall": min(v["recall"] for v in rafdb["per_class"].values()),
            "FER2013 labels on FER+ held-out": fer2013["accuracy"],
            "KDEF choose": posed["accuracy"],
            "KDEF choose answered": posed["answered_accuracy"],
            "KDEF choose recall": {k: round(v["recall"], 3) for k, v in posed["per_class"].items()},
        }
        results[name + (" TTA" if args.tta else "")] = row
        print(name, " ".join(f"{k} {v:.4f}" for k, v in row.items() if isinstance(v, float)), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out) as tmp:
        tmp.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
