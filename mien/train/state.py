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
from mien.data.fer2013 import CLASS_NAMES, FaceSet
from mien.data.ferplus import vote_distributions
from mien.data.loaders import class_weights
from mien.errors import MienError
from mien.models.registry import create_model
from mien.train.distill import TeacherEnsemble, precomputed_soft_labels
from mien.train.optim import lr_schedule, make_optimizer
from mien.train.run_folder import TEACHER_LABELS
from mien.train.snapshot import load_start_weights


@dataclass
class EpochData:
    """What one epoch trains on: uint8 faces, labels and the optional loss weights per class."""

    images: torch.Tensor  # (N, 48, 48) uint8
    labels: torch.Tensor  # (N,) int64
    class_weights: torch.Tensor | None
    num_classes: int
    soft_labels: torch.Tensor | None = None  # (N, num_classes): the teachers' precomputed labels
    targets: torch.Tensor | None = None  # (N, num_classes): raters' vote shares (FER+), else one-hot
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
    class_names: tuple[str, ...] = CLASS_NAMES  # what the model's outputs mean, in order
    trained: nn.Module | None = None  # what the loop steps: the model, or its DistributedDataParallel
    fer2013_head: nn.Linear | None = None  # with train.fer2013_head_weight: FER2013's labels' own last layer

    def __post_init__(self) -> None:
        if self.trained is None:
            self.trained = self.model


def build_state(config: RunConfig, train_set: FaceSet, device: torch.device, out_dir: Path) -> TrainingState:
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
        teacher = _teacher(config, data, device, out_dir / TEACHER_LABELS, train_set.class_names)
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


def _epoch_data(train_set: FaceSet, settings: TrainConfig, device: torch.device) -> EpochData:
    classes = len(train_set.class_names)
    weights = class_weights(train_set.labels, classes, settings.class_weighting)
    targets = None if train_set.votes is None else torch.from_numpy(_vote_targets(train_set, settings))
    return EpochData(
        images=torch.from_numpy(train_set.images),  # stays on the CPU, where batches are augmented
        labels=torch.from_numpy(train_set.labels),
        class_weights=weights.to(device) if weights is not None else None,
        num_classes=classes,
        targets=targets,
        fer2013_targets=_fer2013_targets(train_set, settings),
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


def _fer2013_targets(train_set: FaceSet, settings: TrainConfig) -> torch.Tensor | None:
    if settings.fer2013_head_weight == 0:
        return None
    return torch.from_numpy(_fer2013_one_hot(train_set, "train.fer2013_head_weight"))


def _fer2013_one_hot(train_set: FaceSet, setting: str) -> np.ndarray:
    """(N, classes) float32: each face's single FER2013 label one-hot, zeros where it is not known."""
    if train_set.fer2013_labels is None:
        raise MienError(
            f"{setting} needs each face's FER2013 label: set data.fer2013_labels_from "
            "to a FER2013 folder or fer2013.csv (or train on fer2013new.csv, which has them)"
        )
    known = np.flatnonzero(train_set.fer2013_labels >= 0)
    one_hot = np.zeros((len(train_set), len(train_set.class_names)), dtype=np.float32)
    one_hot[known, train_set.fer2013_labels[known]] = 1.0
    return one_hot


def _vote_targets(train_set: FaceSet, settings: TrainConfig) -> np.ndarray:
    """FER+ targets: the vote shares, with train.fer2013_label_weight of each paired face's target
    moved to its single FER2013 label."""
    targets = vote_distributions(train_set.votes)
    weight = settings.fer2013_label_weight
    if weight == 0:
        return targets
    if not 0 < weight <= 1:
        raise MienError(f"train.fer2013_label_weight is a share between 0 and 1, not {weight}")
    one_hot = _fer2013_one_hot(train_set, "train.fer2013_label_weight")
    paired = np.flatnonzero(train_set.fer2013_labels >= 0)
    targets[paired] = (1 - weight) * targets[paired] + weight * one_hot[paired]
    return targets


def _teacher(
    config: RunConfig, data: EpochData, device: torch.device, cache: Path, class_names: tuple[str, ...]
) -> TeacherEnsemble | None:
    """The teachers for live labels; with precomputed labels, none: their labels go into ``data``."""
    settings = config.train
    preprocess = config_to_dict(config)["preprocess"]
    teacher = TeacherEnsemble.from_checkpoints(
        settings.teachers,
        preprocess,
        settings.distill_temperature,
        settings.bf16,
        device,
        class_names,
        flip=settings.distill_flip,
    )
    if settings.distill_labels == "precomputed":
        data.soft_labels = precomputed_soft_labels(teacher, data.images, preprocess, cache)
        return None  # its labels are all in hand
    if settings.distill_labels != "live":
        raise MienError(f"unknown train.distill_labels {settings.distill_labels!r}; valid: live, precomputed")
    return teacher
