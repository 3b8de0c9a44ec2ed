"""Labelled real photos in ../shared/photos (skipped without them): all faces found, few false alarms."""

import json

import pytest

from mien.types import Box
from mien.vision.detect import create_detector, list_detectors
from mien.vision.io import read_image

pytestmark = pytest.mark.photos


def matches(box: Box, truth: list[float]) -> bool:
    """The README's rule: IoU >= 0.3, or each box's centre inside the other."""
    x1, y1, x2, y2 = truth
    width = max(0.0, min(box.x + box.w, x2) - max(box.x, x1))
    height = max(0.0, min(box.y + box.h, y2) - max(box.y, y1))
    overlap = width * height
    union = box.w * box.h + (x2 - x1) * (y2 - y1) - overlap
    centre_x, centre_y = box.x + box.w / 2, box.y + box.h / 2
    centres_inside = (
        x1 <= centre_x <= x2 and y1 <= centre_y <= y2 and box.x <= (x1 + x2) / 2 <= box.x + box.w
        and box.y <= (y1 + y2) / 2 <= box.y + box.h
    )  # fmt: skip
    return overlap / union >= 0.3 or centres_inside


@pytest.mark.parametrize("name", list_detectors())
def test_every_labelled_face_is_found_with_at_most_two_false_positives(name, photos_path):
    detector = create_detector(name)
    truth = json.loads((photos_path / "faces.json").read_text())
    missed, false_positives = [], []
    for file_name, labelled in truth.items():
        faces = detector.detect(read_image(photos_path / file_name))
        for box in labelled["faces"]:
            if not any(matches(face.box, box) for face in faces):
                missed.append((file_name, box))
        for face in faces:
            known = labelled["faces"] + labelled["ignore"]
            if not any(matches(face.box, box) for box in known):
                false_positives.append((file_name, face.box))
    assert missed == []
    assert len(false_positives) <= 2, false_positives
