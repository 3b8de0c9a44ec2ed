import numpy as np
import pytest

from mien.errors import MienError
from mien.train.ensemble_select import rank_subsets

CLASSES = ("a", "b")


def one_hot(predicted):
    return np.eye(2)[predicted] * 0.6 + 0.2  # each row sums to 1, argmax = predicted


def test_best_subset_within_the_budget_comes_first():
    labels = np.array([0, 0, 1, 1])
    probabilities = {
        "right_on_first_three": one_hot([0, 0, 1, 0]),
        "right_on_last_three": one_hot([1, 0, 1, 1]),
        "right_everywhere_but_big": one_hot([0, 0, 1, 1]),
    }
    sizes = {"right_on_first_three": 5.0, "right_on_last_three": 5.0, "right_everywhere_but_big": 20.0}

    ranked = rank_subsets(probabilities, labels, sizes, budget_mb=12.0, class_names=CLASSES)

    assert all("right_everywhere_but_big" not in row["members"] for row in ranked)
    assert [row["members"] for row in ranked] == [
        ["right_on_first_three"],  # 75%, 5 MB: the pair also gets 75% (its ties split) at 10 MB
        ["right_on_last_three"],
        ["right_on_first_three", "right_on_last_three"],
    ]
    assert ranked[0]["accuracy"] == 0.75 and ranked[0]["size_mb"] == 5.0


def test_a_pair_that_beats_each_member_wins():
    labels = np.array([0, 1, 1])
    probabilities = {  # each errs confidently once; averaged, the confident right answer wins
        "first": np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4]]),
        "second": np.array([[0.45, 0.55], [0.2, 0.8], [0.1, 0.9]]),
    }
    ranked = rank_subsets(probabilities, labels, {"first": 1.0, "second": 1.0}, 10.0, CLASSES)
    assert ranked[0]["members"] == ["first", "second"]
    assert ranked[0]["accuracy"] == 1.0


def test_log_loss_ranking_prefers_the_surer_of_two_equally_accurate_models():
    labels = np.array([0, 1, 1])
    probabilities = {
        "barely_right": np.array([[0.55, 0.45], [0.45, 0.55], [0.45, 0.55]]),
        "surely_right": np.array([[0.9, 0.1], [0.1, 0.9], [0.2, 0.8]]),
    }
    sizes = {"barely_right": 1.0, "surely_right": 5.0}
    by_accuracy = rank_subsets(probabilities, labels, sizes, 10.0, CLASSES)
    by_log_loss = rank_subsets(probabilities, labels, sizes, 10.0, CLASSES, rank_by="log_loss")
    assert by_accuracy[0]["members"] == ["barely_right"]  # all three are right on every face: smallest
    assert by_log_loss[0]["members"] == ["surely_right"]
    assert by_log_loss[0]["log_loss"] == pytest.approx(-np.log([0.9, 0.9, 0.8]).mean())
    with pytest.raises(MienError, match="log_loss"):
        rank_subsets(probabilities, labels, sizes, 10.0, CLASSES, rank_by="f1")
