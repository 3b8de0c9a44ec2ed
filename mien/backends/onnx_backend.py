"""ONNX Runtime backend: an exported model (fp32 or int8) and its description, without PyTorch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mien.errors import MienError
from mien.runtime import cpu_session
from mien.vision.preprocess import tta_views

BATCH = 256  # faces per call: large enough to keep both cores busy, small enough for the cache


class OnnxClassifier:
    def __init__(self, path: str | Path, tta: bool = False, threads: int = 0):
        path = Path(path)
        if not path.is_file():
            raise MienError(f"model not found: {path}")
        try:
            self.session = cpu_session(path, threads)
        except Exception as err:  # ONNX Runtime raises its own types for a damaged or foreign file
            raise MienError(f"{path}: not a readable ONNX model ({type(err).__name__})") from None
        self.path, self.threads = path, threads
        metadata = self.session.get_modelmeta().custom_metadata_map
        if "mien" not in metadata:
            raise MienError(f"{path}: not exported by mien (no class names or preprocessing inside)")
        description = json.loads(metadata["mien"])
        self.class_names = description["class_names"]
        self.preprocess = description["preprocess"]
        self.precision = description["precision"]
        self.tta = tta
        self._input = self.session.get_inputs()[0].name
        self._scale = np.float32(1.0 / (255.0 * self.preprocess["std"]))  # pixels -> (x / 255 - mean) / std
        self._offset = np.float32(self.preprocess["mean"] / self.preprocess["std"])

    def with_threads(self, threads: int) -> OnnxClassifier:
        """The same model on a session of `threads` threads (this one when it already is)."""
        return self if threads == self.threads else OnnxClassifier(self.path, self.tta, threads)

    def probabilities(self, faces: np.ndarray) -> np.ndarray:
        faces = np.asarray(faces)
        if len(faces) == 0:
            return np.zeros((0, len(self.class_names)), np.float32)
        if len(faces) <= BATCH:  # one call and no copies: one face at a time is the common case in video
            return self._batch(faces)
        return np.concatenate(
            [self._batch(faces[start : start + BATCH]) for start in range(0, len(faces), BATCH)]
        )

    def _batch(self, faces: np.ndarray) -> np.ndarray:
        if not self.tta:
            return self._run(faces)
        return np.mean([self._run(view) for view in tta_views(faces)], axis=0)

    def _run(self, faces: np.ndarray) -> np.ndarray:
        inputs = (faces.astype(np.float32) * self._scale - self._offset)[:, None]  # (N, 1, S, S)
        return self.session.run(None, {self._input: inputs})[0]
