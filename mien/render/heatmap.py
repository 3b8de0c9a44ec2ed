"""Heat maps over faces: a float map in [0, 1] in, RGB pixels out."""

from __future__ import annotations

import cv2
import numpy as np

from mien.vision.align import AlignedFace


def overlay(image: np.ndarray, heat: np.ndarray, opacity: float = 0.5) -> np.ndarray:
    """Blend a jet-coloured (H, W) map in [0, 1] over an RGB or grey image of the same size."""
    rgb = np.dstack([image] * 3) if image.ndim == 2 else image
    coloured = cv2.cvtColor(
        cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB
    )
    weight = (opacity * heat)[..., None]  # cold regions stay see-through
    return (rgb * (1 - weight) + coloured * weight).astype(np.uint8)


def map_to_frame(heat: np.ndarray, aligned: AlignedFace, frame_shape: tuple[int, ...]) -> np.ndarray:
    """Carry a map computed on an aligned crop back onto the original frame (zero elsewhere)."""
    height, width = frame_shape[:2]
    return cv2.warpAffine(heat, aligned.crop_to_frame(), (width, height), flags=cv2.INTER_LINEAR,
                          borderValue=0.0)  # fmt: skip


def side_by_side(left: np.ndarray, right: np.ndarray, height: int = 320) -> np.ndarray:
    """Two RGB images scaled to one height, next to each other."""

    def scaled(image):
        width = max(1, round(image.shape[1] * height / image.shape[0]))
        smooth = cv2.INTER_NEAREST if image.shape[0] < height else cv2.INTER_AREA  # keep crop pixels crisp
        return cv2.resize(image, (width, height), interpolation=smooth)

    return np.hstack([scaled(left), scaled(right)])


def face_overlay(crop: np.ndarray, heat: np.ndarray, size: int = 192) -> np.ndarray:
    """A map over its aligned face, both enlarged smoothly to size x size for people to look at."""
    face = cv2.resize(crop, (size, size), interpolation=cv2.INTER_CUBIC)
    return overlay(face, cv2.resize(heat, (size, size), interpolation=cv2.INTER_LINEAR).clip(0, 1))


def explanation_panel(image: np.ndarray, heat: np.ndarray, aligned: AlignedFace) -> np.ndarray:
    """A map beside itself twice: over the aligned face, and carried back onto the whole photo."""
    face_view = overlay(aligned.crop, heat)
    photo_view = overlay(image, map_to_frame(heat, aligned, image.shape))
    return side_by_side(face_view, photo_view)
