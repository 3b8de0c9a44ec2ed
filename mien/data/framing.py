"""Faces cropped by another data set brought to the framing mien's pipeline gives a photo's face.

The pipeline aligns every detected face on its eyes (mien.vision.align: eyes level, at EYES_Y of
the crop's height, EYE_DISTANCE of its side apart), the framing FER2013's faces have. RAF-DB's
aligned faces are cropped tighter, with the eyes higher; the same aligner, given where RAF-DB put
the eyes, reframes them. Where the wider crop reaches past RAF-DB's picture, its edge pixels are
repeated.
"""

from __future__ import annotations

import cv2
import numpy as np

from mien.types import Box, Face, Landmarks
from mien.vision.align import align_face

# Where RAF-DB's aligned 100x100 faces have the eyes (the subject's right, then left; pixels):
# YuNet's median over 574 of 600 Training faces drawn at random, the eyes 47 px apart.
RAFDB_EYES = ((25.4, 30.9), (72.0, 31.5))
RAFDB_SIDE = 100

FRAMINGS = ("pipeline", "native")  # reframed by the aligner, or the source's crop shrunk as it is


def reframe(
    image: np.ndarray, framing: str, eyes=RAFDB_EYES, side: int = RAFDB_SIDE, size: int = 48
) -> np.ndarray:
    """A (size, size) grey face from an RGB or grey crop whose eyes sit at ``eyes`` when it is
    ``side`` pixels wide: aligned as the pipeline aligns ("pipeline"), or only shrunk ("native")."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    if framing == "native":
        return cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA)
    if framing != "pipeline":
        raise ValueError(f"framing must be one of {FRAMINGS}, not {framing!r}")
    scale = grey.shape[1] / side
    (rx, ry), (lx, ly) = ((x * scale, y * scale) for x, y in eyes)
    landmarks = Landmarks(
        right_eye=(rx, ry), left_eye=(lx, ly), nose=(0, 0), mouth_right=(0, 0), mouth_left=(0, 0)
    )
    whole = Box(0, 0, grey.shape[1], grey.shape[0])
    return align_face(grey, Face(box=whole, score=1.0, landmarks=landmarks), size).crop
