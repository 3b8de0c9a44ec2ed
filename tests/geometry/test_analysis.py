"""A face's geometry, or why there is none: faces cut off, too small or missing are refused with a
reason and no points; turned faces are flagged."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from mien.geometry.analysis import MIN_FACE_WIDTH, POSE_LIMITS, FaceAnalyser, pose_warning
from mien.geometry.measures import MEASURES
from mien.types import Box, Face, HeadPose
from mien.vision.detect import create_detector


@pytest.fixture(scope="module")
def analyser() -> FaceAnalyser:
    return FaceAnalyser()


@pytest.fixture(scope="module")
def astronaut() -> tuple[np.ndarray, Face]:
    image = data.astronaut()
    [face] = create_detector("yunet").detect(image)
    return image, face


def test_a_clear_face_gets_468_points_on_it_a_pose_and_every_measure(analyser, astronaut):
    image, face = astronaut
    [shape] = analyser.analyse(image, [face])
    assert shape.refused is None and shape.mesh_score > 0.9
    assert shape.points.shape == (468, 3)
    box = face.box
    inside = (shape.points[:, 0] > box.x - box.w / 4) & (shape.points[:, 0] < box.x + 1.25 * box.w)
    assert inside.all()  # the points lie on the face, in the image's pixels
    assert abs(shape.pose.yaw) < 10 and shape.pose_warning is None
    assert set(shape.measures) == set(MEASURES)


def test_a_box_on_no_face_is_refused_by_its_mesh_score(analyser, astronaut):
    image, face = astronaut
    blank = Face(Box(20, 380, face.box.w, face.box.h), 0.9)  # the astronaut's white suit
    [shape] = analyser.analyse(image, [blank])
    assert shape.points is None and shape.pose is None and shape.measures == {}
    assert shape.refused.startswith("mesh score 0.")


def test_a_face_half_cut_off_by_the_images_edge_is_refused(analyser, astronaut):
    image, face = astronaut
    cut = int(face.box.x + face.box.w / 2)
    moved = Face(Box(face.box.x - cut, face.box.y, face.box.w, face.box.h), face.score)
    [shape] = analyser.analyse(np.ascontiguousarray(image[:, cut:]), [moved])
    assert shape.points is None and "cut off" in shape.refused


def test_a_face_too_small_to_measure_is_refused_and_the_others_keep_their_order(analyser, astronaut):
    image, face = astronaut
    scale = (MIN_FACE_WIDTH - 4) / face.box.w
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    tiny = Face(Box(*(value * scale for value in face.box.__dict__.values())), face.score)
    wide = Face(Box(0, 0, 60, 60), 0.9)
    found = analyser.analyse(small, [tiny, wide, tiny])
    assert [shape.refused is not None and "too small" in shape.refused for shape in found] == [
        True,
        False,
        True,
    ]
    assert found[1].refused.startswith("mesh score")  # the second box was meshed, and holds no face


def test_faces_turned_beyond_the_limits_are_flagged():
    assert pose_warning(HeadPose(0.0, 0.0, 40.0)) is None  # roll: the image is turned, not the face
    assert pose_warning(HeadPose(POSE_LIMITS["yaw"] - 1, POSE_LIMITS["pitch"] - 1, 0.0)) is None
    warning = pose_warning(HeadPose(-(POSE_LIMITS["yaw"] + 5), 0.0, 0.0))
    assert f"yaw {-(POSE_LIMITS['yaw'] + 5):+.0f}" in warning and "less sure" in warning
    assert f"pitch {POSE_LIMITS['pitch'] + 5:+.0f}" in pose_warning(
        HeadPose(0.0, POSE_LIMITS["pitch"] + 5, 0.0)
    )
