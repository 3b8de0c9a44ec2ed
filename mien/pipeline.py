"""Predictor: image -> faces -> aligned crops -> model -> class probabilities per face.

It uses only what its checkpoint describes (classes, preprocessing), and the detector is built
only when a call needs one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np
import torch

from mien.data.loaders import to_model_input
from mien.errors import MienError
from mien.explain import explain
from mien.runtime import use_bf16
from mien.train.checkpoint import load_checkpoint, model_from_checkpoint
from mien.train.loop import predict_probabilities
from mien.types import Box, Explanation, Face, FacePrediction, ImageResult
from mien.vision.align import AlignedFace, align_face
from mien.vision.detect import Detector, create_detector
from mien.vision.io import DEFAULT_MAX_PIXELS, list_images, read_image
from mien.vision.preprocess import to_face_crop

SHIPPED_WEIGHTS = Path(__file__).parent / "weights" / "vgg_s.pt"


class Predictor:
    """A trained classifier with its class names and preprocessing."""

    def __init__(
        self,
        model: torch.nn.Module,
        class_names: list[str],
        preprocess: dict,
        tta: bool = False,
        precision: str = "auto",
        detector: str = "yunet",
    ):
        self.model = model.eval().to(memory_format=torch.channels_last)
        self.class_names = list(class_names)
        self.preprocess = dict(preprocess)
        self.tta = tta
        self.bf16 = use_bf16(precision)  # auto: bf16 where the CPU has it in hardware
        self.max_pixels = DEFAULT_MAX_PIXELS
        self.detector_name = detector  # built on first use: aligned inputs never need it
        self._detector: Detector | None = None

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = create_detector(self.detector_name)
        return self._detector

    @classmethod
    def from_checkpoint(cls, path: str | Path, **options) -> Predictor:
        """Load any mien checkpoint; nothing else is needed. Options: tta, precision, detector."""
        checkpoint = load_checkpoint(path)
        model = model_from_checkpoint(checkpoint)
        return cls(model, checkpoint["class_names"], checkpoint["preprocess"], **options)

    @classmethod
    def default(cls, **options) -> Predictor:
        """The model that ships inside the package (no download). Options: tta, precision, detector."""
        if not SHIPPED_WEIGHTS.is_file():
            raise MienError(f"the shipped weights are missing: {SHIPPED_WEIGHTS} (reinstall mien)")
        return cls.from_checkpoint(SHIPPED_WEIGHTS, **options)

    @property
    def input_size(self) -> int:
        return int(self.preprocess["size"])

    def classify(self, faces: np.ndarray) -> np.ndarray:
        """Probabilities (N, K) for grey face crops (N, size, size) uint8."""
        return predict_probabilities(
            self.model, faces, self.preprocess, self.tta, batch_size=256, bf16=self.bf16
        )

    def predict(self, image: np.ndarray | str | Path) -> list[FacePrediction]:
        """Every face in a photo (an RGB array or a file), aligned on its eyes and classified."""
        return [prediction for prediction, _ in self.predict_with_alignment(image)]

    def predict_with_alignment(
        self, image: np.ndarray | str | Path
    ) -> list[tuple[FacePrediction, AlignedFace]]:
        """Like predict, keeping each face's aligned crop and its transform (for explanations)."""
        if not isinstance(image, np.ndarray):
            image = read_image(image, self.max_pixels)
        faces = self.detector.detect(image)
        if not faces:
            return []
        aligned = [align_face(image, face, self.input_size) for face in faces]
        probs = self.classify(np.stack([a.crop for a in aligned]))
        return [(FacePrediction(face, self._scores(p)), crop) for face, p, crop in zip(faces, probs, aligned)]

    def explain(
        self,
        image: np.ndarray | str | Path,
        method: str = "gradcam",
        target: str | None = None,
        aligned: bool = False,
        face: int | None = None,
    ) -> list[Explanation]:
        """Attribution maps (48x48 floats in [0, 1], on the aligned face) for every face in the image,
        or only for the face with this index (in detection order, as predict returns them)."""
        if target is not None and target not in self.class_names:
            raise MienError(f"unknown class {target!r}; valid: {', '.join(self.class_names)}")
        if not isinstance(image, np.ndarray):
            image = read_image(image, self.max_pixels)
        if aligned:
            crop = to_face_crop(image, self.input_size)
            height, width = image.shape[:2]
            scale = np.array([[self.input_size / width, 0, 0], [0, self.input_size / height, 0]])
            faces = [(self._face(image, self.classify(crop[None])[0]), AlignedFace(crop, scale))]
        else:
            faces = self.predict_with_alignment(image)
        if face is not None:
            if not 0 <= face < len(faces):
                raise MienError(f"no face {face}: the image has {len(faces)} face(s), numbered from 0")
            faces = [faces[face]]
        explanations = []
        for prediction, face in faces:
            inputs = to_model_input(face.crop[None], self.preprocess)
            wanted = self.class_names.index(target) if target else None
            heat, chosen = explain(self.model, inputs, method, wanted)
            name = self.class_names[chosen]
            explanations.append(Explanation(prediction, face, method, name, prediction.scores[name], heat))
        return explanations

    def predict_files(self, inputs: Iterable[str | Path]) -> Iterator[ImageResult]:
        """One result per image file (folders searched recursively); a bad file gets an error."""
        for path in list_images(inputs):
            try:
                image = read_image(path, self.max_pixels)
                yield ImageResult(str(path), faces=self.predict(image), image=image)
            except MienError as err:
                yield ImageResult(str(path), error=str(err))
            except cv2.error as err:  # an image OpenCV's detector cannot handle: this file only
                yield ImageResult(str(path), error=f"{path}: face detection failed ({err.err})")

    def predict_aligned(self, image: np.ndarray | str | Path) -> list[FacePrediction]:
        """Treat the whole image as one already cropped face (as in FER2013)."""
        if not isinstance(image, np.ndarray):
            image = read_image(image, self.max_pixels)
        probs = self.classify(to_face_crop(image, self.input_size)[None])[0]
        return [self._face(image, probs)]

    def predict_aligned_files(
        self, inputs: Iterable[str | Path], batch_size: int = 256
    ) -> Iterator[ImageResult]:
        """One result per image file (folders are searched recursively), in input order.

        Files are classified in batches; a file that cannot be read gets an error and the
        others go on.
        """
        pending: list[tuple[str, np.ndarray | None, str | None]] = []
        for path in list_images(inputs):
            try:
                pending.append((str(path), read_image(path, self.max_pixels), None))
            except MienError as err:
                pending.append((str(path), None, str(err)))
            if len(pending) == batch_size:
                yield from self._classify_pending(pending)
                pending = []
        yield from self._classify_pending(pending)

    def _classify_pending(self, pending) -> Iterator[ImageResult]:
        crops = [to_face_crop(image, self.input_size) for _, image, _ in pending if image is not None]
        probs = iter(self.classify(np.stack(crops)) if crops else [])
        for path, image, error in pending:
            if image is None:
                yield ImageResult(path, error=error)
            else:
                yield ImageResult(path, faces=[self._face(image, next(probs))], image=image)

    def _face(self, image: np.ndarray, probs: np.ndarray) -> FacePrediction:
        # An aligned input is one face that fills the image.
        height, width = image.shape[:2]
        return FacePrediction(Face(Box(0, 0, width, height), score=1.0), self._scores(probs))

    def _scores(self, probs: np.ndarray) -> dict[str, float]:
        return {name: float(p) for name, p in zip(self.class_names, probs)}
