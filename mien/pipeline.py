"""Predictor: image -> faces -> aligned crops -> model -> class probabilities per face.

It uses only what its model file describes (classes, preprocessing), runs on PyTorch or on ONNX
Runtime (mien.backends), and builds the detector only when a call needs one. PyTorch is imported
only when the classifier or an explanation needs it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from mien.backends import BACKENDS, Classifier, load_classifier, onnxruntime_available
from mien.backends.base import with_threads
from mien.backends.cascade import CascadeClassifier
from mien.backends.ensemble import EnsembleClassifier
from mien.catalogue import DEFAULT_MODEL, ENSEMBLE, FER2013_MODEL, member_files, model_file, shipped_model
from mien.errors import MienError
from mien.types import Box, Explanation, Face, FacePrediction, ImageResult
from mien.vision.ahead import run_ahead, workers_for
from mien.vision.align import AlignedFace, align_face
from mien.vision.batches import ReadImage, image_pixels, read_ahead, read_each
from mien.vision.detect import Detector, create_detector
from mien.vision.io import DEFAULT_MAX_PIXELS, list_images, read_image
from mien.vision.preprocess import to_face_crop

if TYPE_CHECKING:
    from mien.geometry.analysis import FaceAnalyser

SHIPPED_PRECISIONS = ("fp32", "int8")  # the ONNX exports a shipped model may have


class Predictor:
    """A trained classifier with its class names and preprocessing, and a face detector."""

    def __init__(
        self,
        classifier: Classifier,
        detector: str = "yunet",
        checkpoint: Path | None = None,
        model_name: str | None = None,
    ):
        self.classifier = classifier
        self.checkpoint = checkpoint  # the PyTorch checkpoint explanations use, if not the classifier's
        # What results name the model by: its catalogue name, else its file's name.
        self.model_name = model_name or (Path(checkpoint).name if checkpoint else "model")
        self.max_pixels = DEFAULT_MAX_PIXELS
        self.detector_name = detector  # built on first use: aligned inputs never need it
        self._detector: Detector | None = None
        self._analyser: FaceAnalyser | None = None
        self._analyser_threads = 0  # the face mesh's threads when it is built here (0: one per core)
        self._model = getattr(classifier, "model", None)
        self._one_thread: tuple[tuple, Predictor | None] | None = None  # (built from, twin)
        self._one_thread_lock = threading.Lock()

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = create_detector(self.detector_name)
        return self._detector

    @detector.setter
    def detector(self, detector: Detector) -> None:
        """A detector built with other settings (YuNet's max_side, say) or wrapped (to count calls)."""
        self._detector = detector

    @property
    def analyser(self) -> FaceAnalyser:
        """The face mesh and what is read from it (landmarks=True), built on first use."""
        if self._analyser is None:
            from mien.geometry.analysis import FaceAnalyser

            self._analyser = FaceAnalyser(threads=self._analyser_threads)
        return self._analyser

    @analyser.setter
    def analyser(self, analyser: FaceAnalyser) -> None:
        """An analyser built with other settings (one thread, say)."""
        self._analyser = analyser

    @property
    def model(self):
        """The PyTorch model, for explanations; loaded on first use when predictions run on ONNX."""
        if self._model is None:
            if self.checkpoint is None:
                raise MienError(
                    "explanations need this model's PyTorch weights: pass a .pt or fp32 .onnx file"
                )
            from mien.models.checkpoint import load_checkpoint, model_from_checkpoint

            self._model = model_from_checkpoint(load_checkpoint(self.checkpoint))
        return self._model

    def one_thread_each(self) -> Predictor | None:
        """This predictor with every session on one thread, for several images at once, one per core
        (the frames of a video): on two cores 1.3-1.4x the frames/s of one frame at a time on both
        cores, with the same answers. Built on first use and kept (rebuilt if the classifier or
        detector is replaced); None where a part has no sessions of its own (a PyTorch classifier,
        a detector other than YuNet)."""
        with self._one_thread_lock:  # web requests share a predictor: build the twin once
            parts = (self.classifier, self.detector)
            if self._one_thread is None or any(a is not b for a, b in zip(self._one_thread[0], parts)):
                self._one_thread = (parts, self._build_one_thread())
            return self._one_thread[1]

    def side_by_side(self, workers: int, landmarks: bool = False) -> tuple[Predictor, int]:
        """What recognises several images at once on ``workers`` threads, and on how many: this
        predictor's one-thread twin on all of them where it has one, else this predictor on one
        thread (reading overlaps it), or on none (0: the caller's thread)."""
        twin = self.one_thread_each() if workers > 1 else None
        if twin is None:
            return self, min(workers, 1)
        if landmarks:
            twin.analyser  # noqa: B018 - built here once, not by two workers at the same time
        return twin, workers

    def _build_one_thread(self) -> Predictor | None:
        classifier = with_threads(self.classifier, 1)
        detector_with_threads = getattr(self.detector, "with_threads", None)
        if classifier is None or detector_with_threads is None:
            return None
        twin = Predictor(classifier, self.detector_name, self.checkpoint, self.model_name)
        twin.detector = detector_with_threads(1)
        twin.max_pixels, twin._model, twin._analyser_threads = self.max_pixels, self._model, 1
        return twin

    @classmethod
    def from_checkpoint(cls, path: str | Path, backend: str = "auto", **options) -> Predictor:
        """Any mien checkpoint (.pt, on PyTorch) or exported model (.onnx, on ONNX Runtime, or on
        PyTorch when it is an fp32 export); nothing else is needed. Options: tta, precision, detector."""
        path = Path(path)
        if backend == "onnx" and path.suffix.lower() != ".onnx":
            raise MienError(f"{path}: the onnx backend runs .onnx files; make one with `mien export {path}`")
        detector = options.pop("detector", "yunet")
        return cls(load_classifier(path, backend=backend, **options), detector, path)

    @classmethod
    def default(
        cls,
        model: str = DEFAULT_MODEL,
        backend: str = "auto",
        tta: bool = False,
        precision: str = "auto",
        detector: str = "yunet",
        threads: int = 0,
    ) -> Predictor:
        """A model that ships inside the package (no download), by its catalogue name or alias:
        the default model unless named. It runs on ONNX Runtime where that is installed (faster,
        and PyTorch is never imported), else on PyTorch. On ONNX Runtime a model that ships an int8
        export runs it with the fp32 one re-answering its near-ties (CascadeClassifier): fp32's
        labels at most of int8's speed; one shipped for speed first runs int8 alone; a model
        without an int8 export runs its fp32 file."""
        if model in BACKENDS:  # the first parameter was the backend before models had names
            raise MienError(f"{model!r} is a backend, not a model: Predictor.default(backend={model!r})")
        shipped = shipped_model(model)
        if shipped.members:
            return cls.ensemble(None, backend, tta, precision, detector)
        name, backend = shipped.name, _resolve_backend(backend, precision)
        weights = model_file(name)  # fp32: what PyTorch and explanations rebuild the model from
        if backend == "torch":
            classifier = load_classifier(weights, tta, precision, threads, backend="torch")
            return cls(classifier, detector, weights, name)
        if precision not in ("auto", *SHIPPED_PRECISIONS):
            raise MienError(
                f"the shipped ONNX models run in {' or '.join(SHIPPED_PRECISIONS)}, not {precision}"
            )
        # With TTA an int8 first pass would save little: fp32 alone.
        if precision != "auto" or tta or "int8" not in shipped.files:
            chosen = model_file(name, "fp32" if precision == "auto" else precision)
            return cls(load_classifier(chosen, tta, threads=threads), detector, weights, name)
        if not shipped.cascade:
            return cls(load_classifier(model_file(name, "int8"), threads=threads), detector, weights, name)
        fast, exact = (load_classifier(model_file(name, p), threads=threads) for p in ("int8", "fp32"))
        return cls(CascadeClassifier(fast, exact), detector, weights, name)

    @classmethod
    def ensemble(
        cls,
        paths: Iterable[str | Path] | None = None,
        backend: str = "auto",
        tta: bool = False,
        precision: str = "auto",
        detector: str = "yunet",
    ) -> Predictor:
        """Several models whose probabilities are averaged: the given model files, or the ensemble
        that ships with mien. Explanations use the first given model that has PyTorch weights (the
        FER2013 model for the shipped ensemble, whose seven classes it shares)."""
        checkpoint, name = model_file(FER2013_MODEL), ENSEMBLE  # the ensemble's classes
        if paths is None:
            paths, backend = member_files(), _resolve_backend(backend, precision)
        else:
            paths = [Path(p) for p in paths]
            checkpoint = next((p for p in paths if p.suffix.lower() != ".onnx"), paths[0] if paths else None)
            name = "+".join(path.name for path in paths)
        members = [load_classifier(path, tta, precision, backend=backend) for path in paths]
        return cls(EnsembleClassifier(members), detector, checkpoint, name)

    @property
    def class_names(self) -> list[str]:
        return self.classifier.class_names

    @property
    def preprocess(self) -> dict:
        return self.classifier.preprocess

    @property
    def input_size(self) -> int:
        return int(self.preprocess["size"])

    def classify(self, faces: np.ndarray) -> np.ndarray:
        """Probabilities (N, K) for grey face crops (N, size, size) uint8."""
        return self.classifier.probabilities(faces)

    def predict(self, image: np.ndarray | str | Path, landmarks: bool = False) -> list[FacePrediction]:
        """Every face in a photo (an RGB array or a file), aligned on its eyes and classified; with
        landmarks, each face's mesh, head pose and measures too (FacePrediction.geometry)."""
        return [prediction for prediction, _ in self.predict_with_alignment(image, landmarks)]

    def predict_with_alignment(
        self, image: np.ndarray | str | Path, landmarks: bool = False
    ) -> list[tuple[FacePrediction, AlignedFace]]:
        """Like predict, keeping each face's aligned crop and its transform (for explanations)."""
        if not isinstance(image, np.ndarray):
            image = read_image(image, self.max_pixels)
        return self._classify_faces(image, self.detector.detect(image), landmarks)

    def predict_faces(
        self, image: np.ndarray, faces: list[Face], landmarks: bool = False
    ) -> list[FacePrediction]:
        """These faces, found before (on an earlier video frame, say), aligned and classified in this
        RGB image: the expressions are read from this image without running the detector."""
        return [prediction for prediction, _ in self._classify_faces(image, faces, landmarks)]

    def _classify_faces(
        self, image: np.ndarray, faces: list[Face], landmarks: bool = False
    ) -> list[tuple[FacePrediction, AlignedFace]]:
        if not faces:
            return []
        aligned = [align_face(image, face, self.input_size) for face in faces]
        probs = self.classify(np.stack([a.crop for a in aligned]))
        shapes = self.analyser.analyse(image, faces) if landmarks else [None] * len(faces)
        return [
            (FacePrediction(face, self._scores(p), shape), crop)
            for face, p, crop, shape in zip(faces, probs, aligned, shapes)
        ]

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
        from mien.data.loaders import to_model_input
        from mien.explain import explain

        explanations = []
        for prediction, face in faces:
            inputs = to_model_input(face.crop[None], self.preprocess)
            name = target or prediction.label  # the label shown, whichever backend predicted it
            heat, _ = explain(self.model, inputs, method, self.class_names.index(name))
            explanations.append(Explanation(prediction, face, method, name, prediction.scores[name], heat))
        return explanations

    def predict_files(
        self, inputs: Iterable[str | Path], landmarks: bool = False, workers: int | None = None
    ) -> Iterator[ImageResult]:
        """One result per image file (folders searched recursively), in input order; a bad file gets
        an error and the others go on. The next files are read while earlier ones are recognised on
        ``workers`` threads (see side_by_side; None: one per core, 0: one at a time here): the same
        answers as one at a time, with at most AHEAD_PIXELS of photos in flight."""
        runner, workers = self.side_by_side(workers_for(1) if workers is None else workers, landmarks)

        def recognise(_: int, item: ReadImage) -> ImageResult:
            if item.image is None:
                return ImageResult(item.path, error=item.error)
            try:
                return ImageResult(item.path, faces=runner.predict(item.image, landmarks), image=item.image)
            except MienError as err:
                return ImageResult(item.path, error=str(err))
            except cv2.error as err:  # an image OpenCV cannot resize or pad for detection: this file only
                return ImageResult(item.path, error=f"{item.path}: face detection failed ({err.err})")

        photos = read_each(list_images(inputs), self.max_pixels)
        for _, result in run_ahead(photos, recognise, workers, pixels=image_pixels):
            yield result

    def predict_aligned(
        self, image: np.ndarray | str | Path, landmarks: bool = False
    ) -> list[FacePrediction]:
        """Treat the whole image as one already cropped face (as in FER2013)."""
        if not isinstance(image, np.ndarray):
            image = read_image(image, self.max_pixels)
        probs = self.classify(to_face_crop(image, self.input_size)[None])[0]
        return [self._face(image, probs, landmarks)]

    def predict_aligned_files(
        self, inputs: Iterable[str | Path], batch_size: int = 256, landmarks: bool = False
    ) -> Iterator[ImageResult]:
        """One result per image file (folders are searched recursively), in input order. Files are
        classified in batches while the next batch is read; a file that cannot be read gets an error
        and the others go on."""
        for batch in read_ahead(list_images(inputs), batch_size, self.max_pixels):
            crops = [to_face_crop(item.image, self.input_size) for item in batch if item.image is not None]
            probs = iter(self.classify(np.stack(crops)) if crops else [])
            for item in batch:
                if item.image is None:
                    yield ImageResult(item.path, error=item.error)
                else:
                    faces = [self._face(item.image, next(probs), landmarks)]
                    yield ImageResult(item.path, faces=faces, image=item.image)

    def _face(self, image: np.ndarray, probs: np.ndarray, landmarks: bool = False) -> FacePrediction:
        # An aligned input is one face that fills the image (its mesh is read with that box too).
        height, width = image.shape[:2]
        face = Face(Box(0, 0, width, height), score=1.0)
        shape = self.analyser.analyse(_rgb(image), [face])[0] if landmarks else None
        return FacePrediction(face, self._scores(probs), shape)

    def _scores(self, probs: np.ndarray) -> dict[str, float]:
        return {name: float(p) for name, p in zip(self.class_names, probs)}


def _rgb(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)


def _resolve_backend(backend: str, precision: str) -> str:
    if backend != "auto":
        return backend
    return "onnx" if onnxruntime_available() and precision != "bf16" else "torch"
