import numpy as np
import pytest

from mien.train import intervals
from mien.train.intervals import (
    NO_ANSWER,
    calibration_interval,
    difference_interval,
    face_draws,
    label_intervals,
)
from mien.train.metrics import classification_report, probability_report

NAMES = ("a", "b", "c", "d")


def guesses(count: int, right: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """True labels with rare class d, and predictions right about ``right`` of the time."""
    rng = np.random.default_rng(seed)
    true = rng.choice(4, size=count, p=[0.5, 0.3, 0.15, 0.05])
    wrong = (true + rng.integers(1, 4, size=count)) % 4
    return true, np.where(rng.random(count) < right, true, wrong)


def central(values: list[float]) -> list[float]:
    return np.quantile(values, [0.025, 0.975]).tolist()


def test_each_draw_is_scored_as_classification_report_scores_it():
    true, predicted = guesses(300, 0.7)
    drawn = face_draws(len(true), draws=200, seed=5)
    reports = [classification_report(true[row], predicted[row], NAMES) for row in drawn]
    intervals = label_intervals(true, predicted, NAMES, draws=200, seed=5)
    assert intervals["accuracy"] == pytest.approx(central([r["accuracy"] for r in reports]))
    assert intervals["macro_f1"] == pytest.approx(central([r["macro_f1"] for r in reports]))
    for name in NAMES:
        recalls = [r["per_class"][name]["recall"] for r in reports if r["per_class"][name]["support"]]
        assert intervals["recall"][name] == pytest.approx(central(recalls))


def test_calibration_error_of_each_draw_is_probability_reports():
    rng = np.random.default_rng(2)
    probabilities = rng.dirichlet(np.ones(3) * 0.5, size=250)
    true = np.array([rng.choice(3, p=p) for p in probabilities])
    drawn = face_draws(len(true), draws=150, seed=3)
    errors = [probability_report(true[i], probabilities[i])["expected_calibration_error"] for i in drawn]
    assert calibration_interval(true, probabilities, draws=150, seed=3) == pytest.approx(central(errors))


def test_accuracy_interval_is_the_binomial_one_for_many_faces():
    true, predicted = guesses(4000, 0.8)
    accuracy = (true == predicted).mean()
    half_width = 1.96 * np.sqrt(accuracy * (1 - accuracy) / len(true))
    low, high = label_intervals(true, predicted, NAMES)["accuracy"]
    assert low < accuracy < high
    assert (high - low) / 2 == pytest.approx(half_width, rel=0.1)


def test_intervals_narrow_as_faces_grow():
    widths = []
    for count in (250, 4000):
        low, high = label_intervals(*guesses(count, 0.8), NAMES)["accuracy"]
        widths.append(high - low)
    assert widths[1] == pytest.approx(widths[0] / 4, rel=0.25)  # 16 times the faces: a quarter as wide


def test_no_answer_counts_as_wrong_and_an_absent_class_has_no_recall():
    true = np.array([0, 0, 1, 1])
    intervals = label_intervals(true, np.full(4, NO_ANSWER), NAMES, draws=50)
    assert intervals["accuracy"] == [0.0, 0.0]
    assert intervals["recall"]["c"] is None
    assert intervals["recall"]["a"] == [0.0, 0.0]


def test_the_same_model_differs_by_nothing():
    true, predicted = guesses(500, 0.7)
    same = difference_interval(true, predicted, predicted)
    assert same["difference"] == 0.0 and same["interval"] == [0.0, 0.0]
    assert same["only_this_right"] == same["only_baseline_right"] == 0


def test_a_paired_gain_is_told_apart_where_two_intervals_overlap():
    true, baseline = guesses(2000, 0.8)
    better = baseline.copy()
    fixed = np.flatnonzero(baseline != true)[:40]  # right on 40 more faces, 2 points
    better[fixed] = true[fixed]
    paired = difference_interval(true, better, baseline)
    assert paired["difference"] == pytest.approx(0.02)
    assert paired["only_this_right"] == 40 and paired["only_baseline_right"] == 0
    assert paired["interval"][0] > 0  # the faces tell the gain from chance
    low_better, _ = label_intervals(true, better, NAMES)["accuracy"]
    _, high_baseline = label_intervals(true, baseline, NAMES)["accuracy"]
    assert low_better < high_baseline  # side by side, the two intervals overlap


def test_a_coin_flip_of_changes_holds_zero():
    true, baseline = guesses(2000, 0.8)
    other = baseline.copy()
    wrong, right = np.flatnonzero(baseline != true)[:30], np.flatnonzero(baseline == true)[:30]
    other[wrong] = true[wrong]
    other[right] = (true[right] + 1) % 4  # 30 faces gained, 30 lost
    paired = difference_interval(true, other, baseline)
    assert paired["difference"] == 0.0
    assert paired["interval"][0] < 0 < paired["interval"][1]


def test_drawing_in_small_blocks_gives_the_same_intervals(monkeypatch):
    true, predicted = guesses(300, 0.7)
    probabilities = np.eye(4)[predicted] * 0.6 + 0.1
    at_once = label_intervals(true, predicted, NAMES, draws=200), calibration_interval(true, probabilities)
    monkeypatch.setattr(intervals, "CHUNK", 1000)  # three samples a block
    assert len(next(intervals.draw_chunks(300, 200))) == 3
    in_blocks = label_intervals(true, predicted, NAMES, draws=200), calibration_interval(true, probabilities)
    assert in_blocks == at_once
