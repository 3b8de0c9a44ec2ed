"""Training throughput of every registered model, fp32 beside bf16, measured in one run.

    .venv/bin/python benchmarks/train_throughput.py [--batches 12] [--repeats 3]

Each figure is the full training step of `mien train` (augmentation, forward, loss, backward,
clipping, optimizer step) on random 48x48 faces, median of several timed passes. Ratios are
against fp32 of the same model and against the seed's `vgg` in fp32, both measured here, now:
absolute times on shared machines are noise, ratios are not.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from mien.config import RunConfig
from mien.data.fer2013 import CLASS_NAMES
from mien.models.registry import create_model, list_models
from mien.runtime import native_bf16
from mien.train.loop import train_one_epoch
from mien.train.optim import make_optimizer
from mien.train.state import EpochData, TrainingState

FER2013_TRAINING_IMAGES = 28709


def images_per_second(name: str, bf16: bool, batches: int, repeats: int) -> float:
    config = RunConfig()
    config.train.bf16 = bf16
    torch.manual_seed(0)
    model = create_model(name, num_classes=len(CLASS_NAMES)).to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, config.train)
    count = config.train.batch_size * batches
    rng = np.random.default_rng(0)
    labels = torch.from_numpy(rng.integers(0, len(CLASS_NAMES), count))
    data = EpochData(
        images=torch.from_numpy(rng.integers(0, 256, (count, 48, 48), dtype=np.uint8)),
        targets=torch.nn.functional.one_hot(labels, len(CLASS_NAMES)).float(),
        labels=labels,
        class_weights=None,
        num_classes=len(CLASS_NAMES),
    )

    def one_pass() -> float:
        state = TrainingState(
            model, optimizer, None, torch.Generator().manual_seed(0), data, lambda step: 0.01, batches
        )
        started = time.perf_counter()
        train_one_epoch(state, config.train, config.augment, config.preprocess, epoch=0)
        return count / (time.perf_counter() - started)

    one_pass()  # warm-up: kernel selection and allocation
    return statistics.median(one_pass() for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=12, help="batches of 128 per timed pass")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per figure (median)")
    parser.add_argument("--models", nargs="*", default=list_models())
    args = parser.parse_args()
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads, batch 128, {args.batches} batches per pass")
    # Emulated bf16 (CPUs without it in hardware) is many times slower than fp32 and training
    # does not use it there, so it is not timed.
    precisions = (False, True) if native_bf16() else (False,)
    if not native_bf16():
        print("this CPU has no bf16 in hardware: fp32 only")
    results = {}
    for name in args.models:
        for bf16 in precisions:
            results[name, bf16] = images_per_second(name, bf16, args.batches, args.repeats)
    fastest = precisions[-1]
    baseline = results.get(("vgg", False))
    header = f"{'model':<10}{'params':>8}{'fp32 img/s':>12}"
    header += f"{'bf16 img/s':>12}{'bf16/fp32':>11}" if fastest else ""
    header += f"{'epoch':>8}" + (f"{'vs vgg fp32':>13}" if baseline else "")
    print(header)
    for name in args.models:
        fp32, best = results[name, False], results[name, fastest]
        params = sum(p.numel() for p in create_model(name).parameters()) / 1e6
        row = f"{name:<10}{params:>7.2f}M{fp32:>12.0f}"
        row += f"{best:>12.0f}{best / fp32:>10.2f}x" if fastest else ""
        row += f"{FER2013_TRAINING_IMAGES / best:>7.0f}s" + (f"{best / baseline:>12.2f}x" if baseline else "")
        print(row)


if __name__ == "__main__":
    main()
