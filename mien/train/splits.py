"""The data a run trains and selects on: Training and PublicTest (or a share of Training held out),
each optionally a stratified subset."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from mien.config import DataConfig
from mien.data.fer2013 import FaceSet
from mien.data.ferplus import majority_labels, trainable, vote_distributions
from mien.data.loaders import stratified_subset
from mien.errors import MienError


def training_splits(faces: FaceSet, limits: DataConfig, seed: int) -> tuple[FaceSet, FaceSet]:
    """Training and PublicTest faces, cut to ``limits.train_limit`` and ``limits.eval_limit``."""
    train_set, public_set = faces.select("train"), faces.select("public")
    if faces.votes is not None:  # FER+: learn from faces an expression leads, score those with a majority
        train_set = train_set.take(np.flatnonzero(trainable(train_set.votes)))
        leading = vote_distributions(train_set.votes).argmax(axis=1)  # for sampling, weights and accuracy
        train_set = replace(train_set, labels=leading)
        public_set = public_set.take(np.flatnonzero(public_set.labels >= 0))
    if limits.holdout > 0:
        train_set, public_set = _hold_out(train_set, limits.holdout, seed)
    if len(train_set) == 0 or len(public_set) == 0:
        raise MienError("the data needs both Training and PublicTest images (file-name prefixes)")
    names = faces.class_names
    for index in np.flatnonzero(np.bincount(train_set.labels, minlength=len(names)) == 0):
        print(f"warning: no Training images of class {names[index]!r}", file=sys.stderr)
    keep = stratified_subset(train_set.labels, limits.train_limit, seed)
    train_set = train_set.take(keep)
    keep = stratified_subset(public_set.labels, limits.eval_limit, seed)
    return train_set, public_set.take(keep)


def _hold_out(train_set: FaceSet, share: float, seed: int) -> tuple[FaceSet, FaceSet]:
    """A stratified ``share`` of the Training faces to choose on, and the rest to train on. With
    votes, only faces with a majority are held out, scored by it as PublicTest would be."""
    if not 0 < share < 1:
        raise MienError(f"data.holdout is a share of the Training faces between 0 and 1, not {share}")
    scoring = train_set.labels if train_set.votes is None else majority_labels(train_set.votes)
    scored = np.flatnonzero(scoring >= 0)
    held = scored[stratified_subset(scoring[scored], round(share * len(scored)), seed + 1)]
    rest = np.setdiff1d(np.arange(len(train_set)), held)
    return train_set.take(rest), replace(train_set.take(held), labels=scoring[held])
