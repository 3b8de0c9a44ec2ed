"""What a run learns from and what it is scored on, made from its settings: the one way from the data
sets to training.

Every reader (FER2013, FER+, RAF-DB), the pairing of FER2013's labels, joined sets, hold-outs and
the targets they make meet here; mien.train sees only a TrainingSet (images, a target distribution
per face over the run's classes, the other heads' targets by name, each face's chance of being
drawn) and EvaluationSets (images, the label each face is scored by, and how that label was made).
A new data set needs a reader and its place in mien.data.cache, nothing in mien.train.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mien.config import DataConfig, RunConfig
from mien.data.cache import load_fer2013
from mien.data.fer2013 import FaceSet, resolve_split
from mien.data.ferplus import FOLDERS, is_ferplus, trainable, vote_distributions
from mien.data.joint import JOINED
from mien.data.loaders import stratified_subset
from mien.data.splits import run_faces, training_splits, with_joined_sets
from mien.errors import MienError

FER2013_HEAD = "fer2013"  # train.fer2013_head_weight's head: FER2013's single labels
FERPLUS_SPLIT_NAMES = {official: folder for folder, official in FOLDERS.items()}  # PublicTest: FER2013Valid
HELD_OUT = "held-out Training faces"


@dataclass(frozen=True)
class TrainingSet:
    """What a run learns from, one row per face."""

    images: np.ndarray  # (N, 48, 48) uint8
    targets: np.ndarray  # (N, K) float32: the distribution the model learns for each face
    labels: np.ndarray  # (N,) int64: each face's leading class, for class weights and accuracy
    class_names: tuple[str, ...]  # what the K columns mean
    # (N,) float64: with replacement, each face's relative chance of being drawn (train.sampler
    # balanced); None: each face once an epoch, in a random order
    draw_weights: np.ndarray | None = None
    # The other heads' (N, K) targets by name; a row of zeros: the face's label is not known there
    head_targets: dict[str, np.ndarray] = field(default_factory=dict)
    joined: np.ndarray | None = None  # (N,) bool: faces of the data.joint_with sets; None: none joined

    def __len__(self) -> int:
        return len(self.images)


@dataclass(frozen=True)
class EvaluationSet:
    """Faces to score a model on, with the label each is scored by."""

    images: np.ndarray  # (N, 48, 48) uint8
    labels: np.ndarray  # (N,) int64 into class_names; -1: not scored (FER+: no majority)
    class_names: tuple[str, ...]
    split: str  # as reported: PublicTest, FER2013Valid, held-out Training faces, ...
    rule: str  # how the labels were made: "single label" or "raters' majority"
    is_test: bool = False  # a test split: kept for final figures, never calibrated or chosen on
    # Raters' votes (FER+): the faces training would learn from, and their (N, K) vote shares
    learnable: np.ndarray | None = None
    vote_shares: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.images)

    def scored(self) -> EvaluationSet:
        """The faces that have a label to be scored by."""
        keep = np.flatnonzero(self.labels >= 0)
        learnable = None if self.learnable is None else self.learnable[keep]
        shares = None if self.vote_shares is None else self.vote_shares[keep]
        return EvaluationSet(self.images[keep], self.labels[keep], self.class_names, self.split, self.rule,
                             self.is_test, learnable, shares)  # fmt: skip


def run_data(source: str | Path, config: RunConfig) -> tuple[TrainingSet, EvaluationSet]:
    """A run's training set and the faces it chooses on (PublicTest, or its held-out share), from
    its data settings and the few training settings that shape targets and draws."""
    limits, settings = config.data, config.train
    train_faces, choose_faces = training_splits(run_faces(source, limits), limits, settings.seed)
    train_faces = with_joined_sets(train_faces, limits, settings.seed)
    heads = {}
    if settings.fer2013_head_weight > 0:
        heads[FER2013_HEAD] = _fer2013_one_hot(train_faces, "train.fer2013_head_weight")
    training = TrainingSet(
        images=train_faces.images,
        targets=training_targets(train_faces, settings.fer2013_label_weight, limits.vote_power),
        labels=train_faces.labels,
        class_names=train_faces.class_names,
        draw_weights=draw_weights(train_faces.labels, settings.sampler),
        head_targets=heads,
        joined=np.char.startswith(train_faces.sources.astype(str), JOINED) if limits.joint_with else None,
    )
    split = HELD_OUT if limits.holdout else _split_name("public", choose_faces)
    return training, _evaluation_set(choose_faces, split)


def evaluation_set(source: str | Path, split: str) -> EvaluationSet:
    """One official split of a data set (train, public or private, by name or alias)."""
    faces = load_fer2013(source).select(split)
    if len(faces) == 0:
        raise MienError(_no_faces(Path(source), split))
    return _evaluation_set(faces, _split_name(split, faces), is_test=resolve_split(split) == "PrivateTest")


def held_out_set(source: str | Path, share: float, seed: int) -> EvaluationSet:
    """The Training faces a run with data.holdout = ``share`` and train.seed = ``seed`` held out."""
    _, held = training_splits(load_fer2013(source), DataConfig(holdout=share), seed)
    if len(held) == 0:
        raise MienError(f"no held-out Training faces in {source}")
    return _evaluation_set(held, HELD_OUT)


def sampled_faces(source: str | Path, split: str, count: int, seed: int = 0) -> np.ndarray:
    """(count, 48, 48) uint8: about ``count`` faces of a split, each class in its share."""
    faces = load_fer2013(source).select(split)
    return faces.images[stratified_subset(faces.labels, count, seed)]


def training_images(source: str | Path) -> np.ndarray:
    """(N, 48, 48) uint8: every Training face of a data set."""
    return load_fer2013(source).select("train").images


def _evaluation_set(faces: FaceSet, split: str, is_test: bool = False) -> EvaluationSet:
    if faces.votes is None:
        return EvaluationSet(faces.images, faces.labels, faces.class_names, split, "single label", is_test)
    learnable = trainable(faces.votes)
    shares = np.zeros((len(faces), len(faces.class_names)), np.float32)
    shares[learnable] = vote_distributions(faces.votes[learnable])
    return EvaluationSet(faces.images, faces.labels, faces.class_names, split, "raters' majority", is_test,
                         learnable, shares)  # fmt: skip


def training_targets(faces: FaceSet, fer2013_label_weight: float, vote_power: float = 1.0) -> np.ndarray:
    """(N, K) float32: single labels one-hot; FER+ votes as shares (raised to ``vote_power`` and
    renormalised), with ``fer2013_label_weight`` of each paired face's target moved to its single
    FER2013 label."""
    if faces.votes is None:
        targets = np.zeros((len(faces), len(faces.class_names)), np.float32)
        targets[np.arange(len(faces)), faces.labels] = 1.0
        return targets
    if vote_power <= 0:
        raise MienError(f"data.vote_power must be above 0, not {vote_power}")
    targets = vote_distributions(faces.votes)
    if vote_power != 1:
        targets = targets ** np.float32(vote_power)
        totals = targets.sum(axis=1, keepdims=True)
        targets = np.divide(targets, totals, out=np.zeros_like(targets), where=totals > 0)
    weight = fer2013_label_weight
    if weight == 0:
        return targets
    if not 0 < weight <= 1:
        raise MienError(f"train.fer2013_label_weight is a share between 0 and 1, not {weight}")
    one_hot = _fer2013_one_hot(faces, "train.fer2013_label_weight")
    paired = np.flatnonzero(faces.fer2013_labels >= 0)
    targets[paired] = (1 - weight) * targets[paired] + weight * one_hot[paired]
    return targets


def _fer2013_one_hot(faces: FaceSet, setting: str) -> np.ndarray:
    """(N, K) float32: each face's single FER2013 label one-hot, zeros where it is not known."""
    if faces.fer2013_labels is None:
        raise MienError(
            f"{setting} needs each face's FER2013 label: set data.fer2013_labels_from "
            "to a FER2013 folder or fer2013.csv (or train on fer2013new.csv, which has them)"
        )
    known = np.flatnonzero(faces.fer2013_labels >= 0)
    one_hot = np.zeros((len(faces), len(faces.class_names)), dtype=np.float32)
    one_hot[known, faces.fer2013_labels[known]] = 1.0
    return one_hot


def draw_weights(labels: np.ndarray, sampler: str) -> np.ndarray | None:
    """uniform: each face once an epoch; balanced: drawn so that each class comes equally often."""
    if sampler == "uniform":
        return None
    if sampler == "balanced":
        return 1.0 / np.bincount(labels)[labels]
    raise MienError(f"unknown train.sampler {sampler!r}; valid: uniform, balanced")


def _split_name(split: str, faces: FaceSet) -> str:
    official = resolve_split(split)
    return FERPLUS_SPLIT_NAMES[official] if faces.votes is not None else official


def _no_faces(source: Path, split: str) -> str:
    official = resolve_split(split)
    if official == "PrivateTest" and source.is_dir() and is_ferplus(source):
        return (
            f"no FER+ test faces in {source}: they are the FER2013Test folder, absent here; "
            "FER+ figures are reported on --split public (FER2013Valid)"
        )
    return f"no {official} images in {source}"
