"""Each shipped model (and any checkpoint named) on the three data sets' reported splits: FER2013
PrivateTest, FER+ FER2013Valid (the ten raters' majority) and RAF-DB test; accuracy and macro-F1.

    .venv/bin/python scripts/cross_dataset.py [--checkpoint NAME=PATH ...] [--only NAME ...] [--out FILE.json]

Models answer in their own classes, matched to each data set's by name (mien.train.evaluate): a
seven-class model is scored on FER+'s eight with contempt never answered; an eight-class model on
the seven-class sets has its contempt probability dropped and the rest rescaled. One view, the
precision `mien predict` uses here. Each test split is read once per model and figure: run it once
per model that is reported.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from mien.atomic import atomic_path
from mien.catalogue import member_files, model_file, shipped_models
from mien.train.evaluate import evaluate

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = {  # data set -> (where, split read)
    "FER2013 PrivateTest": (Path(os.environ.get("MIEN_FER2013", SHARED / "fer2013")), "private"),
    "FER+ FER2013Valid": (Path(os.environ.get("MIEN_FERPLUS", SHARED / "ferplus")), "public"),
    "RAF-DB test": (Path(os.environ.get("MIEN_RAFDB", SHARED / "rafdb")), "private"),
}


def models(extra: list[str]) -> dict[str, list[Path]]:
    """Name -> the files to average: every shipped model, then the NAME=PATH checkpoints."""
    chosen = {m.name: (member_files(m.name) if m.members else [model_file(m.name)]) for m in shipped_models()}
    for item in extra:
        name, _, path = item.partition("=")
        chosen[name] = [Path(path)]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", action="append", default=[], help="NAME=PATH, a model not shipped")
    parser.add_argument("--only", action="append", default=[], help="measure only these names")
    parser.add_argument("--out", type=Path, default=Path("docs/model_card/cross_dataset.json"))
    args = parser.parse_args()
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    for name, paths in models(args.checkpoint).items():
        if args.only and name not in args.only:
            continue
        results[name] = {}
        for data_name, (path, split) in DATA.items():
            report = evaluate(paths, path, split)
            results[name][data_name] = {
                "accuracy": report["accuracy"],
                "macro_f1": report["macro_f1"],
                "faces": report["count"],
                "recall": {cls: round(v["recall"], 4) for cls, v in report["per_class"].items()},
                "model_lacks": report["model_lacks"],
                "precision": report["precision"],
            }
            print(
                f"{name:40s} {data_name:20s} {report['accuracy']:.2%}  macro-F1 {report['macro_f1']:.3f}",
                flush=True,
            )
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
