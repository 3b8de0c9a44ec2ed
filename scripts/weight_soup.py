"""A greedy weight soup: checkpoints fine-tuned from one ancestor, averaged weight by weight, each
kept only if the average it joins does not score lower on the held-out tenths (never a test split).

    .venv/bin/python scripts/weight_soup.py --rule ferplus|wild CHECKPOINT ... --out SOUP.pt

Scores (one view, fp32; the runs' data.holdout and seed): `ferplus` ranks by FER+'s held-out
accuracy (the raters' majority); `wild` by the mean of FER+'s and RAF-DB's, and counts an average
only when every RAF-DB held-out recall is at least 0.6. Ingredients are tried best first. Weights
(batch-norm statistics too) are averaged; the soup keeps the best ingredient's description and
records its ingredients. `mien soup` averages a given list instead, without choosing.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from mien.models.checkpoint import fp32_weights, load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.models.forward import predict_logits
from mien.train.calibrate import labelled_faces
from mien.train.checkpoint import inference_checkpoint
from mien.train.evaluate import held_out_faces
from mien.train.metrics import classification_report
from mien.train.soup import mean_weights

SHARED = Path(__file__).resolve().parents[2] / "shared"
FERPLUS = Path(os.environ.get("MIEN_FERPLUS", SHARED / "ferplus"))
RAFDB = Path(os.environ.get("MIEN_RAFDB", SHARED / "rafdb"))
LOWEST_RECALL = 0.6  # wild: every RAF-DB held-out recall at least this


class HeldOut:
    """The held-out tenths, read once, and a checkpoint's figures on them."""

    def __init__(self, reference: Path, sources: dict[str, Path]):
        class_names = tuple(load_checkpoint(reference)["class_names"])
        self.faces = {
            name: labelled_faces(held_out_faces([reference], path), path, class_names)
            for name, path in sources.items()
        }

    def figures(self, checkpoint: dict) -> dict[str, dict]:
        model = model_from_checkpoint(checkpoint)
        figures = {}
        for name, (images, labels) in self.faces.items():
            answers = predict_logits(model, images, checkpoint["preprocess"], False)[:, 0].argmax(axis=1)
            report = classification_report(labels, answers, tuple(checkpoint["class_names"]))
            recalls = [row["recall"] for row in report["per_class"].values() if row["support"]]
            figures[name] = {"accuracy": report["accuracy"], "lowest_recall": min(recalls)}
        return figures


def score(rule: str, figures: dict[str, dict]) -> float:
    if rule == "ferplus":
        return figures["FER+"]["accuracy"]
    if figures["RAF-DB"]["lowest_recall"] < LOWEST_RECALL:
        return float("-inf")
    return float(np.mean([figures["FER+"]["accuracy"], figures["RAF-DB"]["accuracy"]]))


def averaged(checkpoints: list[dict]) -> dict:
    """The first checkpoint's description with the mean of the checkpoints' weights (batch-norm
    statistics averaged too: `mien soup` measures them again instead)."""
    soup = inference_checkpoint(checkpoints[0])
    soup["state_dict"] = mean_weights([fp32_weights(checkpoint) for checkpoint in checkpoints])
    return soup


def greedy_soup(rule: str, paths: list[Path]) -> tuple[dict, list[dict]]:
    sources = {"FER+": FERPLUS} if rule == "ferplus" else {"FER+": FERPLUS, "RAF-DB": RAFDB}
    held_out = HeldOut(paths[0], sources)
    checkpoints = {path: load_checkpoint(path) for path in paths}
    alone = {path: held_out.figures(checkpoint) for path, checkpoint in checkpoints.items()}
    ranked = sorted(paths, key=lambda path: score(rule, alone[path]), reverse=True)
    log = [{"ingredient": str(path), "alone": alone[path]} for path in ranked]
    kept = [ranked[0]]
    best = score(rule, alone[ranked[0]])
    log[0]["soup"] = {"kept": True, "figures": alone[ranked[0]]}
    for entry, path in zip(log[1:], ranked[1:]):
        trial = averaged([checkpoints[p] for p in [*kept, path]])
        figures = held_out.figures(trial)
        keep = score(rule, figures) >= best
        entry["soup"] = {"kept": keep, "figures": figures}
        if keep:
            kept.append(path)
            best = score(rule, figures)
    soup = averaged([checkpoints[p] for p in kept])
    soup["soup"] = {"rule": rule, "ingredients": [str(p) for p in kept]}
    return soup, log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rule", choices=["ferplus", "wild"], required=True)
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    soup, log = greedy_soup(args.rule, args.checkpoints)
    save_checkpoint(args.out, soup)
    print(json.dumps(log, indent=1))
    print(f"wrote {args.out}: {len(soup['soup']['ingredients'])} ingredients")


if __name__ == "__main__":
    main()
