"""Several classifiers as one: the mean of their probabilities."""

from __future__ import annotations

import numpy as np

from mien.backends.base import Classifier, with_threads
from mien.errors import MienError


class EnsembleClassifier:
    def __init__(self, members: list[Classifier]):
        if not members:
            raise MienError("an ensemble needs at least one model")
        first = members[0]
        for member in members[1:]:
            if member.class_names != first.class_names:
                raise MienError(
                    f"ensemble members disagree on the classes: {member.class_names} vs {first.class_names}"
                )
            if member.preprocess["size"] != first.preprocess["size"]:
                raise MienError("ensemble members must see faces of the same size")
        self.members = members
        self.class_names = first.class_names
        self.preprocess = first.preprocess  # each member scales pixels its own way; the size is shared
        self.precision = "+".join(sorted({member.precision for member in members}))

    def with_threads(self, threads: int) -> EnsembleClassifier | None:
        members = [with_threads(member, threads) for member in self.members]
        if any(member is None for member in members):
            return None
        if all(new is old for new, old in zip(members, self.members)):
            return self
        return EnsembleClassifier(members)

    def probabilities(self, faces: np.ndarray) -> np.ndarray:
        return np.mean([member.probabilities(faces) for member in self.members], axis=0)
