"""Time per face of every explanation method on the shipped model, median of several faces.

    .venv/bin/python benchmarks/explain_speed.py [--faces 10]

The baseline is one plain classification of the same face, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from mien.data.loaders import to_model_input
from mien.data.synthetic import draw_face
from mien.explain import explain, list_explainers
from mien.pipeline import Predictor


def median_seconds(function, inputs: list[torch.Tensor]) -> float:
    function(inputs[0])  # warm-up
    times = []
    for x in inputs:
        started = time.perf_counter()
        function(x)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=10)
    args = parser.parse_args()
    predictor = Predictor.default(precision="fp32")
    rng = np.random.default_rng(0)
    faces = [to_model_input(draw_face(i % 7, rng)[None], predictor.preprocess) for i in range(args.faces)]
    with torch.no_grad():
        baseline = median_seconds(predictor.model, faces)
    print(f"{'method':<22}{'ms/face':>9}{'vs classify':>13}")
    print(f"{'classify (baseline)':<22}{baseline * 1000:>9.1f}{1.0:>12.0f}x")
    for method in list_explainers():
        seconds = median_seconds(lambda x, m=method: explain(predictor.model, x, m), faces)
        print(f"{method:<22}{seconds * 1000:>9.1f}{seconds / baseline:>12.0f}x")


if __name__ == "__main__":
    main()
