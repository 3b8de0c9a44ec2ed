"""Scoring labelled photos through the whole pipeline: one face per photo, no face counts as wrong,
classes matched by name."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from mien.errors import MienError
from mien.train.photo_eval import aligned_crops, labelled_photos, score_crops


class FixedClassifier:
    """Answers every face with the same probabilities."""

    def __init__(self, class_names, probabilities):
        self.class_names, self.probabilities_row = list(class_names), np.asarray(probabilities, float)
        self.precision = "fp32"

    def probabilities(self, faces):
        return np.tile(self.probabilities_row, (len(faces), 1))


@pytest.fixture
def photos(tmp_path):
    """Two classes: the astronaut (a face) under happy and sad, a blank photo (no face) under sad."""
    for name, image in (("happy/a.png", data.astronaut()), ("sad/a.png", data.astronaut()),
                        ("sad/blank.png", np.full((300, 300, 3), 128, np.uint8))):  # fmt: skip
        (tmp_path / name).parent.mkdir(exist_ok=True)
        Image.fromarray(image).save(tmp_path / name)
    return tmp_path


def test_labelled_photos_are_read_from_class_folders(photos, tmp_path):
    paths, labels, classes = labelled_photos(photos)
    assert classes == ("happy", "sad") and len(paths) == 3 and list(labels) == [0, 1, 1]
    with pytest.raises(MienError, match="no labelled photos under"):
        labelled_photos(tmp_path / "nothing")


def test_an_unreadable_photo_counts_as_one_without_a_face(photos, tmp_path, capsys):
    (photos / "sad" / "broken.png").write_bytes(b"not a png")
    crops = aligned_crops(photos)
    assert sum(crop is None for crop in crops.crops) == 2  # the blank photo and the broken one
    assert "broken.png" in capsys.readouterr().err
    (tmp_path / "faceless" / "sad").mkdir(parents=True)
    Image.fromarray(np.full((200, 200, 3), 90, np.uint8)).save(tmp_path / "faceless" / "sad" / "grey.png")
    only_blank = aligned_crops(tmp_path / "faceless")  # photos that hold no face at all
    with pytest.raises(MienError, match="no face found in any of the"):
        score_crops(FixedClassifier(("happy", "sad"), [0.5, 0.5]), only_blank)


def test_a_photo_without_a_face_counts_as_wrong_and_classes_match_by_name(photos):
    crops = aligned_crops(photos)
    assert [crop is None for crop in crops.crops] == [False, False, True]
    assert crops.crops[0].shape == (48, 48)
    # an eight-class model that says happy, with contempt second: right on one photo of three
    model = FixedClassifier(("contempt", "happy", "sad"), [0.3, 0.6, 0.1])
    report = score_crops(model, crops)
    assert report["accuracy"] == pytest.approx(1 / 3) and report["without_face"] == 1
    low, high = report["intervals"]["accuracy"]  # over all three photos, the faceless one wrong
    assert low < 1 / 3 < high and report["intervals"]["recall"]["sad"] == [0.0, 0.0]
    assert report["answered_accuracy"] == pytest.approx(1 / 3)
    # contempt leading: as printed it is wrong everywhere; matched to the data's classes, happy wins
    contempt_first = FixedClassifier(("contempt", "happy", "sad"), [0.6, 0.3, 0.1])
    report = score_crops(contempt_first, crops)
    assert report["answered_accuracy"] == 0 and report["accuracy"] == pytest.approx(1 / 3)
    assert report["per_class"]["happy"]["recall"] == 1.0 and report["per_class"]["sad"]["recall"] == 0.0
