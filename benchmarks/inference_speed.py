"""Classifier speed on 48x48 face crops, every backend and precision in one run, median of repeats.

    .venv/bin/python benchmarks/inference_speed.py [--model NAME] [--batch 256] [--repeats 7]

Times each classifier's `probabilities` (scaling + forward + softmax) one face at a time and in
batches, on FER2013 PublicTest faces (../shared/fer2013 or $MIEN_FER2013; synthetic faces without
it: the int8+fp32 cascade's speed depends on how many faces are near-ties). Ratios are against
PyTorch fp32 of the same model, measured in the same run; a model other than the default is also
set against the default, both as shipped and timed in turns. Beside each batched figure:
the limit of its arithmetic (multiply-adds per face against this CPU's measured throughput,
benchmarks/limits.py; the cascade's is int8's) and the share of it reached.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
from limits import instruction_sets, limit, macs_per_face, throughputs

from mien.backends import load_classifier
from mien.catalogue import DEFAULT_MODEL, model_file, shipped_model
from mien.data.synthetic import make_faces
from mien.pipeline import Predictor
from mien.runtime import native_bf16

FER2013 = Path(os.environ.get("MIEN_FER2013", Path(__file__).resolve().parents[2] / "shared" / "fer2013"))

TARGET_FACES_PER_SECOND = 3000  # batched, on this 2-core machine


def classifiers(model: str) -> list[tuple]:
    """(name, model file, precision, backend) of each way to run a shipped model; as it ships last
    (a model that ships int8 alone: its int8 row is that row, not timed twice)."""
    ways = [
        ("torch fp32", model_file(model), "fp32", "torch"),
        ("torch bf16", model_file(model), "bf16", "torch"),
        ("onnx fp32", model_file(model), "auto", "onnx"),
    ]
    if not shipped_model(model).cascade:
        return [*ways, ("onnx int8 alone (as shipped)", model, None, "onnx")]
    return [*ways, ("onnx int8", model_file(model, "int8"), "auto", "onnx"),
            ("onnx int8+fp32 cascade (as shipped)", model, None, "onnx")]  # fmt: skip


def classifier_for(path, precision, backend):
    if precision is None:  # the model named by path, run as Predictor.default runs it
        return Predictor.default(path, backend=backend).classifier
    return load_classifier(path, precision=precision, backend=backend)


def real_faces(count: int) -> np.ndarray:
    files = sorted((FER2013 / "test").rglob("PublicTest_*.jpg"))[:count]
    if len(files) < count:
        return make_faces({"PublicTest": count}, seed=0)[0][:count]
    return np.stack([cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files])


def faces_per_second(classifier, crops: np.ndarray, batch: int, repeats: int) -> float:
    return in_turns([classifier], crops, batch, repeats)[0]


def in_turns(classifiers: list, crops: np.ndarray, batch: int, repeats: int) -> list[float]:
    """Faces/s of each classifier, timed in turns (A, B, A, B, ...; medians), so that a drift in the
    machine's speed touches all alike."""
    for classifier in classifiers:
        one_pass(classifier, crops, batch)  # warm-up
    rates = [[one_pass(c, crops, batch) for c in classifiers] for _ in range(repeats)]
    return [statistics.median(column) for column in zip(*rates)]


def one_pass(classifier, crops: np.ndarray, batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(crops), batch):
        classifier.probabilities(crops[start : start + batch])
    return len(crops) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="A shipped model with an int8 file.")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    crops = real_faces(args.batch)
    rows = []
    print(f"model: {args.model}")
    print(instruction_sets())
    for name, path, precision, backend in classifiers(args.model):
        if precision == "bf16" and not native_bf16():
            print(f"{name}: skipped, this CPU has no bf16 in hardware (emulated, it is many times slower)")
            continue
        classifier = classifier_for(path, precision, backend)
        batched = faces_per_second(classifier, crops, args.batch, args.repeats)
        single = faces_per_second(classifier, crops[:64], 1, args.repeats)
        rows.append((name, single, batched, classifier.precision.split("+")[0]))  # cascade: int8's
    print_table(rows, args.batch, macs_per_face(model_file(args.model)))
    shipped = rows[-1][2]
    verdict = "meets" if shipped >= TARGET_FACES_PER_SECOND else "misses"
    print(f"{args.model} as shipped {verdict} the target of {TARGET_FACES_PER_SECOND} faces/s batched")
    if args.model != DEFAULT_MODEL:
        as_shipped = [classifier_for(name, None, "onnx") for name in (args.model, DEFAULT_MODEL)]
        model_rate, default_rate = in_turns(as_shipped, crops, args.batch, args.repeats)
        ratio = model_rate / default_rate
        print(f"{args.model} against the default, both as shipped, timed in turns: "
              f"{model_rate:.0f} / {default_rate:.0f} faces/s batched, {ratio:.3f}x")  # fmt: skip


def print_table(rows: list[tuple], batch: int, macs: int) -> None:
    """Faces/s one at a time and batched, the ratio to the first row, and each batched figure's limit."""
    rates = throughputs()
    print(f"{macs / 1e6:.1f}M multiply-adds per face; measured GMAC/s: "
          + ", ".join(f"{precision} {rate / 1e9:.0f}" for precision, rate in rates.items()))  # fmt: skip
    baseline = rows[0][2]
    print(f"{'classifier':<38}{'1 face':>10}{f'batch {batch}':>11}{'vs torch fp32':>15}"
          f"{'limit (faces/s)':>17}{'of limit':>10}")  # fmt: skip
    for name, single, batched, precision in rows:
        line = f"{name:<38}{single:>10.0f}{batched:>11.0f}{batched / baseline:>14.2f}x"
        if precision in rates:
            ceiling = limit(macs, rates[precision])
            line += f"{ceiling:>12,.0f} {precision:<4}{batched / ceiling:>10.0%}"
        print(line)
    print("(faces/s; limit: the most the CPU's measured multiply-add rate allows in that precision)")


if __name__ == "__main__":
    main()
