"""Head pose from a face mesh: the rotation that carries mien's frontal reference face onto it.

The mesh's points, turned into a right-handed frame (x to the image's right, y up, z towards the
camera), are fitted to the reference face (the catalogue's face_mesh_reference.npz, built by
scripts/face_mesh_reference.py) by a similarity transform (Umeyama's least squares) over the points
that move least with expression. The rotation gives the angles, in degrees:

- yaw > 0: the face turns towards the image's right (the subject's left, in an unmirrored photo);
- pitch > 0: the face tilts up;
- roll > 0: the face leans counter-clockwise as the image shows it.

Undoing the fit gives the pose-normalised mesh: the face as if seen from the front, in units of its
inter-ocular distance, which the measures and the landmark classifier read.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from mien.catalogue import mesh_reference_file
from mien.types import HeadPose


@dataclass(frozen=True)
class Reference:
    """The frontal reference face: points in units of its inter-ocular distance, eyes level, its
    midline at x = 0; which points the pose is fitted on; which point mirrors which."""

    points: np.ndarray  # (468, 3) float64, x right, y up, z towards the camera
    rigid: np.ndarray  # (468,) bool: the points the pose is fitted on
    mirror: np.ndarray  # (468,) int: the index of each point's mirror image


@functools.cache
def reference() -> Reference:
    with np.load(mesh_reference_file()) as saved:
        return Reference(saved["points"].astype(np.float64), saved["rigid"].astype(bool), saved["mirror"])


def to_pose_frame(points: np.ndarray) -> np.ndarray:
    """Image pixels (x right, y down, z away from the camera) to a right-handed frame: y up, z towards it."""
    return np.asarray(points, np.float64) * np.array([1.0, -1.0, -1.0])


def similarity_fit(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Scale s, rotation R and translation t minimising |target - (s R source + t)|^2 (Umeyama)."""
    source_mean, target_mean = source.mean(0), target.mean(0)
    source_centred, target_centred = source - source_mean, target - target_mean
    u, singular, vt = np.linalg.svd(target_centred.T @ source_centred / len(source))
    sign = np.ones(3)
    sign[2] = np.sign(np.linalg.det(u @ vt)) or 1.0
    rotation = u @ np.diag(sign) @ vt
    scale = float((singular * sign).sum() / source_centred.var(0).sum())
    return scale, rotation, target_mean - scale * rotation @ source_mean


def fit_pose(points: np.ndarray, frontal: Reference | None = None) -> tuple[HeadPose, np.ndarray]:
    """The head pose of one mesh (468, 3) in image pixels, and the mesh pose-normalised: rotated to
    the front, in the reference's frame and units (inter-ocular distances)."""
    frontal = frontal or reference()
    seen = to_pose_frame(points)
    scale, rotation, shift = similarity_fit(frontal.points[frontal.rigid], seen[frontal.rigid])
    normalised = (seen - shift) @ rotation / scale  # rotation.T applied to each row
    return euler_angles(rotation), normalised


def euler_angles(rotation: np.ndarray) -> HeadPose:
    """Yaw, pitch and roll in degrees of R = Rz(roll) Ry(yaw) Rx(-pitch)."""
    yaw = math.asin(max(-1.0, min(1.0, -rotation[2, 0])))
    pitch = -math.atan2(rotation[2, 1], rotation[2, 2])
    roll = math.atan2(rotation[1, 0], rotation[0, 0])
    return HeadPose(*(math.degrees(angle) for angle in (yaw, pitch, roll)))
