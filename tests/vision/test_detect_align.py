import math

import numpy as np
import pytest
from skimage import data

from mien.errors import MienError
from mien.types import Box, Face, Landmarks
from mien.vision.align import EYE_DISTANCE, EYES_Y, align_face, alignment_matrix
from mien.vision.detect import create_detector, list_detectors


@pytest.fixture(scope="module")
def astronaut():
    return data.astronaut()  # 512x512 RGB, one face


@pytest.mark.parametrize("name", list_detectors())
def test_every_detector_finds_the_one_face_with_its_eyes(name, astronaut):
    [face] = create_detector(name).detect(astronaut)
    assert 170 < face.box.x < 190 and 55 < face.box.y < 75 and 80 < face.box.w < 100
    assert face.score > 0.8
    # Named from the subject's side: their right eye is on the image's left.
    assert face.landmarks.right_eye[0] < face.landmarks.left_eye[0]
    assert face.landmarks.nose[1] > face.landmarks.right_eye[1]


@pytest.mark.parametrize("name", list_detectors())
def test_no_faces_in_a_blank_image_and_boxes_follow_a_shrunk_image(name, astronaut):
    detector = create_detector(name)
    assert detector.detect(np.full((240, 320, 3), 127, np.uint8)) == []
    big = np.kron(astronaut, np.ones((3, 3, 1), np.uint8))  # 1536 px: shrunk for detection
    [face] = detector.detect(big)
    assert face.box.x == pytest.approx(3 * 180, abs=20) and face.box.w == pytest.approx(3 * 90, abs=20)


@pytest.mark.parametrize("name", list_detectors())
@pytest.mark.parametrize("shape", [(1, 20000), (20000, 1), (30, 20000), (1, 1), (23, 40)])
def test_a_thin_or_tiny_image_is_an_image_without_faces(name, shape):
    # 20000 x 1 once shrank to a zero-pixel side for detection and crashed OpenCV's resize
    assert create_detector(name).detect(np.full((*shape, 3), 127, np.uint8)) == []


@pytest.mark.parametrize("image", [np.zeros((64, 64), np.uint8), np.zeros((64, 64, 4), np.uint8),
                                   np.zeros((64, 64, 3), np.float32)])  # fmt: skip
def test_yunet_refuses_what_is_not_an_rgb_uint8_image_in_one_line(image):
    with pytest.raises(MienError, match=r"expected an RGB image, \(H, W, 3\) uint8; got \(64, 64"):
        create_detector("yunet").detect(image)


def test_unknown_detector_lists_the_valid_ones():
    with pytest.raises(MienError, match="unknown detector 'haar'; valid: retinaface, yunet"):
        create_detector("haar")


def tilted_face(angle_degrees: float) -> Face:
    centre, half = np.array([100.0, 80.0]), 20.0
    offset = half * np.array([math.cos(math.radians(angle_degrees)), math.sin(math.radians(angle_degrees))])
    right, left = tuple(centre - offset), tuple(centre + offset)
    return Face(Box(60, 40, 80, 100), 0.9, Landmarks(right, left, (100, 100), (90, 120), (110, 120)))


@pytest.mark.parametrize("angle", [0.0, 15.0, -30.0])
def test_alignment_puts_the_eyes_level_where_fer2013_has_them(angle):
    face = tilted_face(angle)
    matrix = alignment_matrix(face, 48)
    right = matrix @ np.array([*face.landmarks.right_eye, 1.0])
    left = matrix @ np.array([*face.landmarks.left_eye, 1.0])
    np.testing.assert_allclose(right[1], left[1], atol=1e-9)  # level
    np.testing.assert_allclose((right + left) / 2, [24, EYES_Y * 48], atol=1e-9)
    np.testing.assert_allclose(left[0] - right[0], EYE_DISTANCE * 48, atol=1e-9)


def test_aligned_crop_maps_back_to_the_frame(astronaut):
    [face] = create_detector().detect(astronaut)
    aligned = align_face(astronaut, face, 48)
    assert aligned.crop.shape == (48, 48) and aligned.crop.dtype == np.uint8
    back = aligned.crop_to_frame() @ np.array([24, EYES_Y * 48, 1.0])
    eyes_mid = (np.array(face.landmarks.right_eye) + np.array(face.landmarks.left_eye)) / 2
    np.testing.assert_allclose(back, eyes_mid, atol=1e-6)


def test_a_face_without_landmarks_is_cropped_around_its_box():
    image = np.zeros((100, 100, 3), np.uint8)
    image[20:60, 30:70] = 255  # the box, filled white
    aligned = align_face(image, Face(Box(30, 20, 40, 40), 1.0), 48)
    assert aligned.crop[1:-1, 1:-1].min() == 255  # the square crop is the white box alone
    assert aligned.crop.mean() > 245


def test_yunet_on_one_thread_keeps_its_settings_and_finds_the_same_faces(astronaut):
    detector = create_detector("yunet", max_side=320, score_threshold=0.6)
    single = detector.with_threads(1)
    assert single.threads == 1 and single.settings == detector.settings
    assert single.detect(astronaut) == detector.detect(astronaut)  # boxes, landmarks and scores exactly
    assert single.with_threads(1) is single
