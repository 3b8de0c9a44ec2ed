"""Which framing RAF-DB's faces should have: the shipped FER2013 model (which learned the pipeline's
framing) on RAF-DB's held-out tenth of train, as RAF-DB crops them ("native") and reframed by the
pipeline's aligner ("pipeline"); and a grid of training faces from each set as the model sees them.

    .venv/bin/python scripts/rafdb_framing.py [--rafdb ../shared/rafdb] [--grid FILE.png]

RAF-DB test is not read: the held-out tenth is the one runs choose on (data.holdout 0.1, seed 11).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np

from mien.atomic import atomic_path
from mien.backends import load_classifier
from mien.catalogue import model_file
from mien.config import DataConfig
from mien.data.cache import load_fer2013
from mien.data.rafdb import read_rafdb
from mien.data.splits import training_splits
from mien.train.metrics import classification_report

SHARED = Path(__file__).resolve().parents[2] / "shared"
MODEL = "vgg_s_distilled_gen3_swa"  # the default's network before its calibration
PER_ROW, ZOOM = 12, 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rafdb", type=Path, default=Path(os.environ.get("MIEN_RAFDB", SHARED / "rafdb")))
    parser.add_argument(
        "--fer2013", type=Path, default=Path(os.environ.get("MIEN_FER2013", SHARED / "fer2013"))
    )
    parser.add_argument(
        "--ferplus", type=Path, default=Path(os.environ.get("MIEN_FERPLUS", SHARED / "ferplus"))
    )
    parser.add_argument("--grid", type=Path, default=Path("docs/model_card/framing_grid.png"))
    args = parser.parse_args()
    classifier = load_classifier(model_file(MODEL), False, "fp32")
    rows = {}
    for framing in ("native", "pipeline"):
        _, held = training_splits(read_rafdb(args.rafdb, framing), DataConfig(holdout=0.1), seed=11)
        report = classification_report(
            held.labels, classifier.probabilities(held.images).argmax(axis=1), held.class_names
        )
        recalls = ", ".join(f"{name} {c['recall']:.2f}" for name, c in report["per_class"].items())
        print(f"RAF-DB held-out tenth ({len(held)} faces), {framing}: accuracy {report['accuracy']:.2%}, "
              f"macro-F1 {report['macro_f1']:.3f}; recall {recalls}")  # fmt: skip
        rows[f"RAF-DB, {framing}"] = held.images
    rows = {
        "FER2013": load_fer2013(args.fer2013).select("train").images,
        "FER+": load_fer2013(args.ferplus).select("train").images,
        **rows,
    }
    write_grid(rows, args.grid)
    print(f"wrote {args.grid}")


def write_grid(rows: dict[str, np.ndarray], path: Path) -> None:
    """One row per set: PER_ROW faces spread over it, its name above."""
    blocks = []
    for name, images in rows.items():
        picked = images[np.linspace(0, len(images) - 1, PER_ROW).astype(int)]
        strip = cv2.resize(np.hstack(list(picked)), None, fx=ZOOM, fy=ZOOM, interpolation=cv2.INTER_NEAREST)
        title = np.full((28, strip.shape[1]), 255, np.uint8)
        cv2.putText(title, name, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 1, cv2.LINE_AA)
        blocks += [title, strip]
    with atomic_path(path) as tmp:  # keeps the .png that tells OpenCV the format
        cv2.imwrite(str(tmp), np.vstack(blocks))


if __name__ == "__main__":
    main()
