"""Classifier speed on 48x48 face crops, every backend and precision in one run, median of repeats.

    .venv/bin/python benchmarks/inference_speed.py [--batch 256] [--repeats 7]

Times each classifier's `probabilities` (scaling + forward + softmax) on random crops, one face at
a time and in batches. Ratios are against PyTorch fp32 of the same model, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from mien.backends import load_classifier
from mien.pipeline import SHIPPED_ONNX, SHIPPED_WEIGHTS

TARGET_FACES_PER_SECOND = 3000  # batched, on this 2-core machine
CLASSIFIERS = [  # (name, model file, precision)
    ("torch fp32", SHIPPED_WEIGHTS, "fp32"),
    ("torch bf16", SHIPPED_WEIGHTS, "bf16"),
    ("onnx fp32", SHIPPED_ONNX["fp32"], "auto"),
    ("onnx int8", SHIPPED_ONNX["int8"], "auto"),
]


def faces_per_second(classifier, crops: np.ndarray, batch: int, repeats: int) -> float:
    def one_pass() -> float:
        started = time.perf_counter()
        for start in range(0, len(crops), batch):
            classifier.probabilities(crops[start : start + batch])
        return len(crops) / (time.perf_counter() - started)

    one_pass()  # warm-up
    return statistics.median(one_pass() for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    crops = np.random.default_rng(0).integers(0, 256, (args.batch, 48, 48), dtype=np.uint8)
    rows = []
    for name, path, precision in CLASSIFIERS:
        classifier = load_classifier(path, precision=precision)
        batched = faces_per_second(classifier, crops, args.batch, args.repeats)
        single = faces_per_second(classifier, crops[:64], 1, args.repeats)
        rows.append((name, single, batched))
    baseline = rows[0][2]
    print(f"{'classifier':<12}{'1 face':>10}{f'batch {args.batch}':>11}{'vs torch fp32':>15}  (faces/s)")
    for name, single, batched in rows:
        print(f"{name:<12}{single:>10.0f}{batched:>11.0f}{batched / baseline:>14.2f}x")
    best = max(rows, key=lambda row: row[2])
    verdict = "meets" if best[2] >= TARGET_FACES_PER_SECOND else "misses"
    print(f"fastest: {best[0]}, which {verdict} the target of {TARGET_FACES_PER_SECOND} faces/s batched")


if __name__ == "__main__":
    main()
