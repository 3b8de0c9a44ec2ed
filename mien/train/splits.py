"""The data a run trains and selects on: Training and PublicTest, each optionally a stratified subset."""

from __future__ import annotations

import sys

import numpy as np

from mien.config import DataConfig
from mien.data.fer2013 import CLASS_NAMES, FaceSet
from mien.data.loaders import stratified_subset
from mien.errors import MienError


def training_splits(faces: FaceSet, limits: DataConfig, seed: int) -> tuple[FaceSet, FaceSet]:
    """Training and PublicTest faces, cut to ``limits.train_limit`` and ``limits.eval_limit``."""
    train_set, public_set = faces.select("train"), faces.select("public")
    if len(train_set) == 0 or len(public_set) == 0:
        raise MienError("the data needs both Training and PublicTest images (file-name prefixes)")
    for index in np.flatnonzero(np.bincount(train_set.labels, minlength=len(CLASS_NAMES)) == 0):
        print(f"warning: no Training images of class {CLASS_NAMES[index]!r}", file=sys.stderr)
    keep = stratified_subset(train_set.labels, limits.train_limit, seed)
    train_set = take(train_set, keep)
    keep = stratified_subset(public_set.labels, limits.eval_limit, seed)
    return train_set, take(public_set, keep)


def take(faces: FaceSet, keep: np.ndarray) -> FaceSet:
    """The faces at indices ``keep``."""
    return FaceSet(faces.images[keep], faces.labels[keep], faces.splits[keep], faces.sources[keep])
