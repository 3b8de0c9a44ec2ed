"""Align a face on its eyes: rotate them level, scale and crop to the framing of FER2013.

The transform is kept, so anything computed on the aligned crop (a heat map, a point) can be
mapped back onto the original frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from mien.types import Box, Face

# Where FER2013 puts the eyes, as fractions of the crop side (median over its faces, measured
# with YuNet on 573 upscaled Training images): their midpoint's height and their distance apart.
EYES_Y = 0.38
EYE_DISTANCE = 0.35
OVERSAMPLE = 4  # warp at 4x the final size, then shrink with area averaging (no aliasing)


@dataclass(frozen=True)
class AlignedFace:
    """A grey square crop and the 2x3 affine matrix that maps frame pixels into it."""

    crop: np.ndarray  # (size, size) uint8
    frame_to_crop: np.ndarray  # (2, 3) float64

    def crop_to_frame(self) -> np.ndarray:
        """The inverse affine matrix: crop pixels to frame pixels."""
        return cv2.invertAffineTransform(self.frame_to_crop)


def alignment_matrix(face: Face, size: int) -> np.ndarray:
    """Frame -> crop affine matrix: eyes level at EYES_Y, EYE_DISTANCE apart; box-based without landmarks."""
    if face.landmarks is None:
        return _box_matrix(face.box, size)
    right_eye = np.array(face.landmarks.right_eye)  # the subject's right: the image's left
    left_eye = np.array(face.landmarks.left_eye)
    dx, dy = left_eye - right_eye
    distance = math.hypot(dx, dy)
    if distance < 1.0:
        return _box_matrix(face.box, size)
    angle = math.degrees(math.atan2(dy, dx))
    scale = EYE_DISTANCE * size / distance
    centre = (right_eye + left_eye) / 2
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
    matrix[:, 2] += np.array([size / 2, EYES_Y * size]) - centre  # move the eye midpoint into place
    return matrix


def align_face(image: np.ndarray, face: Face, size: int = 48) -> AlignedFace:
    """Grey, eye-aligned (size, size) crop of one face from an (H, W, 3) RGB frame."""
    matrix = alignment_matrix(face, size)
    big = size * OVERSAMPLE
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    oversampled = cv2.warpAffine(
        grey,
        pixel_centred(matrix * OVERSAMPLE),
        (big, big),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )

    crop = cv2.resize(oversampled, (size, size), interpolation=cv2.INTER_AREA)
    return AlignedFace(crop=crop, frame_to_crop=matrix)


def pixel_centred(matrix: np.ndarray) -> np.ndarray:
    # The matrices here map continuous coordinates (pixel i spans [i, i+1)); OpenCV samples at
    # pixel indices, so shift by half a pixel on both sides.
    shifted = matrix.copy()
    shifted[:, 2] += matrix[:, :2] @ np.array([0.5, 0.5]) - 0.5
    return shifted


def _box_matrix(box: Box, size: int) -> np.ndarray:
    # Without landmarks: a square around the box centre, as wide as the box.
    side = max(box.w, box.h, 1.0)
    scale = size / side
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    return np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]])
