"""Choose the shipped ensemble on PublicTest (with TTA): every subset of the candidate models whose
shipped files fit the size budget, ranked by log loss (or accuracy). PrivateTest is not read.

    .venv/bin/python scripts/select_ensemble.py --data ../shared/fer2013 \
        vgg_s=runs/vgg_s/best.pt resnet_s=runs/resnet_s/best.pt ... [--budget-mb 30] [--rank-by accuracy]

A candidate's size is that of its inference checkpoint (what ship_weights.py writes). Each model's
probabilities are cached in OUT, so adding a candidate later costs one model's pass. Writes
OUT/selection.json and prints the best subsets.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import torch

from mien.backends import load_classifier
from mien.data.cache import load_fer2013
from mien.models.checkpoint import load_checkpoint
from mien.outputs import write_json, write_npy
from mien.train.checkpoint import inference_checkpoint
from mien.train.ensemble_select import RANKINGS, rank_subsets

SPLIT = "PublicTest"


def shipped_size_mb(checkpoint_path: Path) -> float:
    buffer = io.BytesIO()
    torch.save(inference_checkpoint(load_checkpoint(checkpoint_path)), buffer)
    return buffer.tell() / 1e6


def cached_probabilities(name: str, checkpoint_path: Path, images: np.ndarray, cache: Path) -> np.ndarray:
    """The model's TTA probabilities on the split, recomputed when the checkpoint is newer."""
    cached = cache / f"{name}.npy"
    if cached.is_file() and cached.stat().st_mtime >= checkpoint_path.stat().st_mtime:
        return np.load(cached)
    probabilities = load_classifier(checkpoint_path, tta=True).probabilities(images)
    write_npy(cached, probabilities)
    return probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", nargs="+", help="NAME=CHECKPOINT")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--budget-mb", type=float, default=30.0)
    parser.add_argument("--rank-by", choices=RANKINGS, default="log_loss")
    parser.add_argument("--out", type=Path, default=Path("runs/ensemble_selection"))
    args = parser.parse_args()

    candidates = dict(item.split("=", 1) for item in args.candidates)
    faces = load_fer2013(args.data).select(SPLIT)
    args.out.mkdir(parents=True, exist_ok=True)
    probabilities, sizes_mb = {}, {}
    for name, path in candidates.items():
        probabilities[name] = cached_probabilities(name, Path(path), faces.images, args.out)
        sizes_mb[name] = shipped_size_mb(Path(path))
    class_names = tuple(load_checkpoint(Path(next(iter(candidates.values()))))["class_names"])
    ranked = rank_subsets(probabilities, faces.labels, sizes_mb, args.budget_mb, class_names, args.rank_by)

    write_json(
        args.out / "selection.json",
        {"split": SPLIT, "tta": True, "budget_mb": args.budget_mb, "rank_by": args.rank_by,
         "candidates": candidates, "sizes_mb": sizes_mb, "ranked": ranked},
    )  # fmt: skip
    for row in ranked[:10]:
        print(f"{row['accuracy']:.2%}  macro-F1 {row['macro_f1']:.3f}  log loss {row['log_loss']:.4f}  "
              f"{row['size_mb']:5.1f} MB  {' + '.join(row['members'])}")  # fmt: skip
    print(f"chosen: {' + '.join(ranked[0]['members'])}; written {args.out / 'selection.json'}")


if __name__ == "__main__":
    main()
