"""Weights between a model and its fine-tuned descendant (WiSE-FT, Wortsman et al., 2022): for each
alpha, alpha of the descendant's weights and the rest of the ancestor's, weight by weight.

    .venv/bin/python scripts/interpolate_weights.py ANCESTOR DESCENDANT --alphas 0.3,0.5,0.7 \
        [--measure-bn DATA] --out-dir runs/interpolated

ANCESTOR and DESCENDANT are checkpoints or shipped model names, one network. Where the descendant
has classes the ancestor lacks (FER+'s contempt beside FER2013's seven), the ancestor's last-layer
rows are carried over by class name and the missing ones taken from the descendant. Batch-norm
statistics are interpolated like the weights, or, with --measure-bn, measured again on 8,192 of
the descendant run's own training faces drawn at random (its data settings read from the
checkpoint; DATA is the FER+ folder it trained on). Writes one checkpoint per alpha, in the
descendant's description, named alpha_0.50.pt (alpha_0.50_bn.pt with --measure-bn).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from mien.catalogue import resolve_model
from mien.config import config_from_dict
from mien.data.run_data import run_data
from mien.models.checkpoint import fp32_weights, load_checkpoint, model_from_checkpoint, save_checkpoint
from mien.train.checkpoint import inference_checkpoint
from mien.train.snapshot import by_class_name
from mien.train.swa import measure_batch_norm


def interpolated(ancestor: dict, descendant: dict, alpha: float) -> dict:
    """alpha of the descendant's weights and 1 - alpha of the ancestor's, whose last-layer rows are
    laid out in the descendant's classes (by name; a class it lacks takes the descendant's row)."""
    start, end = fp32_weights(ancestor), fp32_weights(descendant)
    names, wanted = list(ancestor["class_names"]), list(descendant["class_names"])
    if names != wanted:
        start = by_class_name(start, end, names, wanted)
    mixed = inference_checkpoint(descendant)
    mixed["state_dict"] = {
        key: (1 - alpha) * start[key] + alpha * value if value.is_floating_point() else value.clone()
        for key, value in end.items()
    }
    return mixed


BATCH_NORM_FACES = 8192


def training_sample(descendant: dict, data: Path) -> torch.Tensor:
    """BATCH_NORM_FACES of the descendant run's training faces, drawn at random (seed 0)."""
    training, _ = run_data(data, config_from_dict(descendant["config"]))
    drawn = np.random.default_rng(0).choice(len(training.images), BATCH_NORM_FACES, replace=False)
    return torch.from_numpy(training.images[np.sort(drawn)])


def with_measured_batch_norm(checkpoint: dict, faces: torch.Tensor) -> dict:
    model = model_from_checkpoint(checkpoint)
    measure_batch_norm(model, faces, checkpoint["preprocess"])
    checkpoint["state_dict"] = {key: value.clone() for key, value in model.state_dict().items()}
    return checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ancestor")
    parser.add_argument("descendant")
    parser.add_argument("--alphas", default="0.3,0.4,0.5,0.6,0.7")
    parser.add_argument("--measure-bn", type=Path, default=None, metavar="DATA")
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args()
    ancestor = load_checkpoint(resolve_model(args.ancestor))
    descendant = load_checkpoint(resolve_model(args.descendant))
    faces = training_sample(descendant, args.measure_bn) if args.measure_bn else None
    for alpha in (float(value) for value in args.alphas.split(",")):
        mixed = interpolated(ancestor, descendant, alpha)
        if args.measure_bn:
            mixed = with_measured_batch_norm(mixed, faces)
        batch_norm = "measured" if args.measure_bn else "interpolated"
        mixed["interpolation"] = {"ancestor": args.ancestor, "descendant": args.descendant, "alpha": alpha,
                                  "batch_norm": batch_norm}  # fmt: skip
        out = args.out_dir / f"alpha_{alpha:.2f}{'_bn' if args.measure_bn else ''}.pt"
        save_checkpoint(out, mixed)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
