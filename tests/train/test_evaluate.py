"""Evaluation on FER+ against figures worked out by hand, with a stub in place of the model.

FER2013Valid of tests/ferplus_data.py, in order (votes of 1 already dropped):
    face 17  neutral 4, happy 6    majority happy
    face 18  neutral 2, contempt 8 majority contempt
    face 19  surprise 10           majority surprise
    face 20  neutral 5, sad 5      no majority, still learnable
    face 21  not a face 10         no majority, not learnable
    face 22  sad 9                 majority sad
    face 24  anger 7, unknown 3    majority angry
    face 25  neutral 9             majority neutral
"""

import numpy as np
import pytest

from mien.data.fer2013 import CLASS_NAMES
from mien.data.ferplus import FERPLUS_CLASSES
from mien.errors import MienError
from mien.train import evaluate as evaluation
from mien.train.evaluate import evaluate, to_data_classes

# The stub model's probabilities for faces 17-25, by class name.
STUB = [
    {"happy": 0.6, "neutral": 0.4},  # right
    {"contempt": 0.2, "neutral": 0.8},  # wrong: neutral
    {"surprise": 0.7, "fear": 0.3},  # right
    {"neutral": 0.25, "sad": 0.75},  # not scored
    {name: 1 / 8 for name in FERPLUS_CLASSES},  # not scored, not learnable
    {"sad": 0.9, "neutral": 0.1},  # right
    {"angry": 0.4, "disgust": 0.6},  # wrong: disgust
    {"neutral": 1.0},  # right
]


def stub_model(monkeypatch, class_names):
    """evaluate() sees STUB's probabilities in class_names' order; a class it lacks is left out and
    the rest rescaled to sum to 1, as a softmax over fewer classes would."""

    def probabilities(paths, images, tta, precision):
        assert len(images) == len(STUB)
        rows = np.array([[row.get(name, 0.0) for name in class_names] for row in STUB])
        return rows / rows.sum(axis=1, keepdims=True), list(class_names), "fp32"

    monkeypatch.setattr(evaluation, "ensemble_probabilities", probabilities)


def test_ferplus_scores_the_faces_with_a_majority(ferplus_folder, monkeypatch):
    stub_model(monkeypatch, FERPLUS_CLASSES)
    report = evaluate(["stub.pt"], ferplus_folder, "public")
    assert report["split"] == "FER2013Valid" and report["model_lacks"] == []
    assert report["count"] == 6 and report["without_majority"] == 2
    assert report["accuracy"] == pytest.approx(4 / 6)
    per_class = report["per_class"]
    assert (per_class["neutral"]["precision"], per_class["neutral"]["recall"]) == (0.5, 1.0)
    assert per_class["contempt"]["support"] == 1 and per_class["contempt"]["recall"] == 0
    assert per_class["disgust"]["support"] == 0 and per_class["disgust"]["precision"] == 0
    # present: happy, surprise, sad 1; contempt, angry 0; neutral 2/3
    assert report["macro_f1"] == pytest.approx((3 + 2 / 3) / 6)
    assert report["log_loss"] == pytest.approx(-np.log([0.6, 0.2, 0.7, 0.9, 0.4, 1.0]).sum() / 6)
    cross_entropy = [
        -(0.6 * np.log(0.6) + 0.4 * np.log(0.4)),
        -(0.8 * np.log(0.2) + 0.2 * np.log(0.8)),
        -np.log(0.7),
        -(0.5 * np.log(0.25) + 0.5 * np.log(0.75)),
        -np.log(0.9),
        -np.log(0.4),
        0.0,
    ]  # the seven learnable faces: all but the not-a-face one
    assert report["vote_faces"] == 7
    assert report["vote_cross_entropy"] == pytest.approx(sum(cross_entropy) / 7)
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (8, 8) and matrix.sum() == 6
    index = FERPLUS_CLASSES.index
    assert matrix[index("contempt"), index("neutral")] == 1 and matrix[index("angry"), index("disgust")] == 1
    intervals = report["intervals"]  # six scored faces: resampled, anything from none to all right
    assert intervals["accuracy"][0] < 4 / 6 < intervals["accuracy"][1]
    assert intervals["accuracy"][0] >= 0 and intervals["accuracy"][1] <= 1
    assert intervals["recall"]["disgust"] is None and intervals["recall"]["sad"] == [1.0, 1.0]
    low, high = intervals["expected_calibration_error"]
    assert low <= report["expected_calibration_error"] <= high


def test_a_model_without_contempt_is_placed_by_class_name(ferplus_folder, monkeypatch):
    reversed_fer2013 = tuple(reversed(CLASS_NAMES))  # placed by name, not by position
    stub_model(monkeypatch, reversed_fer2013)
    report = evaluate(["stub.pt"], ferplus_folder, "public")
    assert report["model_lacks"] == ["contempt"]
    assert report["accuracy"] == pytest.approx(4 / 6)  # the contempt face was wrong already
    matrix = np.array(report["confusion_matrix"])
    assert matrix[:, FERPLUS_CLASSES.index("contempt")].sum() == 0  # never predicted
    assert matrix[FERPLUS_CLASSES.index("happy"), FERPLUS_CLASSES.index("happy")] == 1
    # face 18's contempt share meets probability 0 (its neutral share meets 1), the rest as before
    contempt_face = -0.8 * np.log(1e-12)
    others = -(0.6 * np.log(0.6) + 0.4 * np.log(0.4)) - np.log([0.7, 0.9, 0.4]).sum()
    others += -(0.5 * np.log(0.25) + 0.5 * np.log(0.75))
    assert report["vote_cross_entropy"] == pytest.approx((contempt_face + others) / 7)


def test_to_data_classes_places_by_name_and_drops_what_the_data_lacks():
    probabilities = np.array([[0.1, 0.2, 0.3, 0.4]])
    placed, lacking = to_data_classes(probabilities, ["a", "b", "c", "x"], ("c", "d", "a", "b"))
    # x is dropped and the rest rescaled: a, b, c were 0.1, 0.2, 0.3 of 0.6
    np.testing.assert_allclose(placed, [[0.5, 0.0, 1 / 6, 1 / 3]])
    assert lacking == ["d"]
    same, none = to_data_classes(probabilities, ["a", "b", "c", "d"], ("a", "b", "c", "d"))
    np.testing.assert_array_equal(same, probabilities)
    assert none == []
    with pytest.raises(MienError, match="share none"):
        to_data_classes(probabilities, ["w", "x", "y", "z"], ("a", "b"))


def test_the_ferplus_test_split_needs_its_folder(ferplus_folder, monkeypatch):
    import shutil

    stub_model(monkeypatch, FERPLUS_CLASSES)
    shutil.rmtree(ferplus_folder / "FER2013Test")
    with pytest.raises(MienError, match="FER2013Test.*--split public"):
        evaluate(["stub.pt"], ferplus_folder, "private")
