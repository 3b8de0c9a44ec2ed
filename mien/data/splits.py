"""The faces a run trains and selects on: Training and PublicTest (or a share of Training held out),
each optionally a stratified subset, with FER2013's labels paired in and other sets joined."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from mien.config import DataConfig
from mien.data.cache import load_fer2013
from mien.data.fer2013 import FaceSet
from mien.data.ferplus import majority_labels, trainable, vote_distributions
from mien.data.joint import as_votes, concatenate, repeated
from mien.data.loaders import stratified_subset
from mien.data.pairing import with_fer2013_labels
from mien.errors import MienError


def run_faces(source, limits: DataConfig) -> FaceSet:
    """A run's data set, with FER2013's single labels paired in when data.fer2013_labels_from asks."""
    faces = load_fer2013(source)
    if limits.fer2013_labels_from and faces.fer2013_labels is None:
        faces = with_fer2013_labels(faces, load_fer2013(limits.fer2013_labels_from))
    return faces


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
        hint = (
            "" if limits.holdout else "; or hold a share of Training out to choose on: --set data.holdout=0.1"
        )
        raise MienError(f"the data needs both Training and PublicTest images (file-name prefixes){hint}")
    names = faces.class_names
    for index in np.flatnonzero(np.bincount(train_set.labels, minlength=len(names)) == 0):
        print(f"warning: no Training images of class {names[index]!r}", file=sys.stderr)
    keep = stratified_subset(train_set.labels, limits.train_limit, seed)
    train_set = train_set.take(keep)
    keep = stratified_subset(public_set.labels, limits.eval_limit, seed)
    return train_set, public_set.take(keep)


def with_joined_sets(train_set: FaceSet, limits: DataConfig, seed: int) -> FaceSet:
    """The run's Training faces and, after them, the Training faces of each data.joint_with set
    (less its own held-out share), as FER+ votes, data.joint_repeat times over."""
    if not limits.joint_with:
        return train_set
    if train_set.votes is None:
        raise MienError("data.joint_with joins other sets to a FER+ run: give FER+ as --data")
    parts = [train_set]
    for index, source in enumerate(limits.joint_with, start=1):
        faces = load_fer2013(source)
        if limits.holdout:
            joined, _ = training_splits(faces, DataConfig(holdout=limits.holdout), seed)
        else:
            joined = faces.select("train")
        parts.append(repeated(as_votes(joined), limits.joint_repeat, seed + index))
    return concatenate(parts)


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
