"""Labelled real photos in ../shared/photos (skipped without them): all faces found, few false alarms."""

import pytest

from mien.vision.detect import create_detector, list_detectors
from mien.vision.detection_score import score_detector

pytestmark = pytest.mark.photos


@pytest.mark.parametrize("name", list_detectors())
def test_every_labelled_face_is_found_with_at_most_two_false_positives(name, photos_path):
    score = score_detector(create_detector(name), photos_path)
    assert score.missed == []
    assert len(score.false_positives) <= 2, score.false_positives
