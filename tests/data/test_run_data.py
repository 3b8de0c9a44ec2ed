"""run_data: a run's settings in, one training set and the faces it chooses on out, whatever data set
it reads; evaluation sets say how their labels were made."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mien.config import load_config
from mien.data.ferplus import FERPLUS_CLASSES
from mien.data.run_data import FER2013_HEAD, evaluation_set, held_out_set, run_data
from mien.errors import MienError
from tests.ferplus_data import write_fer2013_twin
from tests.rafdb_data import write_rafdb_folders


def test_single_labels_are_one_hot_targets_and_each_face_is_drawn_once(small_folder):
    train, choose = run_data(small_folder, load_config(None, []))
    assert train.targets.shape == (len(train), 7) and train.targets.dtype == np.float32
    np.testing.assert_array_equal(train.targets.argmax(axis=1), train.labels)
    assert (train.targets.sum(axis=1) == 1).all() and train.draw_weights is None and train.head_targets == {}
    assert (choose.split, choose.rule, choose.vote_shares) == ("PublicTest", "single label", None)
    balanced, _ = run_data(small_folder, load_config(None, ["train.sampler=balanced"]))
    counts = np.bincount(balanced.labels)
    np.testing.assert_allclose(balanced.draw_weights, 1 / counts[balanced.labels])


def test_votes_joined_sets_and_a_second_head_make_one_training_set(ferplus_folder, tmp_path):
    rafdb = write_rafdb_folders(tmp_path / "rafdb", copies=2)
    twin = write_fer2013_twin(tmp_path / "twin")
    settings = ["data.holdout=0.2", f'data.joint_with=["{rafdb}"]', f"data.fer2013_labels_from={twin}",
                "train.fer2013_head_weight=0.5", "train.fer2013_label_weight=0.25"]  # fmt: skip
    train, choose = run_data(ferplus_folder, load_config(None, settings))
    assert train.class_names == FERPLUS_CLASSES and train.targets.shape == (len(train), 8)
    np.testing.assert_allclose(train.targets.sum(axis=1), 1, rtol=1e-6)
    head = train.head_targets[FER2013_HEAD]
    assert head.shape == train.targets.shape and 0 < head.sum() < len(train)  # the joined faces: unknown
    assert (choose.split, choose.rule) == ("held-out Training faces", "raters' majority")
    assert (choose.labels >= 0).all() and choose.learnable is not None


def test_evaluation_sets_name_their_split_and_rule(ferplus_folder):
    valid = evaluation_set(ferplus_folder, "public")
    assert (valid.split, valid.rule, valid.is_test) == ("FER2013Valid", "raters' majority", False)
    assert len(valid.scored()) == (valid.labels >= 0).sum() < len(valid)
    np.testing.assert_allclose(valid.vote_shares[valid.learnable].sum(axis=1), 1, rtol=1e-6)
    assert evaluation_set(ferplus_folder, "private").is_test
    held = held_out_set(ferplus_folder, 0.3, seed=5)
    assert held.split == "held-out Training faces" and len(held) > 0


def test_a_missing_split_says_where_the_faces_are(ferplus_folder):
    shutil.rmtree(ferplus_folder / "FER2013Test")
    with pytest.raises(MienError, match="they are the FER2013Test folder, absent here"):
        evaluation_set(ferplus_folder, "private")
