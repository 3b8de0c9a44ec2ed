"""Stand-ins the tests build in code: a predictor with any class list, no model and no detector."""

from __future__ import annotations

from mien.types import Box, Face, FacePrediction
from mien.vision.io import DEFAULT_MAX_PIXELS

EIGHT_CLASSES = ["neutral", "happy", "surprise", "sad", "anger", "disgust", "fear", "contempt"]


class FakePredictor:
    """What the stream loop, the CSV writers and batch use of mien.pipeline.Predictor: one face per
    image, always at the same place, with the same probabilities (the first two close: a compound)."""

    max_pixels = DEFAULT_MAX_PIXELS

    def __init__(self, class_names: list[str] = EIGHT_CLASSES):
        self.class_names = list(class_names)
        rest = (1 - 0.3 - 0.25) / (len(class_names) - 2)
        self.scores = dict(zip(class_names, [0.3, 0.25, *[rest] * (len(class_names) - 2)]))
        self.calls = 0

    def predict(self, image, landmarks: bool = False) -> list[FacePrediction]:
        self.calls += 1
        return [FacePrediction(Face(Box(10.04, 20.06, 30.0, 40.0), 0.876543), dict(self.scores))]

    def predict_aligned(self, image, landmarks: bool = False) -> list[FacePrediction]:
        return self.predict(image)

    def predict_faces(self, image, faces, landmarks: bool = False) -> list[FacePrediction]:
        """Faces found before, classified again: the same probabilities."""
        return [FacePrediction(face, dict(self.scores)) for face in faces]
