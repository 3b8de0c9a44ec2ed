"""The face tracker on its own: boxes and probabilities in, track ids and smoothed probabilities out."""

import pytest

from mien.types import Box, Face, FacePrediction
from mien.video.tracking import FaceTracker, iou

CLASSES = ["a", "b"]


def prediction(x, probability_a):
    return FacePrediction(Face(Box(x, 10, 50, 50), 0.9), {"a": probability_a, "b": 1 - probability_a})


def test_iou():
    assert iou(Box(0, 0, 10, 10), Box(0, 0, 10, 10)) == 1.0
    assert iou(Box(0, 0, 10, 10), Box(5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou(Box(0, 0, 10, 10), Box(20, 20, 5, 5)) == 0.0


def test_tracker_keeps_ids_and_smooths_probabilities():
    tracker = FaceTracker(smoothing=0.5)
    first = tracker.update([prediction(0, 1.0), prediction(300, 0.0)], CLASSES)
    assert [f.track for f in first] == [1, 2]
    second = tracker.update([prediction(305, 0.0), prediction(4, 0.0)], CLASSES)  # moved a little, reordered
    assert [f.track for f in second] == [2, 1]
    assert second[1].smoothed["a"] == pytest.approx(0.5)  # half of the past 1.0, half of the new 0.0
    third = tracker.update([prediction(1000, 1.0)], CLASSES)
    assert third[0].track == 3


def test_the_label_of_a_tracked_face_is_the_smoothed_one():
    tracker = FaceTracker(smoothing=0.8)
    tracker.update([prediction(0, 1.0)], CLASSES)
    [face] = tracker.update([prediction(0, 0.2)], CLASSES)  # this frame alone says "b"
    assert face.prediction.label == "b"
    assert face.smoothed["a"] == pytest.approx(0.8 * 1.0 + 0.2 * 0.2) and face.label == "a"


def test_a_track_survives_missed_frames_then_ends():
    tracker = FaceTracker(max_missed=2)
    [face] = tracker.update([prediction(0, 1.0)], CLASSES)
    for _ in range(2):
        assert tracker.update([], CLASSES) == []
    assert tracker.update([prediction(0, 1.0)], CLASSES)[0].track == face.track  # back within the limit
    for _ in range(3):
        tracker.update([], CLASSES)
    assert tracker.update([prediction(0, 1.0)], CLASSES)[0].track == face.track + 1  # a new track


def test_faces_that_do_not_overlap_enough_start_new_tracks():
    tracker = FaceTracker(min_iou=0.5)
    tracker.update([prediction(0, 1.0)], CLASSES)
    [moved] = tracker.update([prediction(30, 1.0)], CLASSES)  # IoU 20*50 / (2*2500 - 1000) = 0.25
    assert moved.track == 2
