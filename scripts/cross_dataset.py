"""Each shipped model (and any checkpoint named) on the four reported sets: FER2013 PrivateTest
(FER2013's labels), FER+ FER2013Valid (the ten raters' majority), RAF-DB test, and KDEF report/
(posed photos, through the whole pipeline: detect, align, classify); accuracy and macro-F1.

    .venv/bin/python scripts/cross_dataset.py [--checkpoint NAME=PATH ...] [--only NAME ...] [--tta]
        [--sets SET ...] [--out FILE.json]

A shipped model runs as `mien predict --model NAME` runs it (int8 with fp32 re-answering near-ties
where it ships both; --tta: fp32 with test-time augmentation, as `mien predict --tta`); where it
runs a cascade, the share of RAF-DB test labels equal to its fp32 file's is recorded too. Each
figure comes with its 95% interval (the faces resampled, mien.train.intervals). Models
answer in their own classes, matched to each data set's by name (mien.train.evaluate): a
seven-class model is scored on FER+'s eight with contempt never answered; an eight-class model on
the seven-class sets has its contempt probability dropped and the rest rescaled (KDEF also gives
the accuracy of the labels as printed, contempt counting as wrong). Each test split is read once
per model and figure: run it once per model that is reported.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from mien.atomic import atomic_path
from mien.backends import load_classifier
from mien.backends.cascade import CascadeClassifier
from mien.catalogue import shipped_models
from mien.data.run_data import evaluation_set
from mien.pipeline import Predictor
from mien.train.evaluate import score_faces
from mien.train.photo_eval import aligned_crops, score_crops

SHARED = Path(__file__).resolve().parents[2] / "shared"
KDEF = "KDEF report"
DATA = {  # data set -> (where, split read)
    "FER2013 PrivateTest": (Path(os.environ.get("MIEN_FER2013", SHARED / "fer2013")), "private"),
    "FER+ FER2013Valid": (Path(os.environ.get("MIEN_FERPLUS", SHARED / "ferplus")), "public"),
    "RAF-DB test": (Path(os.environ.get("MIEN_RAFDB", SHARED / "rafdb")), "private"),
    KDEF: (Path(os.environ.get("MIEN_KDEF", SHARED / "kdef")) / "report", None),
}


def classifiers(extra: list[str], only: list[str], tta: bool) -> dict:
    """Name -> a classifier as `mien predict` runs it: every shipped model, then NAME=PATH checkpoints."""
    chosen = {}
    for model in shipped_models():
        if not only or model.name in only:
            chosen[model.name] = Predictor.default(model.name, tta=tta).classifier
    for item in extra:
        name, _, path = item.partition("=")
        if not only or name in only:
            chosen[name] = load_classifier(Path(path), tta=tta)
    return chosen


def measure(classifier, data_name: str, crops) -> dict:
    path, split = DATA[data_name]
    if data_name == KDEF:
        report = score_crops(classifier, crops)
        extra = {"answered_accuracy": report["answered_accuracy"], "without_face": report["without_face"]}
    else:
        faces = evaluation_set(path, split)
        probs = classifier.probabilities(faces.images)
        report = score_faces(faces, probs, classifier.class_names)
        extra = {
            "model_lacks": report["model_lacks"],
            "calibration_error": report["expected_calibration_error"],
        }
        if isinstance(classifier, CascadeClassifier) and data_name == "RAF-DB test":
            exact = classifier.exact.probabilities(faces.images).argmax(axis=1)
            extra["same_label_as_fp32"] = float((exact == probs.argmax(axis=1)).mean())
    return {
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "faces": report["count"],
        "recall": {cls: round(v["recall"], 4) for cls, v in report["per_class"].items()},
        "precision": classifier.precision,
        "intervals": rounded(report["intervals"]),
        **extra,
    }


def rounded(intervals: dict) -> dict:
    """The 95% intervals (mien.train.intervals) to four places, as the recalls are."""

    def four(bounds):
        return None if bounds is None else [round(bound, 4) for bound in bounds]

    return {
        key: {name: four(b) for name, b in value.items()} if key == "recall" else four(value)
        for key, value in intervals.items()
        if key not in ("level", "draws")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", action="append", default=[], help="NAME=PATH, a model not shipped")
    parser.add_argument("--only", action="append", default=[], help="measure only these names")
    parser.add_argument("--sets", action="append", default=[], choices=list(DATA), help="only these sets")
    parser.add_argument("--tta", action="store_true", help="fp32 with test-time augmentation")
    parser.add_argument("--out", type=Path, default=Path("docs/model_card/cross_dataset.json"))
    args = parser.parse_args()
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    sets = args.sets or list(DATA)
    crops = aligned_crops(DATA[KDEF][0]) if KDEF in sets else None
    for name, classifier in classifiers(args.checkpoint, args.only, args.tta).items():
        key = f"{name} TTA" if args.tta else name
        results.setdefault(key, {})
        for data_name in sets:
            if data_name == KDEF and args.tta:
                continue  # photos are answered one view, as `mien predict` answers them by default
            figures = measure(classifier, data_name, crops)
            results[key][data_name] = figures
            print(f"{key:30s} {data_name:20s} {figures['accuracy']:.2%}  macro-F1 {figures['macro_f1']:.3f}",
                  flush=True)  # fmt: skip
    with atomic_path(args.out) as tmp:
        tmp.write_text(json.dumps(results, indent=1) + "\n")
    print("\n| model | " + " | ".join(DATA) + " |\n|---|" + "---|" * len(DATA))
    for name, figures in results.items():
        cells = [
            f"{figures[d]['accuracy']:.1%} / {figures[d]['macro_f1']:.3f}" if d in figures else "-"
            for d in DATA
        ]
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
