"""What a run trains and how: the model, its optimizer and schedule, the weight averages, the random
generator, the training data and the teachers, built from a config."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from mien.config import RunConfig, TrainConfig, config_to_dict
from mien.data.loaders import class_weights
from mien.data.run_data import FER2013_HEAD, TrainingSet
from mien.errors import MienError
from mien.models.registry import create_model
from mien.train.distill import TeacherEnsemble, precomputed_soft_labels
from mien.train.optim import lr_schedule, make_optimizer
from mien.train.run_folder import TEACHER_LABELS
from mien.train.snapshot import load_start_weights


@dataclass
class EpochData:
    """What one epoch trains on: uint8 faces, their targets and labels, and the optional loss weights
    per class."""

    images: torch.Tensor  # (N, 48, 48) uint8
    targets: torch.Tensor  # (N, num_classes): what each face's model output learns
    labels: torch.Tensor  # (N,) int64: each face's leading class (accuracy)
    class_weights: torch.Tensor | None
    num_classes: int
    draw_weights: np.ndarray | None = None  # (N,): faces drawn with replacement by these; None: each once
    soft_labels: torch.Tensor | None = None  # (N, num_classes): the teachers' precomputed labels
    # train.fer2013_head_weight: each face's FER2013 label one-hot (N, num_classes), zeros where unknown
    fer2013_targets: torch.Tensor | None = None


@dataclass
class TrainingState:
    """What a run trains and how: model, optimizer, optional averages, random generator, data, schedule."""

    model: nn.Module  # the weights that are saved, averaged and evaluated
    optimizer: torch.optim.Optimizer
    ema: AveragedModel | None
    generator: torch.Generator  # data order and augmentation
    data: EpochData
    lr_for_step: Callable[[int], float]
    steps_per_epoch: int
    teacher: TeacherEnsemble | None = None  # with train.teachers: the ensemble distilled from
    swa: AveragedModel | None = None  # with train.swa_from_epoch
    class_names: tuple[str, ...] = ()  # what the model's outputs mean, in order
    trained: nn.Module | None = None  # what the loop steps: the model, or its DistributedDataParallel
    fer2013_head: nn.Linear | None = None  # with train.fer2013_head_weight: FER2013's labels' own last layer

    def __post_init__(self) -> None:
        if self.trained is None:
            self.trained = self.model


def build_state(
    config: RunConfig, train_set: TrainingSet, device: torch.device, out_dir: Path
) -> TrainingState:
    """A run's starting state; with precomputed teachers' labels, made (or read) in ``out_dir``."""
    settings = config.train
    model = _start_model(config, device, train_set.class_names)
    ema, swa = _averages(model, settings)
    steps_per_epoch = len(train_set) // settings.batch_size
    if steps_per_epoch == 0:
        raise MienError(f"{len(train_set)} training images are fewer than one batch ({settings.batch_size})")
    lr_for_step = lr_schedule(settings, steps_per_epoch)
    data = _epoch_data(train_set, settings, device)
    generator = torch.Generator().manual_seed(settings.seed)  # data order and augmentation
    teacher = None
    if settings.teachers:
        teacher = _teacher(config, data, device, out_dir / TEACHER_LABELS, train_set)
    elif settings.joined_teachers:
        raise MienError("train.joined_teachers teach the joined sets' faces beside train.teachers: give both")
    fer2013_head = _fer2013_head(model, settings, device) if settings.fer2013_head_weight > 0 else None
    optimizer = make_optimizer(nn.ModuleList([model, fer2013_head]) if fer2013_head else model, settings)
    return TrainingState(
        model,
        optimizer,
        ema,
        generator,
        data,
        lr_for_step,
        steps_per_epoch,
        teacher,
        swa,
        train_set.class_names,
        fer2013_head=fer2013_head,
    )


def evaluated_model(state: TrainingState) -> nn.Module:
    """What is evaluated and shipped: the weight average when there is one, else the model."""
    if state.swa is not None and state.swa.n_averaged.item() > 0:
        return state.swa.module
    return state.ema.module if state.ema is not None else state.model


def _start_model(config: RunConfig, device: torch.device, class_names: tuple[str, ...]) -> nn.Module:
    torch.manual_seed(config.train.seed)  # before the model, so its initial weights are reproducible
    model = create_model(config.model.name, num_classes=len(class_names), **config.model.args)
    if config.train.init_from:
        load_start_weights(model, config, config.train.init_from, class_names)
    model = model.to(device)
    if config.train.channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def _averages(model: nn.Module, settings: TrainConfig) -> tuple[AveragedModel | None, AveragedModel | None]:
    """The exponential moving average (train.ema_decay) or the SWA mean (train.swa_from_epoch)."""
    ema = None
    if settings.ema_decay > 0:
        average = get_ema_multi_avg_fn(settings.ema_decay)
        ema = AveragedModel(model, multi_avg_fn=average, use_buffers=True)
    swa = None
    if settings.swa_from_epoch > 0:
        if ema is not None:
            raise MienError("train.swa_from_epoch and train.ema_decay both average the weights: choose one")
        swa = AveragedModel(model)  # an equal-weight mean; batch norm measured apart
    return ema, swa


def _epoch_data(train_set: TrainingSet, settings: TrainConfig, device: torch.device) -> EpochData:
    classes = len(train_set.class_names)
    weights = class_weights(train_set.labels, classes, settings.class_weighting)
    head = train_set.head_targets.get(FER2013_HEAD)
    return EpochData(
        images=torch.from_numpy(train_set.images),  # stays on the CPU, where batches are augmented
        targets=torch.from_numpy(train_set.targets),
        labels=torch.from_numpy(train_set.labels),
        class_weights=weights.to(device) if weights is not None else None,
        num_classes=classes,
        draw_weights=train_set.draw_weights,
        fer2013_targets=None if head is None else torch.from_numpy(head),
    )


def _fer2013_head(model: nn.Module, settings: TrainConfig, device: torch.device) -> nn.Linear:
    """A fresh last layer beside the model's own, on the same hidden layer, started as a copy of it."""
    last = model.head[-1] if isinstance(getattr(model, "head", None), nn.Sequential) else None
    if not isinstance(last, nn.Linear):
        raise MienError(
            "train.fer2013_head_weight needs a model whose head ends in a linear layer (vgg, vgg_s)"
        )
    head = nn.Linear(last.in_features, last.out_features).to(device)
    head.load_state_dict(last.state_dict())
    return head


def _teacher(
    config: RunConfig, data: EpochData, device: torch.device, cache: Path, train_set: TrainingSet
) -> TeacherEnsemble | None:
    """The teachers for live labels; with precomputed labels, none: their labels go into ``data``
    (with train.joined_teachers, theirs for the joined sets' faces)."""
    settings = config.train
    preprocess = config_to_dict(config)["preprocess"]

    def ensemble(paths: list) -> TeacherEnsemble:
        return TeacherEnsemble.from_checkpoints(
            paths,
            preprocess,
            settings.distill_temperature,
            settings.bf16,
            device,
            train_set.class_names,
            flip=settings.distill_flip,
        )

    if settings.distill_labels not in ("live", "precomputed"):
        raise MienError(f"unknown train.distill_labels {settings.distill_labels!r}; valid: live, precomputed")
    if settings.joined_teachers and (settings.distill_labels != "precomputed" or train_set.joined is None):
        raise MienError(
            'train.joined_teachers need train.distill_labels = "precomputed" and data.joint_with sets'
        )
    teacher = ensemble(settings.teachers)
    if settings.distill_labels == "live":
        return teacher
    if not settings.joined_teachers:
        data.soft_labels = precomputed_soft_labels(teacher, data.images, preprocess, cache)
        return None  # its labels are all in hand
    joined = torch.from_numpy(train_set.joined)
    labels = torch.zeros(len(data.images), data.num_classes)
    labels[~joined] = precomputed_soft_labels(teacher, data.images[~joined], preprocess, cache)
    joined_cache = cache.with_name(f"{cache.stem}_joined{cache.suffix}")
    labels[joined] = precomputed_soft_labels(
        ensemble(settings.joined_teachers), data.images[joined], preprocess, joined_cache
    )
    data.soft_labels = labels
    return None
