"""Classifier speed on batches of 48x48 face crops: fp32 beside bf16, one run, median of repeats.

    .venv/bin/python benchmarks/inference_speed.py [--checkpoint PATH] [--batch 256] [--repeats 7]

Times Predictor.classify (preprocessing + forward + softmax) on random crops. Ratios are
against fp32 of the same model, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from mien.pipeline import Predictor
from mien.train import loop

TARGET_FACES_PER_SECOND = 1000


def faces_per_second(predictor: Predictor, crops: np.ndarray, bf16: bool, repeats: int) -> float:
    def one_pass() -> float:
        started = time.perf_counter()
        loop.predict_probabilities(
            predictor.model, crops, predictor.preprocess, batch_size=len(crops), bf16=bf16
        )
        return len(crops) / (time.perf_counter() - started)

    one_pass()  # warm-up
    return statistics.median(one_pass() for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a checkpoint; default: the shipped model")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    predictor = Predictor.from_checkpoint(args.checkpoint) if args.checkpoint else Predictor.default()
    crops = np.random.default_rng(0).integers(0, 256, (args.batch, 48, 48), dtype=np.uint8)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batches of {args.batch} crops")
    fp32 = faces_per_second(predictor, crops, False, args.repeats)
    bf16 = faces_per_second(predictor, crops, True, args.repeats)
    single = faces_per_second(predictor, crops[:1], False, args.repeats * 20)
    print(f"{'precision':<12}{'faces/s':>10}{'vs fp32':>9}")
    print(f"{'fp32':<12}{fp32:>10.0f}{1.0:>8.2f}x")
    print(f"{'bf16':<12}{bf16:>10.0f}{bf16 / fp32:>8.2f}x")
    print(f"{'fp32, 1 face':<12}{single:>10.0f}{single / fp32:>8.2f}x")
    default = bf16 if predictor.bf16 else fp32
    verdict = "meets" if default >= TARGET_FACES_PER_SECOND else "misses"
    name = "bf16" if predictor.bf16 else "fp32"
    print(f"the default here ({name}) {verdict} the target of {TARGET_FACES_PER_SECOND} faces/s")


if __name__ == "__main__":
    main()
