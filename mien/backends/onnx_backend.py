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
        metadata = self.session.get_modelmeta().custom_metadata_map
        if "mien" not in metadata:
            raise MienError(f"{path}: not exported by mien (no class names or preprocessing inside)")
        description = json.loads(metadata["mien"])
        self.class_names = description["class_names"]
        self.preprocess = description["preprocess"]
        self.precision = description["precision"]
        self.tta = tta
        self._input = self.session.get_inputs()[0].name

    def probabilities(self, faces: np.ndarray) -> np.ndarray:
        faces = np.asarray(faces)
        outputs = [self._batch(faces[start : start + BATCH]) for start in range(0, len(faces), BATCH)]
        return np.concatenate(outputs) if outputs else np.zeros((0, len(self.class_names)), np.float32)

    def _batch(self, faces: np.ndarray) -> np.ndarray:
        views = tta_views(faces) if self.tta else [faces]
        return np.mean([self._run(view) for view in views], axis=0)

    def _run(self, faces: np.ndarray) -> np.ndarray:
        scale = 1.0 / (255.0 * self.preprocess["std"])
        offset = self.preprocess["mean"] / self.preprocess["std"]
        inputs = (faces.astype(np.float32) * np.float32(scale) - np.float32(offset))[:, None]  # (N, 1, S, S)
        return self.session.run(None, {self._input: inputs})[0]
