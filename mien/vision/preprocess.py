"""From an RGB face image to the grey square crop the model was trained on, and the views that
test-time augmentation averages over."""

from __future__ import annotations

import cv2
import numpy as np


def to_face_crop(image: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) RGB uint8 face -> (size, size) grey uint8, resized with area averaging."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    if grey.shape != (size, size):
        interpolation = cv2.INTER_AREA if min(grey.shape) > size else cv2.INTER_LINEAR
        grey = cv2.resize(grey, (size, size), interpolation=interpolation)
    return grey


def tta_views(faces: np.ndarray, shift: int = 2) -> list[np.ndarray]:
    """Ten views of (N, S, S) faces: as they are and mirrored, each also shifted by ``shift`` pixels
    in the four diagonal directions (edges repeated). Every backend averages over the same views."""
    side_h, side_w = faces.shape[-2:]
    views = []
    for image in (faces, faces[..., ::-1]):
        padded = np.pad(image, ((0, 0), (shift, shift), (shift, shift)), mode="edge")
        views.append(image)
        for dy, dx in ((0, 0), (0, 2 * shift), (2 * shift, 0), (2 * shift, 2 * shift)):
            views.append(padded[:, dy : dy + side_h, dx : dx + side_w])
    return views
