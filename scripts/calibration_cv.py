"""Does calibrating on PublicTest help on faces it was not fitted to? Cross-validated on PublicTest.

    .venv/bin/python scripts/calibration_cv.py --data ../shared/fer2013 vgg_s_distilled_gen3_swa [...]

For each checkpoint (and for the mean of all of them, each calibrated on its own): split PublicTest
into random halves, fit the temperature and class biases (`mien calibrate`) on one half with the
TTA views, measure the other half with and without them, swap, repeat. Prints the mean change in
accuracy, macro-F1, log loss and calibration error, for one view and for TTA. PrivateTest is not read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mien.catalogue import resolve_model
from mien.data.cache import load_fer2013
from mien.data.fer2013 import CLASS_NAMES
from mien.models.checkpoint import load_checkpoint, model_from_checkpoint
from mien.models.forward import predict_logits, view_averaged_probabilities
from mien.train.calibrate import Calibration, fit_calibration, headline_figures

IDENTITY = Calibration(1.0, (0.0,) * 7)
FIGURES = ("accuracy", "macro_f1", "log_loss", "expected_calibration_error")


def figures(view_logits: list[np.ndarray], calibrations: list[Calibration], labels: np.ndarray) -> np.ndarray:
    """The figures of the mean of each model's view-averaged, calibrated probabilities."""
    probabilities = np.mean(
        [view_averaged_probabilities(c.apply(logits)) for logits, c in zip(view_logits, calibrations)], axis=0
    )
    report = headline_figures(probabilities, labels, CLASS_NAMES)
    return np.array([report[name] for name in FIGURES])


def cross_validate(view_logits: list[np.ndarray], labels: np.ndarray, repeats: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    changes = {"one view": [], "TTA": []}
    for _ in range(repeats):
        order = rng.permutation(len(labels))
        halves = (order[: len(order) // 2], order[len(order) // 2 :])
        for fit_on, measure_on in (halves, halves[::-1]):
            fitted = [fit_calibration(logits[fit_on], labels[fit_on]) for logits in view_logits]
            for views, name in ((slice(0, 1), "one view"), (slice(None), "TTA")):
                measured = [logits[measure_on][:, views] for logits in view_logits]
                after = figures(measured, fitted, labels[measure_on])
                before = figures(measured, [IDENTITY] * len(measured), labels[measure_on])
                changes[name].append(after - before)
    return {name: np.mean(rows, axis=0) for name, rows in changes.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=20, help="Random halvings of PublicTest.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    faces = load_fer2013(args.data).select("PublicTest")
    view_logits = []
    for path in tqdm(args.checkpoints, desc="TTA logits on PublicTest"):
        checkpoint = load_checkpoint(resolve_model(path))
        view_logits.append(predict_logits(model_from_checkpoint(checkpoint), faces.images,
                                          checkpoint["preprocess"], tta=True))  # fmt: skip
    candidates = [(path.stem, [logits]) for path, logits in zip(args.checkpoints, view_logits)]
    if len(view_logits) > 1:
        candidates.append(("mean of all", view_logits))
    print(f"{'model':<28}{'views':<10}" + "".join(f"{name:>28}" for name in FIGURES))
    for name, logits in candidates:
        for views, change in cross_validate(logits, faces.labels, args.repeats, args.seed).items():
            print(f"{name:<28}{views:<10}" + "".join(f"{value:>+28.4f}" for value in change))


if __name__ == "__main__":
    main()
