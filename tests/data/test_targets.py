"""FER+ training targets: the raters' vote shares, with a share moved to the single FER2013 label."""

from __future__ import annotations

import numpy as np
import pytest

from mien.data.fer2013 import SPLITS, FaceSet
from mien.data.ferplus import FERPLUS_CLASSES, majority_labels
from mien.data.run_data import training_targets
from mien.errors import MienError

# FER+ columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
VOTES = np.array(
    [
        [8, 2, 0, 0, 0, 0, 0, 0, 0, 0],  # neutral .8, happy .2
        [0, 10, 0, 0, 0, 0, 0, 0, 0, 0],  # happy
        [0, 0, 0, 0, 6, 0, 0, 4, 0, 0],  # angry .6, contempt .4
    ]
)
FER2013 = ["sad", "happy", None]  # the single FER2013 labels; the last face was not paired


def face_set(fer2013_labels) -> FaceSet:
    return FaceSet(
        images=np.zeros((3, 48, 48), dtype=np.uint8),
        labels=majority_labels(VOTES),
        splits=np.full(3, SPLITS.index("Training"), dtype=np.int8),
        sources=np.array(["a", "b", "c"]),
        class_names=FERPLUS_CLASSES,
        votes=VOTES,
        fer2013_labels=fer2013_labels,
    )


def targets(weight: float, fer2013_labels) -> np.ndarray:
    return training_targets(face_set(fer2013_labels), weight)


def shares(**named) -> list[float]:
    return [named.get(name, 0.0) for name in FERPLUS_CLASSES]


def test_a_quarter_of_each_paired_target_goes_to_its_fer2013_label():
    labels = np.array([-1 if name is None else FERPLUS_CLASSES.index(name) for name in FER2013])
    np.testing.assert_allclose(
        targets(0.25, labels),
        [shares(neutral=0.6, happy=0.15, sad=0.25), shares(happy=1.0), shares(angry=0.6, contempt=0.4)],
    )
    np.testing.assert_allclose(targets(0.0, None)[0], shares(neutral=0.8, happy=0.2))
    with pytest.raises(MienError, match="between 0 and 1"):
        targets(1.5, labels)


def test_the_weight_without_fer2013_labels_says_where_to_get_them():
    with pytest.raises(MienError, match="data.fer2013_labels_from"):
        targets(0.25, None)


def test_a_vote_power_leans_each_target_towards_the_majority_and_leaves_unanimous_faces_alone():
    sharpened = training_targets(face_set(None), 0.0, vote_power=2.0)
    np.testing.assert_allclose(sharpened[0], shares(neutral=0.64 / 0.68, happy=0.04 / 0.68), rtol=1e-6)
    np.testing.assert_allclose(sharpened[1], shares(happy=1.0))
    np.testing.assert_allclose(
        training_targets(face_set(None), 0.0, vote_power=1.0)[2], shares(angry=0.6, contempt=0.4)
    )
    with pytest.raises(MienError, match="vote_power"):
        training_targets(face_set(None), 0.0, vote_power=0.0)
