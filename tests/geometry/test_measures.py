"""Face measures: zero where they compare with the reference face, in inter-ocular distances, blind
to the face's size and turn, and moved by the points they name."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mien.geometry.measures import MEASURES, face_measures
from mien.geometry.mesh import LEFT_EYE_OUTER, RIGHT_EYE_OUTER
from mien.geometry.pose import fit_pose, reference, to_pose_frame


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    return reference().points


def _eyes(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[RIGHT_EYE_OUTER, :2] - points[LEFT_EYE_OUTER, :2]))


def test_the_reference_face_measures_no_furrow_no_lift_and_no_asymmetry(face):
    measures = face_measures(face, face)
    assert list(measures) == list(MEASURES)
    for name in ("brow_furrow", "lip_corner_lift_right", "lip_corner_lift_left"):
        assert measures[name] == pytest.approx(0, abs=1e-6)
    for name in ("eye_openness_asymmetry", "brow_raise_asymmetry", "lip_corner_asymmetry"):
        assert measures[name] == pytest.approx(0, abs=0.02)  # the reference face is built symmetric
    assert 0.5 < measures["mouth_width"] < 0.8  # a mouth is narrower than the outer eye corners apart
    assert 0 < measures["eye_openness_right"] < 0.2 and measures["brow_raise_right"] > 0


def test_measures_do_not_depend_on_the_faces_size(face):
    small, large = face_measures(0.5 * face, face), face_measures(3 * face, face)
    assert small == pytest.approx(large, abs=1e-6)


def test_measures_of_a_turned_face_are_read_from_the_front(face):
    angle = math.radians(25)
    turn = np.array(
        [[math.cos(angle), 0, math.sin(angle)], [0, 1, 0], [-math.sin(angle), 0, math.cos(angle)]]
    )
    opened = face.copy()
    opened[14, 1] -= 0.1 * _eyes(face)  # the lower lip drops by a tenth of the eyes' distance
    seen = to_pose_frame(90 * opened @ turn.T)  # as an image shows it: pixels, y down
    _, frontal = fit_pose(seen)
    measures = face_measures(frontal, face)
    assert measures["mouth_opening"] == pytest.approx(
        face_measures(face, face)["mouth_opening"] + 0.1, abs=0.01
    )


@pytest.mark.parametrize(
    ("point", "shift", "measure", "change", "also"),
    [
        (61, (0, 0.05), "lip_corner_lift_right", 0.05, {"mouth_width"}),  # the right mouth corner rises
        (291, (0, -0.05), "lip_corner_lift_left", -0.05, {"mouth_width"}),  # the left one falls
        (107, (0.04, 0), "brow_furrow", 0.04, set()),  # the right inner brow moves inwards
        (159, (0, 0.03), "eye_openness_right", 0.03, set()),  # the right upper lid rises
    ],
)
def test_each_measure_follows_the_points_it_names(face, point, shift, measure, change, also):
    moved = face.copy()
    moved[point, :2] += np.array(shift) * _eyes(face)
    before, after = face_measures(face, face), face_measures(moved, face)
    assert after[measure] - before[measure] == pytest.approx(change, abs=1e-3)
    others = [name for name in MEASURES if after[name] != pytest.approx(before[name], abs=1e-9)]
    assert set(others) <= {measure, *also, *(name for name in MEASURES if name.endswith("asymmetry"))}
