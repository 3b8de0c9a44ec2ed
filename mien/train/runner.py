"""fit(): data -> model -> epochs of training -> checkpoints, metrics log and curves in a run folder.

Run folder:
    config.json      the resolved config
    last.pt          after every epoch: everything needed to resume
    best.pt          the epoch with the best PublicTest accuracy
    metrics.jsonl    one line per epoch
    curves.png       loss and accuracy per epoch
    teacher_labels.pt  with train.distill_labels = "precomputed": the teachers' labels, made once

A run that averages its weights (train.swa_from_epoch or train.ema_decay) is evaluated, and
shipped, by the average.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from mien.atomic import atomic_path
from mien.config import RunConfig, config_to_dict
from mien.data.cache import load_fer2013
from mien.data.fer2013 import CLASS_NAMES, FaceSet
from mien.data.loaders import class_weights, stratified_subset
from mien.errors import MienError
from mien.models.registry import create_model
from mien.outputs import write_json
from mien.render.plots import save_training_curves
from mien.runtime import native_bf16
from mien.train.checkpoint import fp32_weights, load_checkpoint, resolve_model_path, save_checkpoint
from mien.train.distill import TeacherEnsemble, precomputed_soft_labels
from mien.train.distributed import barrier, join, mean_over_ranks
from mien.train.loop import EpochData, predict_probabilities, train_one_epoch
from mien.train.metrics import classification_report, probability_report
from mien.train.schedule import lr_at
from mien.train.swa import average_in

TEACHER_LABELS = "teacher_labels.pt"  # in the run folder, with train.distill_labels = "precomputed"


def fit(config: RunConfig, data_path: str | Path, out_dir: str | Path, resume: bool = False) -> dict:
    """Train a model as configured; returns the best epoch's PublicTest metrics."""
    out_dir = Path(out_dir)
    settings = config.train
    if settings.threads > 0:
        torch.set_num_threads(settings.threads)
    faces = load_fer2013(data_path)
    train_set, public_set = _training_splits(faces, config)

    ranks = join(settings.device)  # one process, or one rank of `mien train --nproc N` / torchrun
    config = _with_fast_precision(config, ranks.device)
    settings = config.train
    if not resume:  # before _build, which may spend minutes on the teachers' labels
        _prepare_fresh_run(out_dir, config, ranks.main)
    state = _build(config, train_set, ranks.device, out_dir)
    model, optimizer, ema, generator = state.model, state.optimizer, state.ema, state.generator
    lr_for_step, steps_per_epoch = state.lr_for_step, state.steps_per_epoch
    trained = model
    if ranks.world > 1:
        device_ids = [ranks.device.index] if ranks.device.type == "cuda" else None
        trained = DistributedDataParallel(model, device_ids=device_ids)

    start_epoch, best = 0, {"accuracy": -1.0}
    if resume and (out_dir / "last.pt").is_file():
        start_epoch, best = _restore(out_dir / "last.pt", state, ranks.main)
    barrier(ranks)

    for epoch in range(start_epoch, settings.epochs):
        started = time.perf_counter()
        description = f"epoch {epoch + 1}/{settings.epochs}"
        record = train_one_epoch(
            trained,
            optimizer,
            state.data,
            settings,
            config.augment,
            config.preprocess,
            lr_for_step,
            epoch * steps_per_epoch,
            generator,
            ema,
            description,
            ranks.shard(),
            state.teacher,
        )
        record.update({key: mean_over_ranks(record[key], ranks) for key in ("train_loss", "train_acc")})
        if not ranks.main:  # rank 0 alone evaluates and writes; the others wait for it
            barrier(ranks)
            continue
        if state.swa is not None and epoch + 1 >= settings.swa_from_epoch:  # evaluated and saved here only
            average_in(state.swa, model, state.data.images, config.preprocess, settings.bf16)
        evaluated = _evaluated_model(state)
        probs = predict_probabilities(evaluated, public_set.images, config.preprocess, bf16=settings.bf16)
        report = classification_report(public_set.labels, probs.argmax(axis=1), CLASS_NAMES)
        scores = probability_report(public_set.labels, probs)
        record.update(
            epoch=epoch + 1,
            lr=lr_for_step((epoch + 1) * steps_per_epoch - 1),
            public_acc=report["accuracy"],
            public_macro_f1=report["macro_f1"],
            public_log_loss=scores["log_loss"],
            public_calibration_error=scores["expected_calibration_error"],
            seconds=time.perf_counter() - started,
        )
        if report["accuracy"] > best["accuracy"]:
            best = {"epoch": epoch + 1, "accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}
        _write_epoch(
            out_dir, _checkpoint(config, state, epoch + 1, record, best), record, best["epoch"] == epoch + 1
        )
        print(
            f"epoch {epoch + 1}/{settings.epochs}: loss {record['train_loss']:.4f} "
            f"train acc {record['train_acc']:.4f} public acc {report['accuracy']:.4f} "
            f"macro-F1 {report['macro_f1']:.4f} ({record['seconds']:.0f} s)",
            flush=True,
        )
        barrier(ranks)
    return best if ranks.main else {}


@dataclass
class _TrainingState:
    """What a run trains and how: model, optimizer, optional EMA, random generator, data, schedule."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    ema: torch.optim.swa_utils.AveragedModel | None
    generator: torch.Generator
    data: EpochData
    lr_for_step: Callable[[int], float]
    steps_per_epoch: int
    teacher: TeacherEnsemble | None = None  # with train.teachers: the ensemble distilled from
    swa: torch.optim.swa_utils.AveragedModel | None = None  # with train.swa_from_epoch


def _evaluated_model(state: _TrainingState) -> torch.nn.Module:
    if state.swa is not None and state.swa.n_averaged.item() > 0:
        return state.swa.module
    return state.ema.module if state.ema is not None else state.model


def _with_fast_precision(config: RunConfig, device: torch.device) -> RunConfig:
    """Keep bf16 autocast only where it is fast: on a GPU, or on a CPU that computes bf16 in
    hardware. Elsewhere (AVX2 CPUs, for one) oneDNN emulates it at a small fraction of fp32's speed."""
    bf16 = config.train.bf16 and (device.type == "cuda" or native_bf16())
    if bf16 == config.train.bf16:
        return config
    print("this CPU has no bf16 in hardware: training in fp32", file=sys.stderr)
    return replace(config, train=replace(config.train, bf16=bf16))


def _build(config: RunConfig, train_set: FaceSet, device: torch.device, out_dir: Path) -> _TrainingState:
    settings = config.train
    torch.manual_seed(settings.seed)  # before the model, so its initial weights are reproducible
    model = create_model(config.model.name, num_classes=len(CLASS_NAMES), **config.model.args)
    if settings.init_from:
        _load_start_weights(model, config, settings.init_from)
    model = model.to(device)
    if settings.channels_last:
        model = model.to(memory_format=torch.channels_last)
    ema = None
    if settings.ema_decay > 0:
        average = torch.optim.swa_utils.get_ema_multi_avg_fn(settings.ema_decay)
        ema = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=average, use_buffers=True)
    swa = None
    if settings.swa_from_epoch > 0:
        if ema is not None:
            raise MienError("train.swa_from_epoch and train.ema_decay both average the weights: choose one")
        swa = torch.optim.swa_utils.AveragedModel(model)  # an equal-weight mean; batch norm measured apart
    steps_per_epoch = len(train_set) // settings.batch_size
    if steps_per_epoch == 0:
        raise MienError(f"{len(train_set)} training images are fewer than one batch ({settings.batch_size})")
    lr_for_step = partial(
        lr_at,
        total_steps=steps_per_epoch * settings.epochs,
        peak_lr=settings.lr,
        warmup_steps=round(settings.warmup_epochs * steps_per_epoch),
        final_fraction=settings.final_lr_fraction,
    )
    weights = class_weights(train_set.labels, len(CLASS_NAMES), settings.class_weighting)
    data = EpochData(
        images=torch.from_numpy(train_set.images),  # stays on the CPU, where batches are augmented
        labels=torch.from_numpy(train_set.labels),
        class_weights=weights.to(device) if weights is not None else None,
        num_classes=len(CLASS_NAMES),
    )
    generator = torch.Generator().manual_seed(settings.seed)  # data order and augmentation
    teacher = None
    if settings.teachers:
        preprocess = config_to_dict(config)["preprocess"]
        teacher = TeacherEnsemble.from_checkpoints(
            settings.teachers, preprocess, settings.distill_temperature, settings.bf16, device
        )
        if settings.distill_labels == "precomputed":
            cache = out_dir / TEACHER_LABELS
            data.soft_labels = precomputed_soft_labels(teacher, data.images, preprocess, cache)
            teacher = None  # its labels are all in hand
        elif settings.distill_labels != "live":
            raise MienError(
                f"unknown train.distill_labels {settings.distill_labels!r}; valid: live, precomputed"
            )
    return _TrainingState(
        model,
        _make_optimizer(model, settings),
        ema,
        generator,
        data,
        lr_for_step,
        steps_per_epoch,
        teacher,
        swa,
    )


def _load_start_weights(model: torch.nn.Module, config: RunConfig, source: str) -> None:
    """Start from a trained model's weights (fine-tuning), which must be this config's network."""
    checkpoint = load_checkpoint(resolve_model_path(source))
    wanted = {"name": config.model.name, "args": dict(config.model.args)}
    if checkpoint["model"] != wanted:
        raise MienError(f"train.init_from {source} holds {checkpoint['model']}, the run trains {wanted}")
    model.load_state_dict(fp32_weights(checkpoint))


def _write_epoch(out_dir: Path, checkpoint: dict, record: dict, is_best: bool) -> None:
    save_checkpoint(out_dir / "last.pt", checkpoint)
    if is_best:
        save_checkpoint(out_dir / "best.pt", checkpoint)
    _append_jsonl(out_dir / "metrics.jsonl", record)
    save_training_curves(_read_jsonl(out_dir / "metrics.jsonl"), out_dir / "curves.png")


def _training_splits(faces: FaceSet, config: RunConfig) -> tuple[FaceSet, FaceSet]:
    train_set, public_set = faces.select("train"), faces.select("public")
    if len(train_set) == 0 or len(public_set) == 0:
        raise MienError("the data needs both Training and PublicTest images (file-name prefixes)")
    for index in np.flatnonzero(np.bincount(train_set.labels, minlength=len(CLASS_NAMES)) == 0):
        print(f"warning: no Training images of class {CLASS_NAMES[index]!r}", file=sys.stderr)
    keep = stratified_subset(train_set.labels, config.data.train_limit, config.train.seed)
    train_set = _take(train_set, keep)
    keep = stratified_subset(public_set.labels, config.data.eval_limit, config.train.seed)
    return train_set, _take(public_set, keep)


def _take(faces: FaceSet, keep: np.ndarray) -> FaceSet:
    return FaceSet(faces.images[keep], faces.labels[keep], faces.splits[keep], faces.sources[keep])


def _make_optimizer(model: torch.nn.Module, settings) -> torch.optim.Optimizer:
    # No weight decay on biases and batch-norm scales: decaying them only hurts.
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    groups = [
        {"params": decay, "weight_decay": settings.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if settings.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=settings.lr, momentum=settings.momentum, nesterov=True)
    if settings.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=settings.lr)
    raise MienError(f"unknown optimizer {settings.optimizer!r}; valid: sgd, adamw")


def _checkpoint(config: RunConfig, state: _TrainingState, epoch: int, record: dict, best: dict) -> dict:
    model, optimizer, ema, generator = state.model, state.optimizer, state.ema, state.generator
    checkpoint = {
        "model": {"name": config.model.name, "args": dict(config.model.args)},
        "class_names": list(CLASS_NAMES),
        "preprocess": config_to_dict(config)["preprocess"],
        "config": config_to_dict(config),
        "metrics": {
            "public": {"accuracy": record["public_acc"], "macro_f1": record["public_macro_f1"]},
            "best": best,
        },
        "epoch": epoch,
        "state_dict": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": {"torch": torch.get_rng_state(), "generator": generator.get_state()},
    }
    if ema is not None:
        checkpoint["ema_state_dict"] = ema.module.state_dict()
        checkpoint["ema_full"] = ema.state_dict()
    if state.swa is not None:
        checkpoint["swa_full"] = state.swa.state_dict()
        if state.swa.n_averaged.item() > 0:
            checkpoint["swa_state_dict"] = state.swa.module.state_dict()
    return checkpoint


def _restore(path: Path, state: _TrainingState, verbose: bool = True) -> tuple[int, dict]:
    checkpoint = load_checkpoint(path)
    state.model.load_state_dict(checkpoint["state_dict"])
    state.optimizer.load_state_dict(checkpoint["optimizer"])
    if state.ema is not None:
        state.ema.load_state_dict(checkpoint["ema_full"])
    if state.swa is not None:
        state.swa.load_state_dict(checkpoint["swa_full"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    state.generator.set_state(checkpoint["rng"]["generator"])
    if verbose:
        print(f"resuming after epoch {checkpoint['epoch']}", flush=True)
    return checkpoint["epoch"], checkpoint["metrics"]["best"]


def _prepare_fresh_run(out_dir: Path, config: RunConfig, main: bool = True) -> None:
    if (out_dir / "last.pt").exists():  # every rank checks, so that all of them stop
        raise MienError(
            f"{out_dir} already holds a run; pass --resume to continue it or choose another --out"
        )
    if not main:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.jsonl").unlink(missing_ok=True)
    write_json(out_dir / "config.json", config_to_dict(config))


def read_best(out_dir: Path) -> dict:
    """The best epoch's PublicTest metrics of a run folder, from its last checkpoint."""
    return load_checkpoint(Path(out_dir) / "last.pt")["metrics"]["best"]


def _append_jsonl(path: Path, record: dict) -> None:
    # The log is rewritten whole, so an interrupted write cannot leave a half line behind; a
    # resumed run replaces the epochs it repeats.
    epochs = _read_jsonl(path) if path.exists() else []
    epochs = [e for e in epochs if e["epoch"] < record["epoch"]] + [record]
    with atomic_path(path) as tmp:
        tmp.write_text("".join(json.dumps(e) + "\n" for e in epochs))


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
