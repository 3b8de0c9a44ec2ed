"""Other data sets joined to a FER+ run (data.joint_with): RAF-DB's faces as unanimous votes."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from mien.cli import cli
from mien.config import DataConfig, load_config
from mien.data.cache import load_fer2013
from mien.data.ferplus import FERPLUS_CLASSES, majority_labels, vote_distributions
from mien.data.run_data import run_data
from mien.data.splits import training_splits, with_joined_sets
from mien.errors import MienError
from mien.models.checkpoint import load_checkpoint
from mien.train.distill import TeacherEnsemble
from mien.train.state import build_state
from tests.rafdb_data import write_rafdb_folders
from tests.train.test_distill import PREPROCESS, eight_class_teacher


def test_joined_faces_follow_the_run_as_unanimous_votes_less_their_held_out_share(ferplus_folder, tmp_path):
    rafdb = write_rafdb_folders(tmp_path / "rafdb", copies=4)  # 28 Training faces, 4 of each class
    limits = DataConfig(holdout=0.3, joint_with=[str(rafdb)], joint_repeat=1.5)
    own, _ = training_splits(load_fer2013(ferplus_folder), limits, seed=5)
    joined = with_joined_sets(own, limits, seed=5)

    raf_train, raf_held = training_splits(load_fer2013(rafdb), DataConfig(holdout=0.3), seed=5)
    assert len(raf_held) > 0 and len(joined) == len(own) + round(1.5 * len(raf_train))
    assert np.array_equal(joined.images[: len(own)], own.images)  # the run's own faces first, unchanged
    tail = joined.take(np.arange(len(own), len(joined)))
    assert set(tail.sources) == {f"joined1:{source}" for source in raf_train.sources}  # none held out
    assert not set(raf_held.sources) & {source.split(":", 1)[1] for source in tail.sources}
    names = [FERPLUS_CLASSES[label] for label in majority_labels(tail.votes)]
    by_source = dict(zip(raf_train.sources, raf_train.labels))
    assert names == [raf_train.class_names[by_source[s.split(":", 1)[1]]] for s in tail.sources]
    assert (vote_distributions(tail.votes).max(axis=1) == 1).all() and (tail.fer2013_labels == -1).all()


def test_a_joint_run_trains_and_scores_each_sets_held_out_faces(ferplus_folder, tmp_path):
    rafdb = write_rafdb_folders(tmp_path / "rafdb", copies=4)
    overrides = ["train.epochs=1", "train.batch_size=4", "train.bf16=false", "data.holdout=0.3",
                 f'data.joint_with=["{rafdb}"]']  # fmt: skip
    args = ["train", "--data", str(ferplus_folder), "--model", "vgg_s", "--out", str(tmp_path / "run")]
    result = CliRunner().invoke(cli, args + [w for o in overrides for w in ("--set", o)])
    assert result.exit_code == 0, result.output
    checkpoint = tmp_path / "run" / "last.pt"
    assert load_checkpoint(checkpoint)["config"]["data"]["joint_with"] == [str(rafdb)]
    evaluate = [
        "evaluate",
        str(checkpoint),
        "--data",
        str(rafdb),
        "--split",
        "holdout",
        "--json",
        "--out",
        str(tmp_path / "eval"),
    ]
    result = CliRunner().invoke(cli, evaluate)
    assert result.exit_code == 0, result.output
    _, raf_held = training_splits(
        load_fer2013(rafdb),
        DataConfig(holdout=0.3),
        seed=load_checkpoint(checkpoint)["config"]["train"]["seed"],
    )
    assert json.loads(result.stdout)["count"] == len(raf_held)


def test_joined_teachers_label_the_joined_faces_and_teachers_the_runs_own(ferplus_folder, tmp_path):
    rafdb = write_rafdb_folders(tmp_path / "rafdb", copies=4)
    own_teacher = eight_class_teacher(tmp_path / "own.pt", seed=1)
    joined_teacher = eight_class_teacher(tmp_path / "joined.pt", seed=2)
    config = load_config(None, [
        "train.bf16=false", "train.batch_size=4", "data.holdout=0.3", f'data.joint_with=["{rafdb}"]',
        f'train.teachers=["{own_teacher}"]', f'train.joined_teachers=["{joined_teacher}"]',
        "train.distill_labels=precomputed",
    ])  # fmt: skip
    train_set, _ = run_data(ferplus_folder, config)
    assert train_set.joined.any() and not train_set.joined.all()
    assert not train_set.joined[: np.argmax(train_set.joined)].any()  # the run's own faces first
    state = build_state(config, train_set, torch.device("cpu"), tmp_path / "run")
    faces = torch.from_numpy(train_set.images)

    def labels_of(teacher):
        ensemble = TeacherEnsemble.from_checkpoints([teacher], PREPROCESS, 2.0, bf16=False)
        return ensemble.label_faces(faces, PREPROCESS)

    joined = torch.from_numpy(train_set.joined)
    torch.testing.assert_close(state.data.soft_labels[~joined], labels_of(own_teacher)[~joined])
    torch.testing.assert_close(state.data.soft_labels[joined], labels_of(joined_teacher)[joined])
    assert not torch.allclose(labels_of(own_teacher)[joined], labels_of(joined_teacher)[joined])


def test_joined_teachers_need_precomputed_labels(ferplus_folder, tmp_path):
    rafdb = write_rafdb_folders(tmp_path / "rafdb", copies=4)
    teacher = eight_class_teacher(tmp_path / "t.pt")
    config = load_config(None, [
        "train.bf16=false", "train.batch_size=4", f'data.joint_with=["{rafdb}"]',
        f'train.teachers=["{teacher}"]', f'train.joined_teachers=["{teacher}"]',
    ])  # fmt: skip
    train_set, _ = run_data(ferplus_folder, config)
    with pytest.raises(MienError, match="precomputed"):
        build_state(config, train_set, torch.device("cpu"), tmp_path / "run")
