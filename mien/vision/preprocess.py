"""From an RGB face image to the grey square crop the model was trained on."""

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
