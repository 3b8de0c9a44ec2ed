"""fit(): data -> model -> epochs of training -> checkpoints, metrics log and curves in a run folder.

The run folder's files are described in mien.train.run_folder. A run that averages its weights
(train.swa_from_epoch or train.ema_decay) is evaluated, and shipped, by the average.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mien.config import RunConfig
from mien.data.run_data import EvaluationSet, run_data
from mien.errors import MienError
from mien.models.forward import predict_probabilities
from mien.runtime import native_bf16
from mien.train.distributed import Ranks, barrier, join, mean_over_ranks
from mien.train.loop import train_one_epoch
from mien.train.metrics import classification_report, probability_report
from mien.train.run_folder import TEACHER_LABELS, prepare_fresh_run, read_best, write_epoch
from mien.train.snapshot import restore, training_checkpoint
from mien.train.state import TrainingState, build_state, evaluated_model
from mien.train.swa import average_in

__all__ = ["TEACHER_LABELS", "fit", "read_best"]


def fit(config: RunConfig, data_path: str | Path, out_dir: str | Path, resume: bool = False) -> dict:
    """Train a model as configured; returns the best epoch's PublicTest metrics."""
    out_dir = Path(out_dir)
    if config.train.threads > 0:
        torch.set_num_threads(config.train.threads)
    train_set, public_set = run_data(data_path, config)

    ranks = join(config.train.device)  # one process, or one rank of `mien train --nproc N` / torchrun
    config = _with_fast_precision(config, ranks.device)
    settings = config.train
    if settings.fer2013_head_weight > 0 and ranks.world > 1:
        raise MienError(
            "train.fer2013_head_weight trains in one process (its head is not shared across ranks)"
        )
    if not resume:  # before build_state, which may spend minutes on the teachers' labels
        prepare_fresh_run(out_dir, config, ranks.main)
    state = build_state(config, train_set, ranks.device, out_dir)
    state.trained = _parallel(state.model, ranks)

    start_epoch, best = 0, {"accuracy": -1.0}
    if resume and (out_dir / "last.pt").is_file():
        start_epoch, best = restore(out_dir / "last.pt", state, ranks.main)
    barrier(ranks)

    for epoch in range(start_epoch, settings.epochs):
        started = time.perf_counter()
        description = f"epoch {epoch + 1}/{settings.epochs}"
        record = train_one_epoch(
            state, settings, config.augment, config.preprocess, epoch, description, ranks.shard()
        )
        record.update({key: mean_over_ranks(record[key], ranks) for key in ("train_loss", "train_acc")})
        if not ranks.main:  # rank 0 alone evaluates and writes; the others wait for it
            barrier(ranks)
            continue
        if state.swa is not None and epoch + 1 >= settings.swa_from_epoch:  # evaluated and saved here only
            average_in(state.swa, state.model, state.data.images, config.preprocess, settings.bf16)
        record.update(_evaluate(config, state, public_set, epoch), seconds=time.perf_counter() - started)
        if record["public_acc"] > best["accuracy"]:
            best = {
                "epoch": epoch + 1,
                "accuracy": record["public_acc"],
                "macro_f1": record["public_macro_f1"],
            }
        checkpoint = training_checkpoint(config, state, epoch + 1, record, best)
        write_epoch(out_dir, checkpoint, record, best["epoch"] == epoch + 1)
        print(
            f"epoch {epoch + 1}/{settings.epochs}: loss {record['train_loss']:.4f} "
            f"train acc {record['train_acc']:.4f} public acc {record['public_acc']:.4f} "
            f"macro-F1 {record['public_macro_f1']:.4f} ({record['seconds']:.0f} s)",
            flush=True,
        )
        barrier(ranks)
    return best if ranks.main else {}


def _evaluate(config: RunConfig, state: TrainingState, public_set: EvaluationSet, epoch: int) -> dict:
    """The epoch's learning rate at its end and the evaluated model's PublicTest metrics."""
    probs = predict_probabilities(
        evaluated_model(state), public_set.images, config.preprocess, bf16=config.train.bf16
    )
    report = classification_report(public_set.labels, probs.argmax(axis=1), public_set.class_names)
    scores = probability_report(public_set.labels, probs)
    return {
        "epoch": epoch + 1,
        "lr": state.lr_for_step((epoch + 1) * state.steps_per_epoch - 1),
        "public_acc": report["accuracy"],
        "public_macro_f1": report["macro_f1"],
        "public_log_loss": scores["log_loss"],
        "public_calibration_error": scores["expected_calibration_error"],
    }


def _parallel(model: nn.Module, ranks: Ranks) -> nn.Module:
    """What the loop steps: the model itself, or across several ranks its DistributedDataParallel."""
    if ranks.world <= 1:
        return model
    device_ids = [ranks.device.index] if ranks.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids)


def _with_fast_precision(config: RunConfig, device: torch.device) -> RunConfig:
    """Keep bf16 autocast only where it is fast: on a GPU, or on a CPU that computes bf16 in
    hardware. Elsewhere (AVX2 CPUs, for one) oneDNN emulates it at a small fraction of fp32's speed."""
    bf16 = config.train.bf16 and (device.type == "cuda" or native_bf16())
    if bf16 == config.train.bf16:
        return config
    print("this CPU has no bf16 in hardware: training in fp32", file=sys.stderr)
    return replace(config, train=replace(config.train, bf16=bf16))
