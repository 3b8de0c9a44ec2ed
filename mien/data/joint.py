"""Other data sets' faces joined to a FER+ run: each face's single label written as ten raters
agreeing on it, so FER+'s targets, sampling and scoring take every face alike.

RAF-DB's labels are already a crowd's agreement (about 40 annotators a face), so a unanimous vote is
what they say. A joined set keeps its own held-out share (the run's data.holdout and seed), so
`mien evaluate --split holdout --data THAT_SET` scores exactly the faces the run did not see.
"""

from __future__ import annotations

import numpy as np

from mien.data.fer2013 import FaceSet
from mien.data.ferplus import COLUMN_OF_CLASS, FERPLUS_CLASSES, VOTE_COLUMNS
from mien.errors import MienError

RATERS = 10
JOINED = "joined"  # the start of a joined face's source: JOINED + its part's number + ":"


def as_votes(faces: FaceSet) -> FaceSet:
    """The faces as FER+ faces: each label a unanimous ten-rater vote, classes FER+'s eight."""
    unknown = sorted(set(faces.class_names) - set(FERPLUS_CLASSES))
    if unknown:
        raise MienError(f"classes FER+ does not have: {', '.join(unknown)}")
    labels = np.array(
        [FERPLUS_CLASSES.index(faces.class_names[label]) for label in faces.labels], dtype=np.int64
    )
    votes = np.zeros((len(faces), len(VOTE_COLUMNS)), dtype=np.int64)
    votes[np.arange(len(faces)), COLUMN_OF_CLASS[labels]] = RATERS
    unknown_fer2013 = np.full(len(faces), -1, dtype=np.int64)
    return FaceSet(faces.images, labels, faces.splits, faces.sources, class_names=FERPLUS_CLASSES,
                   votes=votes, fer2013_labels=unknown_fer2013)  # fmt: skip


def concatenate(parts: list[FaceSet]) -> FaceSet:
    """FER+ face sets one after another (sources prefixed by their part's number beyond the first)."""

    def sources(index: int, part: FaceSet) -> np.ndarray:
        return part.sources if index == 0 else np.char.add(f"{JOINED}{index}:", part.sources.astype(str))

    def fer2013_labels(part: FaceSet) -> np.ndarray:
        return np.full(len(part), -1, np.int64) if part.fer2013_labels is None else part.fer2013_labels

    return FaceSet(
        images=np.concatenate([part.images for part in parts]),
        labels=np.concatenate([part.labels for part in parts]),
        splits=np.concatenate([part.splits for part in parts]),
        sources=np.concatenate([sources(index, part) for index, part in enumerate(parts)]),
        class_names=FERPLUS_CLASSES,
        votes=np.concatenate([part.votes for part in parts]),
        fer2013_labels=np.concatenate([fer2013_labels(part) for part in parts]),
    )


def repeated(faces: FaceSet, times: float, seed: int) -> FaceSet:
    """``round(times * len(faces))`` faces: each ``int(times)`` times, the rest drawn at random once."""
    whole = np.tile(np.arange(len(faces)), int(times))
    extra = np.random.default_rng(seed).permutation(len(faces))[: round(times * len(faces)) - len(whole)]
    return faces.take(np.sort(np.concatenate([whole, extra])))
