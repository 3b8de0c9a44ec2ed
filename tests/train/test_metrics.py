import numpy as np
import pytest

from mien.train.metrics import classification_report, confusion_matrix, probability_report, vote_cross_entropy


def test_confusion_matrix_rows_are_true_classes():
    matrix = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]


def test_report_matches_a_hand_worked_example():
    # true:      a a a b b c
    # predicted: a a b b c c
    true = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 2, 2])
    report = classification_report(true, predicted, ("a", "b", "c"))
    assert report["accuracy"] == pytest.approx(4 / 6)
    a, b, c = (report["per_class"][k] for k in "abc")
    assert (a["precision"], a["recall"]) == pytest.approx((1.0, 2 / 3))
    assert (b["precision"], b["recall"]) == pytest.approx((0.5, 0.5))
    assert (c["precision"], c["recall"]) == pytest.approx((0.5, 1.0))
    f1 = [2 * (2 / 3) / (1 + 2 / 3), 0.5, 2 * 0.5 / 1.5]
    assert report["macro_f1"] == pytest.approx(sum(f1) / 3)
    assert report["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_absent_classes_do_not_count_in_macro_f1():
    report = classification_report(np.array([0, 1]), np.array([0, 1]), ("a", "b", "c"))
    assert report["macro_f1"] == pytest.approx(1.0)
    assert report["per_class"]["c"]["support"] == 0


def test_log_loss_and_calibration_error_match_a_hand_worked_example():
    # Confidences 0.95 (right), 0.55 (wrong), 0.75 (right): one face in each of three of five bins.
    probabilities = np.array([[0.95, 0.05], [0.55, 0.45], [0.25, 0.75]])
    report = probability_report(np.array([0, 1, 1]), probabilities, bins=5)
    assert report["log_loss"] == pytest.approx(-(np.log(0.95) + np.log(0.45) + np.log(0.75)) / 3)
    assert report["expected_calibration_error"] == pytest.approx((0.05 + 0.55 + 0.25) / 3)
    assert [row["low"] for row in report["reliability"]] == pytest.approx([0.4, 0.6, 0.8])
    counts_and_accuracy = [(row["count"], row["accuracy"]) for row in report["reliability"]]
    assert counts_and_accuracy == [(1, 0.0), (1, 1.0), (1, 1.0)]


def test_a_model_right_as_often_as_it_is_sure_has_no_calibration_error():
    # Ten faces at confidence 0.8, eight of them right.
    probabilities = np.tile([0.8, 0.2], (10, 1))
    true = np.array([0] * 8 + [1] * 2)
    assert probability_report(true, probabilities)["expected_calibration_error"] == pytest.approx(0.0)


def test_vote_cross_entropy_matches_a_hand_worked_example():
    shares = np.array([[0.6, 0.4, 0.0], [0.0, 0.0, 1.0]])
    probabilities = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    expected = (-(0.6 * np.log(0.5) + 0.4 * np.log(0.25)) - np.log(0.8)) / 2
    assert vote_cross_entropy(shares, probabilities) == pytest.approx(expected)
    # a class the votes name but the model gives 0 costs -log(1e-12) per unit of share
    assert vote_cross_entropy(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])) == pytest.approx(-np.log(1e-12))
