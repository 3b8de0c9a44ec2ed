"""The faces a run trains on and chooses on: PublicTest, or a share of Training held out."""

from __future__ import annotations

import numpy as np
import pytest

from mien.config import DataConfig
from mien.data.fer2013 import CLASS_NAMES, SPLITS, FaceSet
from mien.data.ferplus import FERPLUS_CLASSES, majority_labels
from mien.data.splits import training_splits
from mien.errors import MienError


def face_set(labels: list[int], splits: list[str], votes: np.ndarray | None = None) -> FaceSet:
    count = len(labels)
    return FaceSet(
        images=np.arange(count, dtype=np.uint8)[:, None, None].repeat(48, 1).repeat(48, 2),
        labels=np.array(labels),
        splits=np.array([SPLITS.index(s) for s in splits], dtype=np.int8),
        sources=np.array([f"face{i}" for i in range(count)]),
        class_names=FERPLUS_CLASSES if votes is not None else CLASS_NAMES,
        votes=votes,
    )


def test_a_holdout_is_a_stratified_share_of_training_kept_out_of_it_and_publictest_is_not_read():
    labels = [0] * 60 + [3] * 40 + [5] * 20
    faces = face_set(labels + [1, 2], ["Training"] * 120 + ["PublicTest"] * 2)
    train, chosen = training_splits(faces, DataConfig(holdout=0.25), seed=0)
    assert len(chosen) == 30 and len(train) == 90
    assert np.bincount(chosen.labels).tolist() == [15, 0, 0, 10, 0, 5]
    assert not set(chosen.sources) & set(train.sources)
    assert {str(s) for s in chosen.sources} <= {f"face{i}" for i in range(120)}  # no PublicTest face
    with pytest.raises(MienError, match="between 0 and 1"):
        training_splits(faces, DataConfig(holdout=1.5), seed=0)


def test_with_votes_training_learns_from_faces_an_expression_leads_and_scores_by_majority():
    # FER+ columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
    votes = np.array(
        [
            [8, 2, 0, 0, 0, 0, 0, 0, 0, 0],  # neutral, a majority
            [4, 3, 3, 0, 0, 0, 0, 0, 0, 0],  # neutral leads, no majority: trained on, not scored
            [0, 0, 0, 0, 0, 0, 0, 0, 2, 8],  # not a face: left out
            [0, 9, 0, 0, 0, 0, 0, 0, 1, 0],  # happy (PublicTest)
            [3, 0, 0, 0, 0, 0, 0, 0, 4, 3],  # unknown leads (PublicTest): not scored
        ]
    )
    faces = face_set(majority_labels(votes).tolist(), ["Training"] * 3 + ["PublicTest"] * 2, votes)
    train, public = training_splits(faces, DataConfig(), seed=0)
    assert train.sources.tolist() == ["face0", "face1"]
    assert train.labels.tolist() == [FERPLUS_CLASSES.index("neutral")] * 2
    assert public.sources.tolist() == ["face3"] and public.labels.tolist() == [FERPLUS_CLASSES.index("happy")]
