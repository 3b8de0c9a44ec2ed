"""Head pose: its angles follow the face when the image is mirrored, turned or scaled, and its
conventions hold on a mesh turned by known angles."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from skimage import data

from mien.geometry.mesh import FaceMesh
from mien.geometry.pose import fit_pose, reference, to_pose_frame
from mien.types import HeadPose
from mien.vision.detect import create_detector


@pytest.fixture(scope="module")
def pose_of():
    mesh, detector = FaceMesh(), create_detector("yunet")

    def pose(image: np.ndarray) -> HeadPose:
        [face] = detector.detect(image)
        [points] = mesh.run(image, [face])
        assert points.score > 0.9
        return fit_pose(points.points)[0]

    return pose


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """R = Rz(roll) Ry(yaw) Rx(-pitch), degrees, in the pose frame (x right, y up, z to the camera)."""
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(-p), -math.sin(-p)], [0, math.sin(-p), math.cos(-p)]])
    return rz @ ry @ rx


@pytest.mark.parametrize(
    ("yaw", "pitch", "roll"), [(0, 0, 0), (30, 0, 0), (0, 20, 0), (0, 0, -25), (-20, 10, 15)]
)
def test_a_reference_face_turned_by_known_angles_reads_them_back(yaw, pitch, roll):
    turned = 80 * reference().points @ _rotation(yaw, pitch, roll).T + np.array([320, -240, 0])
    pose, frontal = fit_pose(to_pose_frame(turned))  # as image pixels: y down, depth away from the camera
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((yaw, pitch, roll), abs=1e-6)
    assert np.abs(frontal - reference().points).max() < 1e-6  # pose-normalised: the reference again


def test_the_angles_name_the_way_the_face_turns():
    nose = 4  # the nose's tip, in front of the face
    seen = 80 * reference().points @ _rotation(30, 0, 0).T
    assert seen[nose, 0] > 0  # yaw > 0: the nose points to the image's right
    seen = 80 * reference().points @ _rotation(0, 20, 0).T
    assert seen[nose, 1] > 80 * reference().points[nose, 1]  # pitch > 0: it tilts up


def test_a_mirrored_face_flips_yaw_and_roll_within_2_degrees(pose_of):
    image = data.astronaut()
    seen, mirrored = pose_of(image), pose_of(image[:, ::-1].copy())
    assert abs(seen.yaw + mirrored.yaw) <= 2
    assert abs(seen.roll + mirrored.roll) <= 2
    assert abs(seen.pitch - mirrored.pitch) <= 2


@pytest.mark.parametrize("angle", [-30, -15, 15, 30])
def test_an_image_turned_in_its_plane_changes_roll_by_the_angle_within_3_degrees(pose_of, angle):
    image = data.astronaut()
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)  # counter-clockwise as shown
    turned = cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
    assert abs(pose_of(turned).roll - pose_of(image).roll - angle) <= 3


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_the_same_face_scaled_keeps_its_pose_within_3_degrees(pose_of, scale):
    image = data.astronaut()
    scaled = cv2.resize(
        image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    seen, resized = pose_of(image), pose_of(scaled)
    for name in ("yaw", "pitch", "roll"):
        assert abs(getattr(seen, name) - getattr(resized, name)) <= 3, name
