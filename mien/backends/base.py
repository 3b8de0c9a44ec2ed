"""The classifier interface and the choice of backend for a model file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Protocol

import numpy as np

from mien.errors import MienError

BACKENDS = ("auto", "torch", "onnx")


class Classifier(Protocol):
    class_names: list[str]
    preprocess: dict  # size, mean, std: as in training
    precision: str  # what the arithmetic runs in: fp32, bf16 or int8

    def probabilities(self, faces: np.ndarray) -> np.ndarray:
        """(N, K) class probabilities for (N, size, size) grey uint8 faces."""
        ...


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def load_classifier(
    path: str | Path, tta: bool = False, precision: str = "auto", threads: int = 0
) -> Classifier:
    """The classifier a model file holds: a .onnx file runs on ONNX Runtime, anything else is a
    mien checkpoint for PyTorch. threads: 0 uses every core (set 1 where processes share them)."""
    path = Path(path)
    if path.suffix.lower() == ".onnx":
        if precision not in ("auto", "fp32", "int8"):
            raise MienError(
                f"{path}: an ONNX model runs in the precision it was exported in, not {precision}"
            )
        from mien.backends.onnx_backend import OnnxClassifier

        return OnnxClassifier(path, tta, threads)
    if precision == "int8":
        raise MienError("int8 runs on the onnx backend: export an int8 model with `mien export --int8`")
    from mien.backends.torch_backend import TorchClassifier

    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    return TorchClassifier.from_checkpoint(path, tta, precision)
