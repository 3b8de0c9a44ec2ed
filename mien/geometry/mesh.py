"""MediaPipe's Face Mesh on ONNX Runtime: 468 points with depth for each face a detector found.

Each face is cut out as the mesh model expects (MediaPipe's face_landmark graph): a square 1.5 times
the longer side of the face box, about the box centre, turned so that the eyes are level, resized to
192x192 RGB in [0, 1]. The model answers 468 points (x, y in pixels of that crop, z the depth in the
same units, smaller is nearer the camera) and a face score; the points are mapped back into the
image (z scaled as x and y). The file is MediaPipe's, converted once by scripts/face_mesh_onnx.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from mien.catalogue import mesh_file
from mien.runtime import cpu_session
from mien.types import Face
from mien.vision.align import pixel_centred

MESH_SIZE = 192  # the model's input side
ROI_SCALE = 1.5  # the crop's side over the face box's longer side
POINTS = 468
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263  # mesh points, the subject's sides
# The mesh's outlines, as runs of point numbers (MediaPipe's numbering; sides are the subject's):
# what drawings of the mesh trace.
CONTOURS = {
    "face_oval": (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
                  152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 10),
    "lips_outer_upper": (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291),
    "lips_outer_lower": (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291),
    "lips_inner_upper": (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308),
    "lips_inner_lower": (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308),
    "right_eye_upper": (33, 246, 161, 160, 159, 158, 157, 173, 133),
    "right_eye_lower": (33, 7, 163, 144, 145, 153, 154, 155, 133),
    "left_eye_upper": (263, 466, 388, 387, 386, 385, 384, 398, 362),
    "left_eye_lower": (263, 249, 390, 373, 374, 380, 381, 382, 362),
    "right_brow_upper": (70, 63, 105, 66, 107),
    "right_brow_lower": (46, 53, 52, 65, 55),
    "left_brow_upper": (300, 293, 334, 296, 336),
    "left_brow_lower": (276, 283, 282, 295, 285),
}  # fmt: skip


@dataclass(frozen=True)
class MeshPoints:
    """One face's mesh: points in image pixels, the model's face score and how much of the face's
    box lay outside the image."""

    points: np.ndarray  # (468, 3) float32: x, y in image pixels, z relative depth (same scale)
    score: float  # the model's face score, 0..1
    outside: float  # share of the face box outside the image (the crop is filled with black there)
    side: float  # the crop's side in image pixels


@dataclass(frozen=True)
class Roi:
    """Where a face's mesh crop lies in the image: its centre, side (px) and turn (degrees, the
    image's y down: positive turns the crop clockwise as shown)."""

    centre: tuple[float, float]
    side: float
    angle: float

    def matrix(self) -> np.ndarray:
        """The 2x3 affine matrix from image pixels into the 192 px crop."""
        matrix = cv2.getRotationMatrix2D(self.centre, self.angle, MESH_SIZE / self.side)
        matrix[:, 2] += np.array([MESH_SIZE / 2, MESH_SIZE / 2]) - np.array(self.centre)
        return matrix


def face_roi(face: Face) -> Roi:
    """The crop MediaPipe takes for a detected face: 1.5 times the box's longer side about its
    centre, turned by the line through the eyes when the detector placed them."""
    box = face.box
    angle = 0.0
    if face.landmarks is not None:
        (rx, ry), (lx, ly) = face.landmarks.right_eye, face.landmarks.left_eye
        angle = math.degrees(math.atan2(ly - ry, lx - rx))
    return Roi((box.x + box.w / 2, box.y + box.h / 2), max(box.w, box.h) * ROI_SCALE, angle)


def mesh_inputs(image: np.ndarray, rois: list[Roi]) -> np.ndarray:
    """The model's inputs (N, 192, 192, 3) float32 for these crops of an RGB uint8 image."""
    crops = [
        cv2.warpAffine(image, pixel_centred(roi.matrix()), (MESH_SIZE, MESH_SIZE), flags=cv2.INTER_LINEAR)
        for roi in rois
    ]
    if not crops:
        return np.zeros((0, MESH_SIZE, MESH_SIZE, 3), np.float32)
    return np.stack(crops).astype(np.float32) / 255.0


class FaceMesh:
    """The mesh model; ``run`` gives each face's points in the image's pixels.

    A detector's eye points follow a face turned in the image only part of the way (YuNet's give
    4 degrees for a face turned 30), and the mesh model reads a face leaning in its crop less well:
    where the mesh's own eye line leans more than REALIGN_DEGREES in the crop, the crop is turned by
    it and the face read again, at most REALIGN_PASSES times (MediaPipe's tracking does the same from
    frame to frame)."""

    REALIGN_DEGREES = 3.0
    REALIGN_PASSES = 2

    def __init__(self, path: Path | None = None, threads: int = 0):
        self.session = cpu_session(path or mesh_file(), threads)

    def run(self, image: np.ndarray, faces: list[Face]) -> list[MeshPoints]:
        rois = [face_roi(face) for face in faces]
        raw, logits = self._infer(image, rois)
        for _ in range(self.REALIGN_PASSES):
            leaning = [i for i, points in enumerate(raw) if abs(_eye_angle(points)) > self.REALIGN_DEGREES]
            if not leaning:
                break
            turned = [replace(rois[i], angle=rois[i].angle + _eye_angle(raw[i])) for i in leaning]
            again, again_logits = self._infer(image, turned)
            for k, i in enumerate(leaning):
                rois[i], raw[i], logits[i] = turned[k], again[k], again_logits[k]
        height, width = image.shape[:2]
        return [_in_image(points, logit, roi, width, height) for points, logit, roi in zip(raw, logits, rois)]

    def _infer(self, image: np.ndarray, rois: list[Roi]) -> tuple[np.ndarray, np.ndarray]:
        if not rois:
            return np.zeros((0, POINTS, 3), np.float32), np.zeros(0, np.float32)
        raw, logits = self.session.run(None, {"image": mesh_inputs(image, rois)})
        return raw.reshape(-1, POINTS, 3), logits.reshape(-1)


def _eye_angle(points: np.ndarray) -> float:
    """How far the line through the outer eye corners leans in the crop, in degrees."""
    dx, dy = points[LEFT_EYE_OUTER, :2] - points[RIGHT_EYE_OUTER, :2]
    return math.degrees(math.atan2(dy, dx))


def _in_image(points: np.ndarray, logit: float, roi: Roi, width: int, height: int) -> MeshPoints:
    back = cv2.invertAffineTransform(roi.matrix())
    xy = points[:, :2] @ back[:, :2].T + back[:, 2]
    z = points[:, 2] * roi.side / MESH_SIZE
    score = 1 / (1 + math.exp(-float(logit)))
    return MeshPoints(
        np.column_stack([xy, z]).astype(np.float32), score, _outside(back, width, height), roi.side
    )


def _outside(crop_to_image: np.ndarray, width: int, height: int) -> float:
    """Share of the face box (the crop's middle, 1/ROI_SCALE of its side) that falls outside the
    image, checked on a 16x16 grid of its points."""
    steps = MESH_SIZE / 2 + ((np.arange(16) + 0.5) / 16 - 0.5) * MESH_SIZE / ROI_SCALE
    grid = np.stack(np.meshgrid(steps, steps), axis=-1).reshape(-1, 2)
    where = grid @ crop_to_image[:, :2].T + crop_to_image[:, 2]
    inside = (where[:, 0] >= 0) & (where[:, 0] < width) & (where[:, 1] >= 0) & (where[:, 1] < height)
    return float(1 - inside.mean())
